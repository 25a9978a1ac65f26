import Foundation
import HotlineCore
import HotlineStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// What the dashboard needs of the daemon, as closures (tests give their own).
struct DashboardBackend: Sendable {
    let sessions: DashboardSessions
    /// The operator list as it is now on disk (read at each login: `hotlinectl operator add`
    /// takes effect without a reload).
    let operators: @Sendable () throws -> OperatorPasswords
    /// The dashboard's JSON for an operator's session (blocking: called on the thread pool).
    let data: @Sendable (_ operatorName: String, _ csrf: String) throws -> [UInt8]
    /// Records an audit entry durably; the completion runs once it is committed (or failed).
    let audit: @Sendable (_ actor: String, _ peer: String?, _ action: String, _ done: @escaping @Sendable (Bool) -> Void) -> Void
}

/// The province dashboard: a read-only web page for operators on its own listener, on the same
/// SwiftNIO stack as the others. Loopback by default (an SSH tunnel reaches it); TLS on any
/// other address. Every response carries a strict Content-Security-Policy, no framing and no
/// caching; logins are CSRF-proof and throttled; sessions expire; logins and views are audited.
public final class DashboardServer: Service, Sendable {
    public let serviceName = "dashboard-http"
    private let host: String
    private let port: Int
    private let tls: NIOSSLContext?
    private let backend: DashboardBackend
    private let logger: Logger
    private let bound: EventLoopPromise<Int>
    private let slots: ConnectionSlots
    private let timeout: TimeAmount

