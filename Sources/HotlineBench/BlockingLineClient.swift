import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HLP/1 line client over a TCP socket, for load generation.
/// One thread may send while another reads: `send` touches only the socket, `readLine` owns
/// the receive buffer (hence `@unchecked`).
public final class BlockingLineClient: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(host: String, port: Int, timeoutSeconds: Int = 30) throws {
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
            close(fd)
            throw Failure(description: "connect to \(host):\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    public func readLine() throws -> String {
        while true {
            if let i = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<i], as: UTF8.self)
                start = i + 1
                if start > 65536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: n == 0 ? "connection closed" : "receive: errno \(errno)") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }
}
