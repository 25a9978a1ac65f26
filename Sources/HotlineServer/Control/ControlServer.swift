import Foundation
import HotlineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The operator control socket: a Unix stream socket (mode 0660) on the daemon's event loops,
/// taking one JSON `ControlRequest` per line and answering one JSON line. The peer's Unix user
/// (SO_PEERCRED) comes with every request, so each action names the operator who took it.
/// Bounded: at most `maxConnections` at once (beyond, one error line and close), a request line
/// of at most 64 KiB, one request at a time per connection (reading pauses while it runs), and
/// a connection closed after `timeoutSeconds` without a request. Nothing blocks an event loop:
/// `serve` is async and does its reads on the thread pool.
public final class ControlServer: Sendable {
    public let path: String
    private let serve: @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    private let logger: Logger
    private let timeout: TimeAmount
    private let slots: ConnectionSlots
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)

    /// Longest request line.
    static let maxRequestBytes = 65_536

    public init(
        path: String, maxConnections: Int = 16, timeoutSeconds: Int64 = 60, logger: Logger,
        serve: @escaping @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    ) {
        self.slots = ConnectionSlots(limit: maxConnections)
        self.timeout = .seconds(timeoutSeconds)
        self.path = path
        self.logger = logger
        self.serve = serve
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds the socket (replacing a stale one, refusing to replace anything else) and starts
    /// accepting.
    public func start() async throws {
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFSOCK {
            throw Failure(description: "\(path) exists and is not a socket")
        }
        let serve = self.serve, logger = self.logger, slots = self.slots
        let maxConnections = slots.limit, timeout = self.timeout
        // Bound under a temporary name, given mode 0660, then renamed into place: operators
        // never see it with another mode, and no process-wide umask changes while other
        // threads create files.
        let temporary = path + ".binding-\(getpid())"
        unlink(temporary)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 16)
                .childChannelInitializer { channel in
                    guard slots.admit(channel) else {
                        logger.warning("control connection refused: too many open", metadata: ["limit": "\(maxConnections)"])
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ControlRefusal())
                        }
                    }
                    return ControlServer.peerUID(channel).flatMapThrowing { uid in
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(LineFramer(maxLineBytes: ControlServer.maxRequestBytes)),
                            ControlConnectionHandler(uid: uid, timeout: timeout, serve: serve),
                        ])
                    }
                }
                .bind(unixDomainSocketPath: temporary).get()
        } catch {
            throw Failure(description: "cannot listen on \(path): \(error)")
        }
        guard chmod(temporary, 0o660) == 0, rename(temporary, path) == 0 else {
            let e = errno
            try? await channel.close()
            unlink(temporary)
            throw Failure(description: "cannot put the control socket at \(path): \(String(cString: strerror(e)))")
        }
        listener.withLockedValue { $0 = channel }
        logger.info("control socket listening", metadata: ["control.socket": "\(path)"])
    }

    public func stop() async {
        guard let channel = listener.withLockedValue({ c -> (any Channel)? in
            defer { c = nil }
            return c
        }) else { return }
        try? await channel.close()
        unlink(path)
    }

    static func line(_ o: JSONObject) -> [UInt8] { Array((o.jsonText + "\n").utf8) }

    /// struct ucred (Linux): pid, uid, gid. Glibc's module hides it behind _GNU_SOURCE.
    struct PeerCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The connecting process's uid, from SO_PEERCRED (nil if the kernel does not say).
    static func peerUID(_ channel: any Channel) -> EventLoopFuture<UInt32?> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return future.map { Optional($0.uid) }.recover { _ in nil }
    }

    /// A uid's user name (or `uid:N`). A directory lookup that may block (NSS), so it runs on
    /// the thread pool with the request, not on the event loop.
    static func userName(_ uid: UInt32?) -> String {
        guard let uid else { return "unknown" }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var storage = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &storage, storage.count, &result) == 0, let result, let name = result.pointee.pw_name {
            return String(cString: name)
        }
        return "uid:\(uid)"
    }
}
