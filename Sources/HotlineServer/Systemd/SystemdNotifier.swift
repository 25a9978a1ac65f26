import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) without libsystemd: one datagram per message to `$NOTIFY_SOCKET` (a path, or
/// an abstract name starting with `@`). Does nothing when the variable is unset.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var isActive: Bool { socketPath != nil }

    /// Sends `message` (lines such as `READY=1`, `STATUS=…`). Returns whether it was sent.
    @discardableResult
    public func notify(_ message: String) -> Bool {
        guard let path = socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let payload = Array(message.utf8)
        // Never blocks for long: a receiver that does not read (its queue holds 10 datagrams
        // by default) would otherwise hold the sender in sendto for good, the watchdog's
        // thread or the status loop, and with it the shutdown. A full queue is retried for
        // up to a second, then the message is dropped.
        for attempt in 0..<Self.fullQueueAttempts {
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    payload.withUnsafeBytes {
                        sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), sa, length)
                    }
                }
            }
            if sent == payload.count { return true }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            if attempt + 1 < Self.fullQueueAttempts { usleep(50_000) }
        }
        return false
    }

    /// Attempts, 50 ms apart, while the receiver's queue is full.
    static let fullQueueAttempts = 20

    /// Half of `$WATCHDOG_USEC`, if the watchdog is on for this process.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Duration?
    {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return .microseconds(Int64(usec / 2))
    }
}

/// Listening sockets passed by systemd socket activation (sd_listen_fds(3)).
public enum SocketActivation {
    /// The inherited file descriptors with their names (`LISTEN_FDNAMES`), if `LISTEN_PID` is
    /// this process. Clears the variables so children do not inherit them.
    public static func inheritedSockets(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> [(fd: Int32, name: String)]
    {
        guard let pidText = environment["LISTEN_PID"], pidText == String(getpid()),
            let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0
        else { return [] }
        let names = environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        return (0..<count).map { i in
            let fd = 3 + i
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            return (fd, Int(i) < names.count ? names[Int(i)] : "unknown")
        }
    }

    /// The address an inherited socket is bound to ("127.0.0.1", "0.0.0.0", "::", or "unix"
    /// for a Unix socket), or nil if it cannot be read.
    public static func boundHost(fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            var a = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr } }
            guard inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil else { return nil }
        case AF_INET6:
            var a = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr } }
            guard inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) != nil else { return nil }
        case AF_UNIX:
            return "unix"
        default:
            return nil
        }
        return String(cString: text)
    }
}
