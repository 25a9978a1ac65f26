import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking line client over a real TCP socket, with a receive timeout so that a test can
/// fail but never hang.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure(description: "connect to \(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Sends one request line (LF added).
    func request(_ line: String) throws -> String {
        try send(line + "\n")
        return try readLine()
    }

    /// The next line without its LF; throws on timeout or end of stream.
    func readLine() throws -> String {
        guard let line = try readLineOrEOF() else { throw Failure(description: "connection closed") }
        return line
    }

    func readLineOrEOF() throws -> String? {
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
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}
