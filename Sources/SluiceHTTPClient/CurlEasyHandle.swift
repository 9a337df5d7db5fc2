import CCurl
import Dispatch

/// Options every request of a client shares.
struct CurlOptions: Sendable {
    var connectTimeout: Duration
    var maxRedirects: Int
    var userAgent: String
}

/// One libcurl easy handle and the serial queue its blocking transfers run
/// on. The handle outlives transfers so that its connection cache keeps
/// connections open for the next request to the same host. In a
/// `CurlMultiHTTPClient` the handle is only configured here and driven by
/// the multi handle (whose connection cache it then shares); `queue` is unused.
final class CurlEasyHandle: @unchecked Sendable {
    /// The libcurl handle.
    let easy: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The header list of the configured transfer; libcurl reads it until the transfer ends.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// The queue every transfer on this handle runs on; never the cooperative pool.
    let queue: DispatchQueue

    init(label: String) throws(HTTPClientError) {
        guard let easy = curl_easy_init() else {
            throw HTTPClientError(.other, message: "curl_easy_init failed")
        }
        self.easy = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        queue = DispatchQueue(label: label)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Runs one transfer to the end. Call only on `queue`: it blocks.
    func perform(
        _ request: HTTPClientRequest, timeout: Duration, configuration: CurlOptions, transfer: CurlTransfer
    ) -> Result<HTTPClientResponse, HTTPClientError> {
        if let error = configure(request, timeout: timeout, configuration: configuration, transfer: transfer) {
            return .failure(error)
        }
        return outcome(curl_easy_perform(easy), transfer: transfer)
    }

    /// Sets every option of one transfer (callbacks into `transfer`, which
    /// must live until the transfer ends); returns the error that stops it
    /// from being sent, if any.
    func configure(
        _ request: HTTPClientRequest, timeout: Duration, configuration: CurlOptions, transfer: CurlTransfer
    ) -> HTTPClientError? {
        // Reset keeps the connection cache: only options are cleared.
        curl_easy_reset(easy)
        errorBuffer[0] = 0
        curl_slist_free_all(headerList)
        headerList = nil
        let userdata = Unmanaged.passUnretained(transfer).toOpaque()

        var failed = CURLE_OK
        func set(_ code: CURLcode) { if failed == CURLE_OK { failed = code } }
        set(sluice_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(sluice_curl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set(sluice_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(sluice_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout)))
        if case .stream = transfer.sink {
            // A streamed body may take longer than `timeout` as long as it
            // keeps arriving (a large S3 object): the transfer fails when
            // less than a byte a second arrived for `timeout`, the head
            // included, not after `timeout` in all.
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1))
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Self.milliseconds(timeout) / 1000)))
        } else {
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(timeout)))
        }
        // The path goes out as given: `/./` and `/../` are an S3 key's
        // bytes, signed as they are, not segments to squash.
        set(sluice_curl_easy_setopt_long(easy, CURLOPT_PATH_AS_IS, 1))
        set(sluice_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        if let limit = transfer.bodyLimit {
            // 0 would mean "no limit" to libcurl and "nothing" to `receiveBody`.
            guard limit > 0 else { return HTTPClientError(.invalidRequest, message: "maxResponseBytes must be at least 1") }
            // Refuses a response whose Content-Length is over the limit
            // before reading it; `receiveBody` stops the others.
            set(sluice_curl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)))
        }
        if configuration.maxRedirects > 0 {
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1))
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_MAXREDIRS, configuration.maxRedirects))
        }
        set(sluice_curl_easy_setopt_write_callback(easy) { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            let length = size * count
            let easy = transfer.easyForCallbacks
            return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length), status: easy.map { Int(sluice_curl_response_code($0)) } ?? 0) ? length : 0
        })
        set(sluice_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userdata))
        set(sluice_curl_easy_setopt_header_callback(easy) { buffer, size, count, userdata in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        })
        set(sluice_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userdata))
        set(sluice_curl_easy_setopt_xferinfo_callback(easy) { userdata, _, _, _, _ in
            guard let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            return transfer.isCancelled || transfer.isAbandoned ? 1 : 0
        })
        set(sluice_curl_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, userdata))
        transfer.easyForCallbacks = easy

        let method = request.method.uppercased()
        let sendsBody: Bool
        var length: Int?
        switch request.body {
        case .empty:
            sendsBody = !["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"].contains(method)
            length = 0
        case .bytes(let bytes):
            sendsBody = true
            length = bytes.count
        case .stream(let streamLength, _):
            sendsBody = true
            length = streamLength
        }
        if method == "HEAD" {
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        } else if sendsBody, let inMemory = Self.smallBody(request.body) {
            // A small body in memory is handed to libcurl, which sends it
            // in the same write as the request head: one packet and one
            // system call per request instead of two (the read callback
            // below is asked only after the head was sent).
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_POST, 1))
            // The size first: COPYPOSTFIELDS copies that many bytes at once.
            set(sluice_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(inMemory.count)))
            inMemory.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    // libcurl copies the bytes before this returns; an
                    // empty body needs a valid pointer all the same.
                    if let base = chars.baseAddress {
                        set(sluice_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, base))
                    } else {
                        set(sluice_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
                    }
                }
            }
            if method != "POST" { set(sluice_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)) }
        } else if sendsBody {
            // POST with a read callback uploads any method's body with
            // Content-Length (or chunked when the length is unknown).
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_POST, 1))
            set(sluice_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(length ?? -1)))
            set(sluice_curl_easy_setopt_read_callback(easy) { buffer, size, count, userdata in
                guard let userdata, let buffer else { return sluice_curl_readfunc_abort() }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                let target = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
                return transfer.readBody(into: target) ?? sluice_curl_readfunc_abort()
            })
            set(sluice_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, userdata))
            if method != "POST" { set(sluice_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)) }
        } else if method != "GET" {
            set(sluice_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
        } else {
            set(sluice_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        }

        // Which of the fields libcurl would otherwise add the caller set.
        var has = (expect: false, contentType: false, transferEncoding: false, userAgent: false)
        for (name, value) in request.headers {
            // A CR or LF would let a value smuggle in more fields (RFC 9110 §5.5).
            guard Self.isValidField(name: name, value: value) else {
                return HTTPClientError(.invalidRequest, message: "header field \(name) holds a control character")
            }
            switch name.utf8.count {
            case 6: has.expect = has.expect || HTTPClientResponseHead.equalIgnoringASCIICase(name, "expect")
            case 10: has.userAgent = has.userAgent || HTTPClientResponseHead.equalIgnoringASCIICase(name, "user-agent")
            case 12: has.contentType = has.contentType || HTTPClientResponseHead.equalIgnoringASCIICase(name, "content-type")
            case 17:
                has.transferEncoding = has.transferEncoding || HTTPClientResponseHead.equalIgnoringASCIICase(name, "transfer-encoding")
            default: break
            }
            // "Name;" is libcurl's spelling of a header with an empty value.
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // libcurl would add `Expect: 100-continue` to large uploads (a
        // round trip of waiting) and a form Content-Type to POSTs; an empty
        // "Name:" removes a header libcurl would add itself.
        if !has.expect { headerList = curl_slist_append(headerList, "Expect:") }
        if sendsBody, !has.contentType { headerList = curl_slist_append(headerList, "Content-Type:") }
        if sendsBody, length == nil, !has.transferEncoding {
            headerList = curl_slist_append(headerList, "Transfer-Encoding: chunked")
        }
        if !has.userAgent { headerList = curl_slist_append(headerList, "User-Agent: \(configuration.userAgent)") }
        set(sluice_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        if failed != CURLE_OK {
            return HTTPClientError(.invalidRequest, curlCode: Int(failed.rawValue), message: message(for: failed))
        }
        return nil
    }

    /// The result of a finished transfer: libcurl's `code` mapped to an
    /// `HTTPClientError`, or the response `transfer` collected.
    func outcome(_ code: CURLcode, transfer: CurlTransfer) -> Result<HTTPClientResponse, HTTPClientError> {
        transfer.easyForCallbacks = nil
        let status = Int(sluice_curl_response_code(easy))
        guard code == CURLE_OK else {
            if transfer.bodyTooLarge || code == CURLE_FILESIZE_EXCEEDED, let limit = transfer.bodyLimit {
                return .failure(HTTPClientError(
                    .responseTooLarge, curlCode: Int(code.rawValue), message: "the response body is over \(limit) bytes"))
            }
            if transfer.isCancelled {
                return .failure(HTTPClientError(.cancelled, curlCode: Int(code.rawValue), message: "task cancelled"))
            }
            if let uploadError = transfer.uploadError {
                return .failure(HTTPClientError(.sendFailed, curlCode: Int(code.rawValue), message: "body provider failed: \(uploadError)"))
            }
            return .failure(HTTPClientError(Self.errorCode(for: code), curlCode: Int(code.rawValue), message: message(for: code)))
        }
        transfer.deliverHeadIfStreaming(status: status)
        return .success(HTTPClientResponse(status: status, headers: transfer.headers, body: transfer.body))
    }

    /// Bodies under this size go with the request head: libcurl's
    /// `MAX_INITIAL_POST_SIZE`, below which it adds the body to the head's write.
    static let smallBodyLimit = 64 * 1024

    /// The body to hand libcurl whole (`CURLOPT_COPYPOSTFIELDS`): an empty
    /// one or one in memory under ``smallBodyLimit`` bytes. `nil` for
    /// larger ones, which the read callback sends from the caller's array
    /// without a copy, and for streamed ones.
    static func smallBody(_ body: HTTPClientRequest.Body) -> [UInt8]? {
        switch body {
        case .empty: []
        case .bytes(let bytes): bytes.count < smallBodyLimit ? bytes : nil
        case .stream: nil
        }
    }

    /// Whether a field is an RFC 9110 token name with a value free of CR, LF and NUL.
    static func isValidField(name: String, value: String) -> Bool {
        guard !name.isEmpty else { return false }
        let tokenPunctuation = Array("!#$%&'*+-.^_`|~".utf8)
        for byte in name.utf8 {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            guard isAlphanumeric || tokenPunctuation.contains(byte) else { return false }
        }
        return !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    private func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        if !detail.isEmpty { return detail }
        guard let text = curl_easy_strerror(code) else { return "" }
        return String(cString: text)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        if total.overflow { return .max }
        // Round up so that a sub-millisecond timeout is not 0 (which means "none").
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, Int(total.partialValue + fraction))
    }

    /// Maps libcurl's failure codes to the kinds callers act on.
    static func errorCode(for code: CURLcode) -> HTTPClientError.Code {
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT:
            return .invalidRequest
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .resolveFailed
        case CURLE_COULDNT_CONNECT:
            return .connectFailed
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SEND_ERROR, CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK:
            return .sendFailed
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_WRITE_ERROR:
            return .receiveFailed
        case CURLE_TOO_MANY_REDIRECTS:
            return .tooManyRedirects
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE:
            return .tlsFailed
        default:
            return .other
        }
    }
}
