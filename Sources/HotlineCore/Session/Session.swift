/// What the server needs from its surroundings to answer one line. A snapshot: a reload
/// swaps it between lines, never during one.
public struct SessionEnvironment: Sendable {
    public var serverName: String
    public var directory: Directory
    public var tokens: GatewayTokens
    public var now: Timestamp
    /// With mutual TLS: the gateway ids the client certificate names. AUTH succeeds only for
    /// one of them. `nil` when no client certificate is required.
    public var certificateNames: Set<String>?

    public init(
        serverName: String, directory: Directory, tokens: GatewayTokens, now: Timestamp,
        certificateNames: Set<String>? = nil
    ) {
        self.serverName = serverName
        self.directory = directory
        self.tokens = tokens
        self.now = now
        self.certificateNames = certificateNames
    }
}

/// What the connection must do after a line.
public enum SessionAction: Sendable, Equatable {
    /// Nothing: a blank line, or a line after QUIT.
    case none
    case reply(Reply)
    /// Send the reply after a pause (repeated AUTH failures), then close if asked.
    case delayedReply(Reply, milliseconds: Int64, close: Bool)
    /// Send the reply, then close the connection.
    case replyAndClose(Reply)
    /// Hand the request to the store; reply once it is durable (or has failed).
    case persist(DurableRequest)
}

/// A request the store must make durable before it is answered.
public enum DurableRequest: Sendable, Equatable {
    /// Store the report, then reply with its receipt.
    case report(ReportRequest, gateway: Hotline)
    /// STATUS: the read is audited in the writer's transaction, answered after the commit.
    case status(incident: String, gateway: Hotline)
    /// Apply ACK, ATTEND, CLOSE or RETRACT durably, then reply.
    case caseAction(incident: String, CaseAction, gateway: Hotline)
}

/// The protocol state of one connection (hotline-protocol(7)). Pure: lines in, actions out.
public struct Session: Sendable {
    /// The connection's authentication, in one place: the gateway it authenticated as and the
    /// stored hash of the token it used (a reload that revokes or replaces that token ends it).
    public struct Login: Sendable, Equatable {
        public var gateway: Hotline
        public var tokenHash: [UInt8]?
    }

    public private(set) var login: Login?
    public var gateway: Hotline? { login?.gateway }
    public private(set) var authFailures = 0
    /// After QUIT, or after the connection was told to close.
    public private(set) var isClosed = false

    public init() {}

    public mutating func receive(line: some Collection<UInt8>, environment env: SessionEnvironment) -> SessionAction {
        guard !isClosed else { return .none }
        switch CommandParser.head(line) {
        case .blank:
            return .none
        case let .failure(error):
            return .reply(.err(error))
        case let .verb(verb, arguments):
            if gateway == nil, !verb.allowedBeforeAuth {
                return .reply(.error(.authRequired, "AUTH first"))
            }
            // The common REPORT in one pass over its bytes; anything else (and every error)
            // through the general parser and validator.
            if verb == .report, let gateway,
                let request = ReportFastPath.validate(
                    arguments, commune: gateway.communeCode, directory: env.directory, now: env.now)
            {
                return .persist(.report(request, gateway: gateway))
            }
            let command: Command
            do {
                command = try CommandParser.command(verb, arguments: arguments)
            } catch {
                return .reply(.err(error))
            }
            return handle(command, env)
        }
    }

    /// Whether the token this session authenticated with is still the gateway's in `tokens`
    /// (true before AUTH: there is nothing to revoke).
    public func tokenStillValid(in tokens: GatewayTokens) -> Bool {
        guard let login else { return true }
        return tokens.hashes[login.gateway.id] == login.tokenHash
    }

    /// The line was longer than the limit; its bytes were discarded.
    public mutating func lineTooLong(limit: Int) -> SessionAction {
        guard !isClosed else { return .none }
        return .reply(.error(.tooLong, "line longer than \(limit) bytes"))
    }

    private mutating func handle(_ command: Command, _ env: SessionEnvironment) -> SessionAction {
        switch command {
        case .ping:
            return .reply(.ok(["pong": true]))
        case .quit:
            isClosed = true
            return .replyAndClose(.ok(["bye": true]))
        case let .auth(id, token):
            return authenticate(id, token, env)
        case let .report(object):
            guard let gateway else { return .reply(.error(.authRequired, "AUTH first")) }
            do {
                let request = try ReportValidator.validate(
                    object, commune: gateway.communeCode, directory: env.directory, now: env.now)
                return .persist(.report(request, gateway: gateway))
            } catch {
                return .reply(.err(error))
            }
        case let .status(incident):
            guard let gateway else { return .reply(.error(.authRequired, "AUTH first")) }
            return .persist(.status(incident: incident, gateway: gateway))
        case let .ack(incident, body), let .attend(incident, body):
            guard let gateway else { return .reply(.error(.authRequired, "AUTH first")) }
            var attend = false
            if case .attend = command { attend = true }
            do {
                let action = try CaseActionValidator.ack(body, directory: env.directory, now: env.now, attend: attend)
                return .persist(.caseAction(incident: incident, action, gateway: gateway))
            } catch {
                return .reply(.err(error))
            }
        case let .close(incident, body):
            guard let gateway else { return .reply(.error(.authRequired, "AUTH first")) }
            do {
                return .persist(.caseAction(incident: incident, try CaseActionValidator.close(body, now: env.now), gateway: gateway))
            } catch {
                return .reply(.err(error))
            }
        case let .retract(incident, body):
            guard let gateway else { return .reply(.error(.authRequired, "AUTH first")) }
            do {
                return .persist(.caseAction(incident: incident, try CaseActionValidator.retract(body, now: env.now), gateway: gateway))
            } catch {
                return .reply(.err(error))
            }
        }
    }

    private mutating func authenticate(_ id: String, _ token: String, _ env: SessionEnvironment) -> SessionAction {
        let valid = env.tokens.verify(gateway: id, token: token) && (env.certificateNames?.contains(id) ?? true)
        if valid, let hotline = env.directory.hotlines[id] {
            if let current = gateway, current.id != hotline.id {
                return .reply(.error(.conflict, "already authenticated as \(current.id)"))
            }
            login = Login(gateway: hotline, tokenHash: env.tokens.hashes[hotline.id])
            let commune = env.directory.communes[hotline.communeCode]
            return .reply(
                .ok([
                    "gateway": .string(hotline.id), "commune": .string(hotline.communeCode),
                    "name": .string(commune?.name ?? hotline.name), "server": .string(env.serverName),
                    "protocol": JSONValue(HLPDefaults.protocolVersion),
                ]))
        }
        authFailures += 1
        let reply = Reply.error(.authFailed, "wrong gateway or token")
        if authFailures >= HLPDefaults.authCloseAt {
            isClosed = true
            return .delayedReply(reply, milliseconds: HLPDefaults.authFailureDelayMilliseconds, close: true)
        }
        if authFailures >= HLPDefaults.authDelayFrom {
            return .delayedReply(reply, milliseconds: HLPDefaults.authFailureDelayMilliseconds, close: false)
        }
        return .reply(reply)
    }
}
