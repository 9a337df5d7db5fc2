import Foundation
import SluiceSockets
import Testing

@Suite struct SocketTests {
    @Test func read_returnsNilWhenNothingIsAvailable_andZeroAtEndOfStream() throws {
        let (a, b) = try Socket.makePair()
        defer { a.close() }
        try a.setNonBlocking()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(try buffer.withUnsafeMutableBytes { try a.read(into: $0) } == nil)
        b.close()
        #expect(try buffer.withUnsafeMutableBytes { try a.read(into: $0) } == 0)
    }

    @Test func writeOfTwoBuffers_arrivesAsOneStream() throws {
        let (a, b) = try Socket.makePair()
        defer { a.close(); b.close() }
        let head = Array("head|".utf8), body = Array("body".utf8)
        let n = try head.withUnsafeBytes { h in try body.withUnsafeBytes { try a.write(h, $0) } }
        #expect(n == 9)
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try buffer.withUnsafeMutableBytes { try b.read(into: $0) }
        #expect(count == 9)
        #expect(Array(buffer[0..<9]) == head + body)
    }

    @Test func writeToAClosedPeer_throwsDisconnected() throws {
        let (a, b) = try Socket.makePair()
        defer { a.close() }
        b.close()
        #expect {
            _ = try [UInt8](repeating: 1, count: 8).withUnsafeBytes { try a.write($0) }
        } throws: { error in
            (error as? SocketError)?.code == .disconnected
        }
    }

    /// A non-blocking connect to a listener completes (at once or when
    /// writable); to a closed port it fails, at once or as `SO_ERROR`.
    /// `isQuiet` tells a silent peer from one that wrote or closed.
    @Test func startConnect_andIsQuiet() throws {
        let listener = try Socket.makeListener(address: .ipv4("127.0.0.1", port: 0))
        let address = try listener.localAddress()
        let (client, _) = try Socket.startConnect(to: address)
        defer { client.close() }
        var accepted: Socket?
        for _ in 0..<500 where accepted == nil {
            accepted = try listener.accept()?.0
            if accepted == nil { usleep(1_000) }
        }
        let server = try #require(accepted)
        #expect(client.pendingError() == 0)
        #expect(client.isQuiet())
        _ = try [UInt8]("x".utf8).withUnsafeBytes { try server.write($0) }
        usleep(20_000)
        #expect(!client.isQuiet())
        var byte = [UInt8](repeating: 0, count: 1)
        _ = try byte.withUnsafeMutableBytes { try client.read(into: $0) }
        #expect(client.isQuiet())
        server.close()
        usleep(20_000)
        #expect(!client.isQuiet())
        listener.close()

        // Nothing listens on the port any more.
        do {
            let (refused, connected) = try Socket.startConnect(to: address)
            defer { refused.close() }
            #expect(!connected)
            usleep(20_000)
            #expect(refused.pendingError() == ECONNREFUSED)
        } catch {
            #expect(error.errno == ECONNREFUSED)
        }
    }

    @Test func listenerOnPortZero_reportsTheRealPort_andAccepts() throws {
        let listener = try Socket.makeListener(address: .ipv4("127.0.0.1", port: 0))
        defer { listener.close() }
        let address = try listener.localAddress()
        #expect(address.port != 0)
        #expect(try listener.accept() == nil)  // non-blocking, nobody waiting
        let client = try Socket.connect(to: address)
        defer { client.close() }
        var accepted: (Socket, SocketAddress?)?
        for _ in 0..<100 where accepted == nil {
            accepted = try listener.accept()
            if accepted == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        let (server, remote) = try #require(accepted)
        defer { server.close() }
        #expect(remote?.description.hasPrefix("127.0.0.1:") == true)
    }

    @Test(arguments: [("127.0.0.1", true), ("::1", true), ("localhost", true), ("[::1]", true), ("example.com", false), ("1.2.3", false)])
    func addressParsing(host: String, valid: Bool) {
        #expect(((try? SocketAddress.make(host: host, port: 80)) != nil) == valid)
    }

    @Test func bindingABusyPort_throwsWithErrno() throws {
        let first = try Socket.makeListener(address: .ipv4("127.0.0.1", port: 0))
        defer { first.close() }
        let port = try first.localAddress().port
        #expect {
            _ = try Socket.makeListener(address: .ipv4("127.0.0.1", port: port))
        } throws: { error in
            guard let error = error as? SocketError else { return false }
            return error.operation == "bind" && error.errno != 0 && error.debugDescription.contains("errno")
        }
    }
}
