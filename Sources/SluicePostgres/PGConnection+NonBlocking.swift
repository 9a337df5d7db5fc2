import CLibPQ
import Dispatch

extension PGConnection {
    /// ``query(_:)`` through `waiter`: sent with `PQsendQueryParams` on the
    /// calling thread in libpq's non-blocking mode, the task suspended until
    /// the socket is ready, the result read with `PQconsumeInput` and
    /// `PQgetResult`. The same errors, cancellation and result as the
    /// queue's `PQexecParams`.
    func query(_ query: PGQuery, waiter: any PGSocketWaiter, cancellable: Bool) async throws -> PGRows {
        let token = PGCancelToken()
        return try await withTaskCancellationHandler {
            guard let handle else { throw PGError(code: .closed, message: "the connection is closed") }
            guard !cancellable || token.start() else { throw CancellationError() }
            let result: Result<PGRows, any Error>
            do {
                result = .success(try await Self.send(query, on: handle) { forWriting in
                    try await waiter.wait(fd: PQsocket(handle), forWriting: forWriting)
                })
            } catch let error as WaitFailed {
                // Mid-statement with no way to wait: the connection cannot be reused.
                _ = token.finish()
                await close()
                throw PGError(code: .connectionLost, message: "waiting for the server failed: \(error.underlying)")
            } catch {
                result = .failure(error)
            }
            let cancelled = token.finish()
            if cancelled, case .failure(let error as PGError) = result, error.sqlState == "57014" {
                throw CancellationError()
            }
            return try result.get()
        } onCancel: {
            guard cancellable, token.requestCancel() else { return }
            PGConnection.cancelQueue.async { self.sendCancel(for: token) }
        }
    }

    /// A waiter's failure, told apart from the statement's own errors.
    private struct WaitFailed: Error {
        let underlying: any Error
    }

    private static func send(
        _ query: PGQuery, on handle: OpaquePointer, wait: (Bool) async throws -> Void
    ) async throws -> PGRows {
        let arguments = try PGQueryArguments(query)
        guard PQsetnonblocking(handle, 1) == 0 else { throw lost(handle, query) }
        defer { _ = PQsetnonblocking(handle, 0) }
        let sent = try arguments.withPointers { pointers in
            PQsendQueryParams(
                handle, query.sql, Int32(arguments.types.count), arguments.types, pointers,
                arguments.lengths, arguments.formats, 0)
        }
        guard sent == 1 else { throw lost(handle, query) }
        // Send what did not fit in the socket buffer.
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            guard flushed > 0 else { throw lost(handle, query) }
            do { try await wait(true) } catch { throw WaitFailed(underlying: error) }
            // The server may be answering meanwhile; keep its output moving.
            guard PQconsumeInput(handle) == 1 else { throw lost(handle, query) }
        }
        // One statement: one result, or an error; PQexecParams keeps the last.
        var last: OpaquePointer?
        defer { if let last { PQclear(last) } }
        while true {
            while PQisBusy(handle) == 1 {
                do { try await wait(false) } catch { throw WaitFailed(underlying: error) }
                guard PQconsumeInput(handle) == 1 else { throw lost(handle, query) }
            }
            guard let result = PQgetResult(handle) else { break }
            // COPY cannot run here: libpq hands out a COPY result on every
            // call, so the loop would never end, and draining a COPY's
            // output would block the loop. The connection is left in COPY,
            // which the pool sees as broken and closes.
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                PQclear(result)
                var error = PGError(code: .queryFailed, message: "COPY cannot run through query(); use copyIn")
                error.sql = query.sql
                throw error
            }
            if let previous = last {
                // Keep an error over what follows it, as PQexec does.
                if PQresultStatus(previous) == PGRES_FATAL_ERROR {
                    PQclear(result)
                    continue
                }
                PQclear(previous)
            }
            last = result
        }
        return try PGResultReader.rows(last, handle: handle, sql: query.sql)
    }

    private static func lost(_ handle: OpaquePointer, _ query: PGQuery) -> PGError {
        var error = PGError(code: .connectionLost, message: errorMessage(handle))
        error.sql = query.sql
        return error
    }
}
