// S3 throughput of SluiceAWS against a moto server, one operation per run
// so that each run's peak RSS belongs to that operation alone:
//
//   AWSBench <ready.json> <bucket> big-put|big-get|small-put|small-get [size-MiB] [objects] [concurrency]
//
// big-put streams a generated body of size-MiB (default 256) through
// S3Client.upload (multipart, 8 MiB parts); big-get streams it back and
// discards the chunks; small-put and small-get move `objects` (default 2,000)
// objects of 1 KiB with `concurrency` (default 16) requests in flight.
// Prints one JSON line: client, op, bytes, objects, seconds, peak_rss_mib.
import Foundation
import SluiceAWS
import SluiceHTTPClient

struct Ready: Decodable {
    let endpoint: String
    let access_key_id: String
    let secret_access_key: String
}

/// VmHWM from /proc/self/status, in MiB.
func peakRSSMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return -1 }
    return kib / 1024
}

final class Source: @unchecked Sendable {
    let chunk: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let lock = NSLock()
    var remaining: Int
    init(bytes: Int) { remaining = bytes }
    func next() -> [UInt8]? {
        lock.withLock {
            guard remaining > 0 else { return nil }
            let count = min(chunk.count, remaining)
            remaining -= count
            return count == chunk.count ? chunk : Array(chunk[0..<count])
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: AWSBench ready.json bucket op [size-MiB] [objects] [concurrency]\n".utf8))
    exit(2)
}
let ready = try JSONDecoder().decode(Ready.self, from: Data(contentsOf: URL(fileURLWithPath: arguments[1])))
let bucket = arguments[2]
let operation = arguments[3]
let sizeMiB = arguments.count > 4 ? Int(arguments[4]) ?? 256 : 256
let objects = arguments.count > 5 ? Int(arguments[5]) ?? 2000 : 2000
let concurrency = arguments.count > 6 ? Int(arguments[6]) ?? 16 : 16

guard let endpoint = AWSEndpoint(url: ready.endpoint) else { exit(2) }
let configuration = AWSConfiguration(region: "us-east-1", endpointOverrides: ["s3": endpoint])
let credentials = StaticCredentialProvider(
    AWSCredential(accessKeyID: ready.access_key_id, secretAccessKey: ready.secret_access_key))
var httpConfiguration = CurlHTTPClient.Configuration()
httpConfiguration.maxConnections = max(16, concurrency)
let http = try CurlHTTPClient(configuration: httpConfiguration)
// PART_CONCURRENCY overrides S3Client.partConcurrency (default 1) for experiments.
let partConcurrency = ProcessInfo.processInfo.environment["PART_CONCURRENCY"].flatMap { Int($0) } ?? 1
// PART_SIZE_MIB overrides S3Client.partSize (default 8 MiB).
let partSize = (ProcessInfo.processInfo.environment["PART_SIZE_MIB"].flatMap { Int($0) } ?? 8) << 20
let s3 = S3Client(
    client: AWSServiceClient(service: "s3", configuration: configuration, credentials: credentials, http: http),
    partSize: partSize, partConcurrency: partConcurrency)

let small = [UInt8](repeating: 0x61, count: 1024)
let start = ContinuousClock.now
var bytes = 0
var count = 0
switch operation {
case "big-put":
    let source = Source(bytes: sizeMiB << 20)
    try await s3.upload(bucket: bucket, key: "big/object", next: { source.next() })
    bytes = sizeMiB << 20
    count = 1
case "big-get":
    bytes = try await s3.getObject(bucket: bucket, key: "big/object") { _, body in
        var total = 0
        for try await chunk in body { total += chunk.count }
        return total
    }
    count = 1
case "small-put", "small-get":
    let isPut = operation == "small-put"
    bytes = try await withThrowingTaskGroup(of: Int.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var moved = 0
                for index in stride(from: worker, to: objects, by: concurrency) {
                    let key = String(format: "small/%05d", index)
                    if isPut {
                        try await s3.putObject(bucket: bucket, key: key, body: small)
                        moved += small.count
                    } else {
                        moved += try await s3.getObjectBytes(bucket: bucket, key: key).count
                    }
                }
                return moved
            }
        }
        var total = 0
        for try await moved in group { total += moved }
        return total
    }
    count = objects
default:
    FileHandle.standardError.write(Data("unknown operation \(operation)\n".utf8))
    exit(2)
}
let elapsed = ContinuousClock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(#"{"client":"sluice","op":"\#(operation)","bytes":\#(bytes),"objects":\#(count),"seconds":\#(seconds),"peak_rss_mib":\#(peakRSSMiB())}"#)
