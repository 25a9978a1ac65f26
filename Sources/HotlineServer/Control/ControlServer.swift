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
    private let maxConnections: Int
    private let timeout: TimeAmount
    private let slots: ConnectionSlots
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)

    /// Longest request line.
    static let maxRequestBytes = 65_536

    public init(
        path: String, maxConnections: Int = 16, timeoutSeconds: Int64 = 60, logger: Logger,
        serve: @escaping @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    ) {
        self.maxConnections = maxConnections
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
        let maxConnections = self.maxConnections, timeout = self.timeout
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

/// A connection over the cap: one error line, then closed.
final class ControlRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) { refuse(context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        let line = ControlServer.line(["error": "too many operator connections; retry later", "code": "unavailable"])
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: line))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

/// One operator connection: a request line in, its answer out, then the next. While a request
/// runs, reading is paused, so a pipelining client cannot queue work without bound. A request
/// must arrive whole within the timeout (from connect, or from the last answer), so neither an
/// idle nor a trickling client holds a place.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let uid: UInt32?
    private let serve: @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    private var user: String?
    private var pending: [InboundFrame] = []
    private var busy = false
    private var deadline: RequestDeadline

    init(
        uid: UInt32?, timeout: TimeAmount,
        serve: @escaping @Sendable (Result<ControlRequest, HLPError>, String) async -> JSONObject
    ) {
        self.uid = uid
        self.deadline = RequestDeadline(timeout)
        self.serve = serve
    }

    func handlerAdded(context: ChannelHandlerContext) { deadline.arm(context) }

    func handlerRemoved(context: ChannelHandlerContext) { deadline.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        next(context)
    }

    private func next(_ context: ChannelHandlerContext) {
        guard !busy else { return }
        guard !pending.isEmpty else {
            deadline.arm(context)
            return
        }
        deadline.cancel()
        let frame = pending.removeFirst()
        guard case let .line(line) = frame else {
            let reply = ControlServer.line(["error": "request too long", "code": "too-long"])
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: reply))).whenComplete { _ in
                channel.close(promise: nil)
            }
            pending.removeAll()
            return
        }
        busy = true
        context.channel.setOption(.autoRead, value: false).whenFailure { _ in }
        let request = ControlRequest.decode(line)
        let serve = self.serve, uid = self.uid, known = self.user
        let promise = context.eventLoop.makePromise(of: (String, JSONObject).self)
        promise.completeWithTask {
            let user: String
            if let known {
                user = known
            } else {
                user = (try? await NIOThreadPool.singleton.runIfActive { ControlServer.userName(uid) }) ?? "unknown"
            }
            return (user, await serve(request, user))
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.busy = false
            switch result {
            case let .success((user, reply)):
                handler.user = user
                context.writeAndFlush(handler.wrapOutboundOut(context.channel.allocator.buffer(bytes: ControlServer.line(reply))), promise: nil)
            case .failure:
                context.writeAndFlush(
                    handler.wrapOutboundOut(
                        context.channel.allocator.buffer(bytes: ControlServer.line(["error": "internal error", "code": "internal"]))),
                    promise: nil)
            }
            context.channel.setOption(.autoRead, value: true).whenFailure { _ in }
            handler.next(context)
        }
    }
}
