import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking line client over a TCP or Unix stream socket, with a receive timeout so that a
/// caller can fail but never hang: the one socket client of `hotlinectl` (the control socket),
/// the harness, the benchmarks and the tests. It sends any bytes (the hostile-input tests need
/// broken UTF-8, NUL and half-closed connections); the gateway kit's `HLPConnection` is the
/// client for TLS and for typed replies. One thread may send while another reads: `send`
/// touches only the socket, the reads own the buffer (hence `@unchecked`).
public final class LineClient: @unchecked Sendable {
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    public init(host: String = "127.0.0.1", port: Int, timeoutSeconds: Int = 20) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw Failure(description: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            // No close here: every stored property is set, so a throw runs deinit, which
            // closes the socket. Closing it here too closed whatever another thread had
            // opened under the same number meanwhile (a Foundation pipe, in CI: "Bad file
            // descriptor" in FileHandle).
            throw Failure(description: "connect to \(host):\(port) failed: errno \(errno)")
        }
    }

    /// A Unix stream socket (the daemon's control socket).
    public init(unixPath path: String, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // deinit closes the socket when this throws (see the TCP initializer).
        guard rc == 0 else { throw Failure(description: "cannot connect to \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Sends one request line (LF added) and returns the reply line.
    public func request(_ line: String) throws -> String {
        try send(line + "\n")
        return try readLine()
    }

    /// The next line without its LF; throws on timeout or end of stream.
    public func readLine() throws -> String {
        guard let line = try readLineOrEOF() else { throw Failure(description: "connection closed") }
        return line
    }

    /// The next line, or nil when the peer closed.
    public func readLineOrEOF() throws -> String? {
        while true {
            if let i = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<i], as: UTF8.self)
                start = i + 1
                if start >= 65536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return nil }
            guard n > 0 else { throw Failure(description: "receive failed or timed out: errno \(errno)") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// Closes the sending side: the server answers what it has, then closes.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}
