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

/// Runs one connection's `Session` over the channel. Request order, reply slots, backpressure
/// and draining live in `ConnectionStateMachine` (a value, events in, actions out); this
/// handler runs the session and the store for each request the machine hands it, and carries
/// out the machine's actions on the channel.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let state: ServerState
    private var logger: Logger
    private var session = Session()
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

    private let flags: ConnectionFlags
    /// The stored hash of the token this connection authenticated with.
    private var tokenHash: [UInt8]?

    /// Mutual TLS: AUTH must name a gateway that the client certificate names.
    private let requireClientCertificate: Bool
    /// The peer's address: the key of the budget for requests before AUTH.
    private let peer: String
    /// Called once, when the connection authenticates.
    private let onAuthenticated: () -> Void

    init(
        state: ServerState, flags: ConnectionFlags, requireClientCertificate: Bool = false,
        peer: String = "?", onAuthenticated: @escaping () -> Void = {}, logger: Logger
    ) {
        self.peer = peer
        self.onAuthenticated = onAuthenticated
        self.requireClientCertificate = requireClientCertificate
        self.state = state
        self.flags = flags
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        var greeting = context.channel.allocator.buffer(capacity: 64)
        greeting.writeString(Reply.greeting(serverName: state.serverName) + "\n")
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
            drain()
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
    private func certificateNames() -> Set<String> {
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
        guard let gateway = session.gateway, tokens.hashes[gateway.id] != tokenHash, let context else { return }
        logger.notice("closing connection: the gateway's token was revoked or replaced")
        context.close(promise: nil)
    }

    /// Stop taking requests: answer what is pending, refuse what comes, then close.
    private func drain() {
        perform(machine.drain())
    }

    /// Carries out the machine's actions: replies written in order (flushed unless a drain of
    /// the inbox holds the flush), a close after the last reply, or a close.
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
            case .refuse: append(.error(.unavailable, "server is shutting down; retry later"))
            case let .handle(frame): handle(frame)
            }
        }
        if machine.closing, !flags.closing {
            // The last reply is decided: stop reading. What the peer still sends stays in the
            // kernel's buffer (its window closes) and is discarded with the connection.
            flags.closing = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        // Pause reading while requests wait; resume once they are all handled.
        if let pause = machine.readingChange() {
            context.channel.setOption(ChannelOptions.autoRead, value: !pause).whenFailure { _ in }
            if !pause { context.read() }
        }
    }

    private func handle(_ frame: InboundFrame) {
        let action: SessionAction
        switch frame {
        case .tooLong:
            action = session.lineTooLong(limit: state.maxLineBytes)
        case let .line(bytes):
            let snapshot = state.snapshot
            let env = SessionEnvironment(
                serverName: state.serverName, directory: snapshot.directory, tokens: snapshot.tokens, now: state.clock.now(),
                certificateNames: requireClientCertificate ? certificateNames() : nil)
            let wasAuthenticated = session.gateway != nil
            if let gateway = session.gateway, !Self.isBlank(bytes), !state.rateLimiter.allow(gateway.id) {
                action = .reply(.error(.rateLimited, "too many requests from \(gateway.id); retry later"))
            } else if session.gateway == nil, !Self.isBlank(bytes), !state.preAuthLimiter.allow(peer) {
                // Work before AUTH is budgeted per address: beyond it the connection is closed,
                // so that clients without a token cannot take the daemon's CPU.
                logger.notice("closing connection: too many requests before AUTH from this address")
                action = .replyAndClose(.error(.rateLimited, "too many requests before AUTH from \(peer); retry later"))
            } else {
                action = session.receive(line: bytes, environment: env)
            }
            if !wasAuthenticated, let gateway = session.gateway {
                flags.authenticated = true
                onAuthenticated()
                tokenHash = snapshot.tokens.hashes[gateway.id]
                logger[metadataKey: "gateway"] = "\(gateway.id)"
                logger.info("gateway authenticated")
            }
        }
        switch action {
        case .none:
            break
        case let .reply(reply):
            append(reply)
        case let .replyAndClose(reply):
            append(reply, closeAfter: true)
        case let .delayedReply(reply, milliseconds, close):
            if close { logger.notice("closing after repeated authentication failures") }
            let seq = machine.reserveDelayed(closing: close)
            let bound = NIOLoopBound(self, eventLoop: context!.eventLoop)
            context!.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                bound.value.fill(seq, reply, closeAfter: close, endsDelay: true)
            }
        case let .report(request, gateway):
            let snapshot = state.snapshot
            let logger = self.logger
            let metrics = state.metrics
            let readAt = NIODeadline.now()
            let completion = durableWrite(render: { Reply.okText($0.text) }) { (result: Result<IntakeReceipt, HLPError>) in
                metrics.report(outcome: result, nanoseconds: (NIODeadline.now() - readAt).nanoseconds)
                switch result {
                case let .success(receipt):
                    logger.info(
                        "report stored",
                        metadata: [
                            "incident": "\(receipt.incident)", "severity": "\(receipt.severity)",
                            "duplicate": "\(receipt.duplicate)",
                        ])
                case let .failure(error):
                    logger.notice("report refused", metadata: ["code": "\(error.code.rawValue)"])
                }
            }
            state.store.submit(
                IntakeJob(
                    request: request, gateway: gateway, directory: snapshot.directory, deadlines: snapshot.deadlines,
                    receivedAt: state.clock.now(), shelterCap: state.maxShelterPerCommune, completion: completion))
        case let .caseAction(incident, action, gateway):
            let snapshot = state.snapshot
            let logger = self.logger
            let completion = durableWrite(render: { Reply.ok($0) }) { (result: Result<JSONObject, HLPError>) in
                switch result {
                case .success:
                    logger.info("case updated", metadata: ["incident": "\(incident)", "verb": "\(action.verb)"])
                case let .failure(error):
                    logger.notice("case action refused", metadata: ["verb": "\(action.verb)", "code": "\(error.code.rawValue)"])
                }
            }
            state.store.submit(
                CaseJob(
                    incident: incident, action: action, gateway: gateway, deadlines: snapshot.deadlines,
                    directory: snapshot.directory, completion: completion))
        case let .status(incident, gateway):
            // STATUS shows the commune's own personal data: the read is audited (gateway, peer,
            // time, incident) in the writer's transaction, and answered after the commit. Going
            // through the writer also orders it after this connection's earlier writes.
            let completion = durableWrite(render: { Reply.ok($0) }) { (_: Result<JSONObject, HLPError>) in }
            state.store.submit(
                AuditedRead(
                    incident: incident, gateway: gateway, peer: peer, operatorName: nil, at: state.clock.now(),
                    completion: completion))
        }
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

    /// Takes a reply slot for a write that goes through the store, and returns the completion
    /// the writer calls once the write is durable (or failed). The completion only hops to the
    /// event loop: logging, metrics and rendering the reply happen there, not on the writer.
    private func durableWrite<Success: Sendable>(
        render: @escaping @Sendable (Success) -> Reply,
        log: @escaping @Sendable (Result<Success, HLPError>) -> Void
    ) -> @Sendable (Result<Success, HLPError>) -> Void {
        let seq = machine.reserve()
        let bound = NIOLoopBound(self, eventLoop: context!.eventLoop)
        let eventLoop = context!.eventLoop
        let inbox = self.inbox
        return { result in
            let first = inbox.push {
                log(result)
                let reply: Reply
                switch result {
                case let .success(value): reply = render(value)
                case let .failure(error): reply = .err(error)
                }
                return (seq, reply)
            }
            if first { eventLoop.execute { bound.value.drainInbox() } }
        }
    }

    /// Fills the slots of every completion that arrived, then flushes once.
    private func drainInbox() {
        holdingFlush = true
        for item in inbox.takeAll() {
            let (seq, reply) = item()
            fill(seq, reply)
        }
        holdingFlush = false
        context?.flush()
    }

    private static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    private func append(_ reply: Reply, closeAfter: Bool = false) {
        perform(machine.reply(reply.line, closeAfter: closeAfter))
    }

    /// A reply for a slot taken earlier; then requests that waited for it may go on.
    private func fill(_ seq: Int, _ reply: Reply, closeAfter: Bool = false, endsDelay: Bool = false) {
        guard context != nil else { return }
        perform(machine.fill(seq, reply.line, closeAfter: closeAfter, endsDelay: endsDelay))
        processWaiting()
    }
}

/// Completions handed from the store's writer to one connection's event loop. `push` says
/// whether the inbox was empty (then the caller schedules one drain for all that follow).
final class CompletionInbox: Sendable {
    typealias Item = @Sendable () -> (Int, Reply)
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
