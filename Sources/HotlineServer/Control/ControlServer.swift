import Foundation
import HotlineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The operator control socket: a Unix stream socket (mode 0660) taking one JSON request per
/// line and answering one JSON line. The peer's Unix user (SO_PEERCRED) comes with every
/// request, so each action names the operator who took it. Operators are few: a thread per
/// connection keeps this simple and off the event loops, and both are bounded: at most
/// `maxConnections` at once (beyond, one error line and close), each closed after
/// `timeoutSeconds` without a complete request.
public final class ControlServer: @unchecked Sendable {
    // @unchecked: `listener` and `stopped` are guarded by `lock`.
    public let path: String
    private let handle: @Sendable (JSONObject, String) -> JSONObject
    private let logger: Logger
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var stopped = false
    private var active = 0
    private let maxConnections: Int
    private let timeoutSeconds: Int64

    /// Longest request line.
    static let maxRequestBytes = 65_536

    public init(
        path: String, maxConnections: Int = 16, timeoutSeconds: Int64 = 60, logger: Logger,
        handle: @escaping @Sendable (JSONObject, String) -> JSONObject
    ) {
        self.maxConnections = maxConnections
        self.timeoutSeconds = timeoutSeconds
        self.path = path
        self.logger = logger
        self.handle = handle
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds the socket (replacing a stale one) and starts accepting.
    public func start() throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(description: "control socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw Failure(description: "\(path) exists and is not a socket")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        let old = umask(0o117)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0, chmod(path, 0o660) == 0, listen(fd, 16) == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "cannot listen on \(path): \(String(cString: strerror(e)))")
        }
        lock.lock()
        listener = fd
        lock.unlock()
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "hotline-control"
        thread.start()
        logger.info("control socket listening", metadata: ["control.socket": "\(path)"])
    }

    public func stop() {
        lock.lock()
        stopped = true
        let fd = listener
        listener = -1
        lock.unlock()
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
            unlink(path)
        }
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                usleep(10_000)
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            lock.lock()
            let admitted = active < maxConnections
            if admitted { active += 1 }
            lock.unlock()
            guard admitted else {
                var tv = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                _ = Self.write(
                    client, Array(#"{"error":"too many operator connections; retry later","code":"unavailable"}"#.utf8) + [0x0A])
                close(client)
                logger.warning("control connection refused: too many open", metadata: ["limit": "\(maxConnections)"])
                continue
            }
            let thread = Thread { [self] in
                serve(client)
                lock.lock()
                active -= 1
                lock.unlock()
            }
            thread.name = "hotline-control-conn"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeoutSeconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let user = Self.peerUser(fd)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            buffer += chunk[..<n]
            while let lf = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<lf])
                buffer.removeFirst(lf + 1)
                let reply: JSONObject
                if case let .object(request)? = try? JSONParser.parse(line) {
                    reply = handle(request, user)
                } else {
                    reply = ["error": "the request is not a JSON object", "code": "syntax"]
                }
                guard Self.write(fd, Array((reply.jsonText + "\n").utf8)) else { return }
            }
            if buffer.count > Self.maxRequestBytes {
                _ = Self.write(fd, Array(#"{"error":"request too long","code":"too-long"}"#.utf8) + [0x0A])
                return
            }
        }
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// The connecting process's user name (or `uid:N`), from SO_PEERCRED.
    static func peerUser(_ fd: Int32) -> String {
        // struct ucred (Linux): pid, uid, gid. Glibc's module hides it behind _GNU_SOURCE.
        struct PeerCredentials {
            var pid: Int32 = 0
            var uid: UInt32 = 0
            var gid: UInt32 = 0
        }
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return "unknown" }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var storage = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(credentials.uid, &entry, &storage, storage.count, &result) == 0, let result,
            let name = result.pointee.pw_name
        {
            return String(cString: name)
        }
        return "uid:\(credentials.uid)"
    }
}
