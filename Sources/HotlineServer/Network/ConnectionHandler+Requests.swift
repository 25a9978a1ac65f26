import HotlineCore
import HotlineStore
import Logging
import NIOCore

/// A request line's way through the connection: admitted against the rate limits, answered by
/// the session, and, when it must be durable, submitted to the store with a completion that
/// logs, counts and fills its reply slot.
extension ConnectionHandler {
    /// What the session (or a limit) decides for one framed line.
    func sessionAction(for frame: InboundFrame) -> SessionAction {
        guard case let .line(bytes) = frame else { return session.lineTooLong(limit: shared.maxLineBytes) }
        if let refusal = admission(bytes) { return refusal }
        let snapshot = shared.snapshot
        let environment = SessionEnvironment(
            serverName: shared.serverName, directory: snapshot.directory, tokens: snapshot.tokens, now: shared.clock.now(),
            certificateNames: requireClientCertificate ? certificateNames() : nil)
        let wasAuthenticated = isAuthenticated
        let action = session.receive(line: bytes, environment: environment)
        if !wasAuthenticated, let gateway = session.gateway {
            onAuthenticated()
            logger[metadataKey: "gateway"] = "\(gateway.id)"
            logger.info("gateway authenticated")
        }
        return action
    }

    /// The rate limits: per gateway once authenticated; per peer address before AUTH, where the
    /// budget spent closes the connection, so that clients without a token cannot take the
    /// daemon's CPU. Blank lines cost nothing.
    private func admission(_ bytes: [UInt8]) -> SessionAction? {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return nil }
        if let gateway = session.gateway {
            guard !shared.rateLimiter.allow(gateway.id) else { return nil }
            return .reply(.error(.rateLimited, "too many requests from \(gateway.id); retry later"))
        }
        guard !shared.preAuthLimiter.allow(peer) else { return nil }
        logger.notice("closing connection: too many requests before AUTH from this address")
        return .replyAndClose(.error(.rateLimited, "too many requests before AUTH from \(peer); retry later"))
    }

    /// Submits a durable request; its answer fills slot `seq`.
    func submit(_ request: DurableRequest, filling seq: Int, on eventLoop: any EventLoop) {
        let snapshot = shared.snapshot
        let logger = self.logger
        switch request {
        case let .report(request, gateway):
            let metrics = shared.metrics
            let readAt = NIODeadline.now()
            let completion = completion(filling: seq, on: eventLoop, render: { Reply.okText($0.text) }) {
                (result: Result<IntakeReceipt, StoreError>) in
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
                    logger.notice("report refused", metadata: ["code": "\(error.wire.code.rawValue)"])
                }
            }
            shared.requests.submit(
                IntakeJob(
                    request: request, gateway: gateway, directory: snapshot.directory, deadlines: snapshot.deadlines,
                    receivedAt: shared.clock.now(), shelterCap: shared.maxShelterPerCommune, completion: completion))
        case let .caseAction(incident, action, gateway):
            let completion = completion(filling: seq, on: eventLoop, render: { Reply.ok($0.object) }) {
                (result: Result<CaseOutcome, StoreError>) in
                switch result {
                case .success:
                    logger.info("case updated", metadata: ["incident": "\(incident)", "verb": "\(action.verb)"])
                case let .failure(error):
                    logger.notice("case action refused", metadata: ["verb": "\(action.verb)", "code": "\(error.wire.code.rawValue)"])
                }
            }
            shared.requests.submit(
                CaseJob(
                    incident: incident, action: action, gateway: gateway, deadlines: snapshot.deadlines,
                    directory: snapshot.directory, completion: completion))
        case let .status(incident, gateway):
            // STATUS shows the commune's own personal data: the read is audited (gateway, peer,
            // time, incident) in the writer's transaction, and answered after the commit. Going
            // through the writer also orders it after this connection's earlier writes.
            let completion = completion(filling: seq, on: eventLoop, render: { Reply.ok($0.object(showingPersonalData: true)) }) {
                (_: Result<IncidentView, StoreError>) in
            }
            shared.requests.submit(
                AuditedRead(
                    incident: incident, gateway: gateway, peer: peer, operatorName: nil, at: shared.clock.now(),
                    completion: completion))
        }
    }
}