    init(
        host: String, port: Int, tls: NIOSSLContext?, maxConnections: Int = 64, timeoutSeconds: Int64 = 30,
        backend: DashboardBackend, logger: Logger
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.backend = backend
        self.logger = logger
        self.slots = ConnectionSlots(limit: maxConnections)
        self.timeout = .seconds(timeoutSeconds)
        self.bound = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int.self)
    }

    public func listeningPort() async throws -> Int { try await bound.futureResult.get() }

    public func run() async throws {
        let backend = self.backend, slots = self.slots, timeout = self.timeout, logger = self.logger, tls = self.tls
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    guard slots.admit(channel) else { return channel.close() }
                    return channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            DashboardHandler(backend: backend, timeout: timeout, logger: logger))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            logger.error("no dashboard; intake continues", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let actual = channel.localAddress?.port ?? port
        bound.succeed(actual)
        logger.notice(
            "dashboard listening",
            metadata: ["dashboard.host": "\(host)", "dashboard.port": "\(actual)", "dashboard.tls": "\(tls != nil)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// One HTTP connection of the dashboard.
final class DashboardHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest request body (the login form).
    static let maxBody = 8192
    /// A failed login is answered this late.
    static let failureDelay: TimeAmount = .seconds(1)
    /// One password check at a time, daemon-wide: scrypt's memory stays bounded under a flood.
    static let kdfLock = NIOLock()

    let backend: DashboardBackend
    let logger: Logger
    var deadline: RequestDeadline
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var tooLarge = false
    var busy = false

    init(backend: DashboardBackend, timeout: TimeAmount, logger: Logger) {
        self.backend = backend
        self.logger = logger
        self.deadline = RequestDeadline(timeout)
    }

    func handlerAdded(context: ChannelHandlerContext) { deadline.arm(context) }
    func handlerRemoved(context: ChannelHandlerContext) { deadline.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(h):
            head = h
            body = []
            tooLarge = false
        case var .body(buffer):
            if body.count + buffer.readableBytes > Self.maxBody {
                tooLarge = true
            } else {
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let head, !busy else { return }
            self.head = nil
            if tooLarge { return respond(context, head, .payloadTooLarge, text: "request too large\n") }
            route(context, head, body)
        }
    }

    // MARK: Routing

    private func route(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ body: [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let cookies = Self.cookies(head.headers)
        let peer = context.channel.remoteAddress?.ipAddress
        switch (head.method, path) {
        case (.GET, "/login"):
            loginPage(context, head, status: .ok, message: nil)
        case (.POST, "/login"):
            login(context, head, form: Self.form(body), cookies: cookies, peer: peer)
        case (.GET, "/"):
            guard let (_, session) = session(cookies) else { return redirect(context, head, to: "/login") }
            // A view is recorded before it is shown.
            let backend = self.backend
            deferred(context) { done in
                backend.audit(session.operatorName, peer, "view") { ok in done(ok) }
            } then: { handler, context, ok in
                guard ok else { return handler.respond(context, head, .serviceUnavailable, text: "cannot record the view now; retry\n") }
                handler.respond(context, head, .ok, type: "text/html; charset=utf-8", body: Array(DashboardAssets.page.utf8))
            }
        case (.GET, "/assets/app.js"):
            respond(context, head, .ok, type: "text/javascript; charset=utf-8", body: Array(DashboardAssets.script.utf8))
        case (.GET, "/assets/app.css"):
            respond(context, head, .ok, type: "text/css; charset=utf-8", body: Array(DashboardAssets.style.utf8))
        case (.GET, "/api/dashboard"):
            guard let (id, session) = session(cookies) else {
                return respond(context, head, .unauthorized, type: "application/json", body: Array(#"{"error":"login required"}"#.utf8))
            }
            let backend = self.backend
            enum Outcome: Sendable { case data([UInt8]), removed, unavailable }
            deferred(context) { done in
                // An operator removed from the file (hotlinectl operator remove) loses the page at
                // its next refresh, not at the session's expiry.
                guard (try? backend.operators())?.entries[session.operatorName] != nil else { return done(Outcome.removed) }
                done((try? backend.data(session.operatorName, session.csrf)).map(Outcome.data) ?? .unavailable)
            } then: { handler, context, outcome in
                switch outcome {
                case let .data(json): handler.respond(context, head, .ok, type: "application/json", body: json)
                case .removed:
                    backend.sessions.end(id)
                    handler.respond(context, head, .unauthorized, type: "application/json", body: Array(#"{"error":"login required"}"#.utf8))
                case .unavailable: handler.respond(context, head, .serviceUnavailable, text: "cannot read the store now\n")
                }
            }
        case (.POST, "/logout"):
            guard let (id, session) = session(cookies) else { return redirect(context, head, to: "/login") }
            guard Self.form(body)["csrf"].map({ OperatorPasswords.constantTimeEqual(Array($0.utf8), Array(session.csrf.utf8)) }) == true,
                sameOrigin(head)
            else { return respond(context, head, .forbidden, text: "forbidden\n") }
            backend.sessions.end(id)
            backend.audit(session.operatorName, peer, "logout") { _ in }
            redirect(context, head, to: "/login", cookies: [Self.cookie("hotline_session", "", maxAge: 0)])
        case (_, "/login"), (_, "/"), (_, "/logout"), (_, "/api/dashboard"), (_, "/assets/app.js"), (_, "/assets/app.css"):
            respond(context, head, .methodNotAllowed, text: "method not allowed\n")
        default:
            respond(context, head, .notFound, text: "not found\n")
        }
    }

    private func session(_ cookies: [String: String]) -> (String, DashboardSessions.Session)? {
        guard let id = cookies["hotline_session"], let s = backend.sessions.use(id) else { return nil }
        return (id, s)
    }

    /// A request that changes state must come from our own page: an Origin header, when the
    /// browser sends one, must be this server's.
    private func sameOrigin(_ head: HTTPRequestHead) -> Bool {
        guard let origin = head.headers.first(name: "origin") else { return true }
        guard let host = head.headers.first(name: "host") else { return false }
        return origin == "http://" + host || origin == "https://" + host
    }

    private func loginPage(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, message: String?,
        retryAfter: Int64? = nil
    ) {
        let token = backend.sessions.newLoginToken()
        var extra: [(String, String)] = [("Set-Cookie", Self.cookie("hotline_login", token, maxAge: DashboardSessions.loginTokenLifetime, path: "/login"))]
        if let retryAfter { extra.append(("Retry-After", String(retryAfter))) }
        respond(context, head, status, type: "text/html; charset=utf-8", body: Array(DashboardAssets.login(token: token, message: message).utf8), extra: extra)
    }

    private func login(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, form: [String: String], cookies: [String: String], peer: String?
    ) {
        let name = String((form["user"] ?? "").prefix(64))
        let password = form["password"] ?? ""
        // CSRF-proof: the form's token equals its cookie, was issued by this server and is used once.
        guard let token = form["csrf"], let cookie = cookies["hotline_login"],
            OperatorPasswords.constantTimeEqual(Array(token.utf8), Array(cookie.utf8)), backend.sessions.consumeLoginToken(token),
            sameOrigin(head)
        else {
            return loginPage(context, head, status: .forbidden, message: "Biểu mẫu đã hết hạn, hãy thử lại · The form expired; try again.")
        }
        let peerKey = peer ?? "unknown"
        if let wait = backend.sessions.retryAfter(peer: peerKey, name: name) {
            backend.audit(name, peer, "login_throttled") { _ in }
            return loginPage(
                context, head, status: .tooManyRequests,
                message: "Quá nhiều lần đăng nhập sai; thử lại sau \((wait + 59) / 60) phút · Too many failed logins; try again in \((wait + 59) / 60) min.",
                retryAfter: wait)
        }
        let backend = self.backend
        deferred(context) { done in
            let ok = Self.kdfLock.withLock { () -> Bool in
                guard OperatorPasswords.isValidName(name), let operators = try? backend.operators() else {
                    // Same work as a real check: the time does not tell that the name is unknown.
                    _ = OperatorPasswords().verify(name: name, password: password)
                    return false
                }
                return operators.verify(name: name, password: password)
            }
            backend.audit(ok ? name : name.isEmpty ? "-" : name, peer, ok ? "login" : "login_failed") { recorded in
                done((ok, recorded))
            }
        } then: { handler, context, outcome in
            let (ok, recorded) = outcome
            guard recorded else { return handler.respond(context, head, .serviceUnavailable, text: "cannot record the login now; retry\n") }
            guard ok else {
                backend.sessions.recordFailure(peer: peerKey, name: name)
                handler.logger.notice("dashboard login failed", metadata: ["peer": "\(peerKey)"])
                handler.busy = true
                context.eventLoop.scheduleTask(in: Self.failureDelay) {
                    handler.busy = false
                    handler.loginPage(context, head, status: .unauthorized, message: "Sai tên hoặc mật khẩu · Wrong name or password.")
                }
                return
            }
            backend.sessions.clearFailures(name: name)
            let (id, _) = backend.sessions.create(operatorName: name)
            handler.logger.notice("dashboard login", metadata: ["operator": "\(name)", "peer": "\(peerKey)"])
            handler.redirect(
                context, head, to: "/",
                cookies: [Self.cookie("hotline_session", id, maxAge: nil), Self.cookie("hotline_login", "", maxAge: 0, path: "/login")])
        }
    }

    /// Runs `work` off the event loop (it may block: the store, the KDF), then `then` back on it.
    private func deferred<T: Sendable>(
        _ context: ChannelHandlerContext, _ work: @escaping @Sendable (@escaping @Sendable (T) -> Void) -> Void,
        then: @escaping (DashboardHandler, ChannelHandlerContext, T) -> Void
    ) {
        busy = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: T.self)
        NIOThreadPool.singleton.submit { state in
            guard state == .active else { return }
            work { promise.succeed($0) }
        }
        promise.futureResult.whenSuccess { value in
            let (handler, context) = bound.value
            handler.busy = false
            then(handler, context, value)
        }
    }

    // MARK: Responses

    static func cookie(_ name: String, _ value: String, maxAge: Int64?, path: String = "/") -> String {
        "\(name)=\(value); Path=\(path); HttpOnly; Secure; SameSite=Strict" + (maxAge.map { "; Max-Age=\($0)" } ?? "")
    }

    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
        // same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on the
        // login form's own POST, which the origin check must refuse.
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    private func redirect(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, to location: String, cookies: [String] = []) {
        respond(context, head, .seeOther, text: "see \(location)\n", extra: [("Location", location)] + cookies.map { ("Set-Cookie", $0) })
    }

    private func respond(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, text: String,
        extra: [(String, String)] = []
    ) {
        respond(context, head, status, type: "text/plain; charset=utf-8", body: Array(text.utf8), extra: extra)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, type: String, body: [UInt8],
        extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders(Self.securityHeaders)
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        for (name, value) in extra { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        deadline.arm(context)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }

    // MARK: Parsing

    static func cookies(_ headers: HTTPHeaders) -> [String: String] {
        var out: [String: String] = [:]
        for line in headers["cookie"] {
            for part in line.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2, out[kv[0]] == nil { out[kv[0]] = kv[1] }
            }
        }
        return out
    }

    /// `application/x-www-form-urlencoded`.
    static func form(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let kv = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, let key = decode(kv[0]), let value = decode(kv[1]), out[key] == nil else { continue }
            out[key] = value
        }
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        String(validating: bytes, as: UTF8.self)?.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
