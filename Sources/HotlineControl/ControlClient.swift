import Foundation
import HotlineCore

#if canImport(Glibc)
import Glibc
#endif

/// Sends one request to the daemon's control socket and reads its one-line answer.
public enum ControlClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    public static func request(socket path: String, _ request: ControlRequest) throws -> JSONObject {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            throw Failure(
                "cannot reach the daemon at \(path): \(String(cString: strerror(errno))) (is hotlined running, and are you in its group?)")
        }
        let line = Array(request.line) + [0x0A]
        var offset = 0
        while offset < line.count {
            let n = line[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !reply.contains(0x0A) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure("the daemon closed the control connection") }
            reply += chunk[..<n]
        }
        guard case let .object(o)? = try? JSONParser.parse(reply[..<reply.firstIndex(of: 0x0A)!]) else {
            throw Failure("the daemon's answer is not JSON")
        }
        if let error = o["error"]?.stringValue {
            throw Failure("\(o["code"]?.stringValue ?? "error"): \(error)")
        }
        return o
    }
}
