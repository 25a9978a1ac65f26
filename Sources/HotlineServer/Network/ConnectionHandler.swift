import HotlineCore
import HotlineStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import X509
import NIOTLS

/// What the handlers in front of the connection handler (the guard, the framer) ask about the
/// connection. Answered from the one place that knows: the session and the state machine.
protocol ConnectionStatus: AnyObject {
    /// AUTH succeeded (the guard's deadline for AUTH no longer applies).
    var isAuthenticated: Bool { get }
    /// The last reply is decided: nothing the peer sends from now on is framed. (A flood of
    /// pipelined requests on a closing connection used to be framed line by line for its last
    /// 2 s, most of the daemon's CPU under a PING flood, perf.)
    var isClosing: Bool { get }
}

/// Performs one connection's actions on the channel. What to do is decided elsewhere: the
/// `Session` (pure) answers each line, the `ConnectionStateMachine` (a value) orders replies,
/// paces reading and ends the connection; this handler writes, submits durable requests to the
/// `RequestSink`, schedules delayed replies and pauses, stops or closes as they say.
final class ConnectionHandler: ChannelInboundHandler, ConnectionStatus {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    let shared: IntakeContext
    var logger: Logger
    var session = Session()
    private var context: ChannelHandlerContext?
    private var machine = ConnectionStateMachine(maxPending: HLPDefaults.maxPipelinedRequests)
    var readingPaused: Bool { machine.readingPaused }
    /// `processWaiting` is on the stack: a reply filled meanwhile does not re-enter it (the loop
    /// goes on), so a backlog of immediate replies is handled iteratively, not recursively.
    private var processing = false
    /// Store completions waiting for this connection's event loop: filled by the writer,
    /// drained in one hop per batch (one flush for all their replies, not one each).
    private let inbox = CompletionInbox()
    /// While draining the inbox, replies are written but not flushed.
    private var holdingFlush = false

    /// Mutual TLS: AUTH must name a gateway that the client certificate names.
    let requireClientCertificate: Bool
    /// The peer's address: the key of the budget for requests before AUTH.
    let peer: String
    /// Called once, when the connection authenticates.
    let onAuthenticated: () -> Void

    init(
        shared: IntakeContext, requireClientCertificate: Bool = false,
        peer: String = "?", onAuthenticated: @escaping () -> Void = {}, logger: Logger
    ) {
        self.peer = peer
        self.onAuthenticated = onAuthenticated
        self.requireClientCertificate = requireClientCertificate
        self.shared = shared
        self.logger = logger
    }

    var isAuthenticated: Bool { session.gateway != nil }
    var isClosing: Bool { machine.closing }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        var greeting = context.channel.allocator.buffer(capacity: 64)
        greeting.writeString(Reply.greeting(serverName: shared.serverName) + "\n")
        context.writeAndFlush(wrapOutboundOut(greeting), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        machine.enqueue(unwrapInboundIn(data))
        processWaiting()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        processWaiting()
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if requireClientCertificate, let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            peerNames = readCertificateNames()
        }
        // Shutdown (NIOExtras' quiescing, from the listener): answer what is pending, refuse
        // what comes, then close.
        if event is ChannelShouldQuiesceEvent {
            perform(machine.drain())
            return
        }
        // The peer finished sending (shutdown of its write side): answer what it sent, then close.
        if let event = event as? ChannelEvent, event == .inputClosed {
            perform(machine.peerClosedInput())
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The authenticated gateway's id, if any.
    var gatewayID: String? { session.gateway?.id }

    /// The client certificate's DNS names, read once when the TLS handshake completes.
    private var peerNames: Set<String>?

    /// The DNS names of the client certificate (gateway ids), empty without one.
    func certificateNames() -> Set<String> {
        if let peerNames { return peerNames }
        let names = readCertificateNames()
        peerNames = names
        return names
    }

    private func readCertificateNames() -> Set<String> {
        guard let context, let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
            let certificate = tls.peerCertificate
        else { return [] }
        // Through swift-certificates (NIOSSL's public API does not give the SAN): the DER the
        // handshake verified, parsed once.
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der),
            let alternatives = try? parsed.extensions.subjectAlternativeNames
        else { return [] }
        var names = Set<String>()
        for case let .dnsName(name) in alternatives { names.insert(name) }
        return names
    }

