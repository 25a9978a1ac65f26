import HotlineCore
import Testing

struct SessionTests {
    static let now = Timestamp(rfc3339: "2026-11-29T08:00:00Z")!
    static let env = SessionEnvironment(
        serverName: "test", directory: Fixtures.directory, tokens: Fixtures.tokens(for: ["HL-14320", "HL-14323"]),
        now: now)

    func send(_ s: inout Session, _ line: String) -> SessionAction {
        s.receive(line: Array(line.utf8), environment: Self.env)
    }

    func code(_ a: SessionAction) -> ErrorCode? {
        switch a {
        case let .reply(.err(e)), let .replyAndClose(.err(e)), let .delayedReply(.err(e), _, _): e.code
        default: nil
        }
    }

    @Test func beforeAuthOnlyAuthPingQuitAndUnknownVerbs() {
        var s = Session()
        #expect(code(send(&s, "REPORT {}")) == .authRequired)
        #expect(code(send(&s, "REPORT not json")) == .authRequired)
        #expect(code(send(&s, "STATUS INC-000001")) == .authRequired)
        #expect(code(send(&s, "ACK INC-000001")) == .authRequired)
        #expect(code(send(&s, "FROB")) == .unknownCommand)
        #expect(send(&s, "PING") == .reply(.ok(["pong": true])))
        #expect(send(&s, "") == SessionAction.none)
        #expect(code(send(&s, "AUTH HL-14320")) == .syntax)
    }

    @Test func authSucceedsWithTheRightTokenOnly() {
        var s = Session()
        #expect(code(send(&s, "AUTH HL-14320 wrong")) == .authFailed)
        #expect(code(send(&s, "AUTH HL-99999 secret-HL-99999")) == .authFailed)
        let ok = send(&s, "auth HL-14320 secret-HL-14320")
        #expect(
            ok
                == .reply(
                    .ok([
                        "gateway": "HL-14320", "commune": "14320", "name": "Phường Đông Thành", "server": "test",
                        "protocol": 1,
                    ])))
        #expect(s.gateway?.communeCode == "14320")
        // Same gateway again: the same OK; another gateway: conflict.
        #expect(send(&s, "AUTH HL-14320 secret-HL-14320") == ok)
        #expect(code(send(&s, "AUTH HL-14323 secret-HL-14323")) == .conflict)
    }

    /// The login is the one record of authentication: the gateway and the hash of the token it
    /// used; a reload that revokes or replaces that token invalidates it.
    @Test func theLoginRemembersTheTokenItUsed() {
        var s = Session()
        #expect(s.login == nil && s.tokenStillValid(in: Fixtures.tokens(for: [])))
        _ = send(&s, "AUTH HL-14320 secret-HL-14320")
        #expect(s.login?.gateway.id == "HL-14320")
        #expect(s.login?.tokenHash == Self.env.tokens.hashes["HL-14320"])
        #expect(s.tokenStillValid(in: Self.env.tokens))
        #expect(!s.tokenStillValid(in: Fixtures.tokens(for: ["HL-14323"])))  // revoked
        var replaced = Self.env.tokens.hashes
        replaced["HL-14320"] = Array(repeating: 7, count: 32)
        #expect(!s.tokenStillValid(in: GatewayTokens(hashes: replaced)))
    }

    @Test func failedAuthIsDelayedFromTheThirdAndClosesAtTheFifth() {
        var s = Session()
        guard case .reply = send(&s, "AUTH HL-14320 a"), case .reply = send(&s, "AUTH HL-14320 b") else {
            Issue.record("first two failures must not be delayed")
            return
        }
        guard case .delayedReply(_, let ms, false) = send(&s, "AUTH HL-14320 c") else {
            Issue.record("third failure must be delayed")
            return
        }
        #expect(ms > 0)
        guard case .delayedReply(_, _, false) = send(&s, "AUTH HL-14320 d"),
            case .delayedReply(.err(let e), _, true) = send(&s, "AUTH HL-14320 e")
        else {
            Issue.record("fifth failure must close")
            return
        }
        #expect(e.code == .authFailed)
        #expect(s.isClosed)
        #expect(send(&s, "PING") == SessionAction.none)
    }

    @Test func quitAnswersThenIgnoresEverything() {
        var s = Session()
        #expect(send(&s, "QUIT") == .replyAndClose(.ok(["bye": true])))
        #expect(send(&s, "PING") == SessionAction.none)
        #expect(s.lineTooLong(limit: 10) == SessionAction.none)
    }

    @Test func tooLongKeepsTheSessionUsable() {
        var s = Session()
        #expect(code(s.lineTooLong(limit: 16384)) == .tooLong)
        #expect(send(&s, "PING") == .reply(.ok(["pong": true])))
    }

    @Test func reportIsValidatedForTheGatewaysCommune() {
        var s = Session()
        _ = send(&s, "AUTH HL-14320 secret-HL-14320")
        guard case let .persist(.report(request, gateway)) = send(&s, #"REPORT {"ref":"r1","severity":"low","forms":["economic"]}"#)
        else {
            Issue.record("expected a report action")
            return
        }
        #expect(gateway.id == "HL-14320")
        #expect(request.commune == "14320")
        #expect(request.reportedAt == Self.now)
        #expect(code(send(&s, #"REPORT {"ref":"r1","severity":"low","forms":["economic"],"commune":"14323"}"#)) == .forbidden)
        #expect(code(send(&s, #"REPORT {"ref":"r1","severity":"low"}"#)) == .invalid)
        #expect(code(send(&s, "STATUS")) == .syntax)
        guard case .persist(.status("INC-000009", _)) = send(&s, "STATUS INC-000009") else {
            Issue.record("expected a status action")
            return
        }
    }
}