    /// After a reload: a connection whose gateway's token was revoked or replaced is closed.
    func checkToken(_ tokens: GatewayTokens) {
        guard !session.tokenStillValid(in: tokens), let context else { return }
        logger.notice("closing connection: the gateway's token was revoked or replaced")
        context.close(promise: nil)
    }

    /// Carries out the machine's actions in order; a close ends them.
    private func perform(_ outputs: [ConnectionStateMachine.Output]) {
        guard let context, !outputs.isEmpty else { return }
        var wrote = false
        for output in outputs {
            switch output {
            case let .write(line):
                var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
                buffer.writeString(line)
                buffer.writeInteger(UInt8(ascii: "\n"))
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            case let .persist(seq, request):
                submit(request, filling: seq, on: context.eventLoop)
            case let .delay(seq, line, milliseconds, close):
                if close { logger.notice("closing after repeated authentication failures") }
                let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                    bound.value.fill(seq, line, closeAfter: close, endsDelay: true)
                }
            case .pauseReading, .stopReading:
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            case .resumeReading:
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                context.read()
            case .closeAfterLastReply:
                closeAfterLastReply(context)
                return
            case .close:
                context.flush()  // replies written while a drain held the flush go out before the close
                context.close(promise: nil)
                return
            }
        }
        if wrote, !holdingFlush { context.flush() }
    }

    private func processWaiting() {
        guard !processing, let context else { return }
        processing = true
        defer { processing = false }
        while let next = machine.next(writable: context.channel.isWritable) {
            switch next {
            case .refuse: perform(machine.respond(.reply(.error(.unavailable, "server is shutting down; retry later"))))
            case let .handle(frame): perform(machine.respond(sessionAction(for: frame)))
            }
        }
        perform(machine.readingActions())
    }

    /// Sends FIN after the last reply and discards whatever the peer still sends, so that a
    /// reset cannot destroy the reply before the peer reads it; closes fully when the peer
    /// closes, or after a grace period.
    private func closeAfterLastReply(_ context: ChannelHandlerContext) {
        context.flush()
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// The completion the writer calls once a request of slot `seq` is durable (or failed). It
    /// only hops to the event loop: logging, metrics and rendering the reply happen there, not on
    /// the writer.
    func completion<Success: Sendable>(
        filling seq: Int, on eventLoop: any EventLoop,
        render: @escaping @Sendable (Success) -> Reply,
        log: @escaping @Sendable (Result<Success, StoreError>) -> Void
    ) -> @Sendable (Result<Success, StoreError>) -> Void {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let inbox = self.inbox
        return { result in
            let first = inbox.push {
                log(result)
                switch result {
                case let .success(value): return (seq, render(value).line)
                case let .failure(error): return (seq, Reply.err(error.wire).line)
                }
            }
            if first { eventLoop.execute { bound.value.drainInbox() } }
        }
    }

    /// Fills the slots of every completion that arrived, then flushes once.
    private func drainInbox() {
        holdingFlush = true
        for item in inbox.takeAll() {
            let (seq, line) = item()
            fill(seq, line)
        }
        holdingFlush = false
        context?.flush()
    }

    /// A reply for a slot taken earlier; then requests that waited for it may go on.
    private func fill(_ seq: Int, _ line: String, closeAfter: Bool = false, endsDelay: Bool = false) {
        guard context != nil else { return }
        perform(machine.fill(seq, line, closeAfter: closeAfter, endsDelay: endsDelay))
        processWaiting()
    }
}

/// Completions handed from the store's writer to one connection's event loop. `push` says
/// whether the inbox was empty (then the caller schedules one drain for all that follow).
final class CompletionInbox: Sendable {
    typealias Item = @Sendable () -> (Int, String)
    private let items = NIOLockedValueBox<[Item]>([])

    func push(_ item: @escaping Item) -> Bool {
        items.withLockedValue {
            $0.append(item)
            return $0.count == 1
        }
    }

    func takeAll() -> [Item] {
        items.withLockedValue {
            let all = $0
            $0 = []
            return all
        }
    }
}
