import Foundation
import HotlineCore
import HotlineHarness
import Testing

@testable import HotlineServer

/// The province dashboard over real HTTP against the real daemon as deployed: login (CSRF-proof,
/// throttled), the headers, the numbers the store has, no personal data in any byte, the audit.
@Suite(.serialized)
struct DashboardTests {
    @Test func loginThrottleHeadersNumbersAuditAndNoPersonalData() throws {
        let f = try DashboardFixture()
        let expected = try f.seed()
        var received: [[UInt8]] = []
        func keep(_ r: HTTPResponse) -> HTTPResponse {
            received.append(r.raw)
            return r
        }

        // Without a session: to the login page; the API refuses.
        let anonymous = keep(try HTTP.request(port: f.port, "GET", "/"))
        #expect(anonymous.status == 303 && anonymous.header("Location") == "/login")
        #expect(keep(try HTTP.request(port: f.port, "GET", "/api/dashboard")).status == 401)
        // Every response: no inline script, no framing, no caching.
        for r in [anonymous, keep(try HTTP.request(port: f.port, "GET", "/login"))] {
            let csp = try #require(r.header("Content-Security-Policy"))
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"))
            #expect(r.header("X-Frame-Options") == "DENY")
            #expect(r.header("Cache-Control") == "no-store")
        }

        // CSRF-proof: a login without the form's cookie, or with a token the server did not issue, is refused.
        let noCookie = keep(try HTTP.request(
            port: f.port, "POST", "/login", body: HTTP.formEncode([("csrf", "x"), ("user", "alice"), ("password", DashboardFixture.password)])))
        #expect(noCookie.status == 403 && noCookie.cookie("hotline_session") == nil)
        let forged = keep(try HTTP.request(
            port: f.port, "POST", "/login", headers: [("Cookie", "hotline_login=abc")],
            body: HTTP.formEncode([("csrf", "abc"), ("user", "alice"), ("password", DashboardFixture.password)])))
        #expect(forged.status == 403 && forged.cookie("hotline_session") == nil)
        let crossOrigin = try HTTP.request(port: f.port, "GET", "/login")
        let token = try #require(crossOrigin.cookie("hotline_login")?.value)
        let fromElsewhere = keep(try HTTP.request(
            port: f.port, "POST", "/login", headers: [("Cookie", "hotline_login=\(token)"), ("Origin", "https://evil.example")],
            body: HTTP.formEncode([("csrf", token), ("user", "alice"), ("password", DashboardFixture.password)])))
        #expect(fromElsewhere.status == 403 && fromElsewhere.cookie("hotline_session") == nil)

        // A wrong password is refused; five make the address and the name wait, even with the right one.
        for _ in 0..<5 {
            let (r, session) = try f.login("bob", "not bob's password", from: "127.0.0.2")
            _ = keep(r)
            #expect(r.status == 401 && session == nil)
            #expect(r.body.contains("Wrong name or password"))
        }
        let (throttled, none) = try f.login("bob", DashboardFixture.bobPassword, from: "127.0.0.2")
        _ = keep(throttled)
        #expect(throttled.status == 429 && none == nil)
        #expect(throttled.header("Retry-After").flatMap(Int.init).map { $0 > 0 && $0 <= 900 } == true)
        let (sameName, none2) = try f.login("bob", DashboardFixture.bobPassword, from: "127.0.0.1")
        _ = keep(sameName)
        #expect(sameName.status == 429 && none2 == nil)
        let (unknownThere, _) = try f.login("alice", DashboardFixture.password, from: "127.0.0.2")
        #expect(keep(unknownThere).status == 429)  // the address is held too

        // The right password from elsewhere: a session cookie, Secure, HttpOnly, SameSite=Strict.
        let (loggedIn, sessionValue) = try f.login("alice", DashboardFixture.password)
        _ = keep(loggedIn)
        #expect(loggedIn.status == 303 && loggedIn.header("Location") == "/")
        let session = try #require(sessionValue)
        let cookieHeader = try #require(loggedIn.cookie("hotline_session")?.header)
        #expect(cookieHeader.contains("HttpOnly") && cookieHeader.contains("Secure") && cookieHeader.contains("SameSite=Strict"))
        let cookie = [("Cookie", "hotline_session=\(session)")]
        let page = keep(try HTTP.request(port: f.port, "GET", "/", headers: cookie))
        #expect(page.status == 200 && page.body.contains(#"<script src="/assets/app.js" defer></script>"#))
        #expect(!page.body.contains("<script>") && !page.body.contains(" style="))
        #expect(keep(try HTTP.request(port: f.port, "GET", "/assets/app.js")).status == 200)
        #expect(keep(try HTTP.request(port: f.port, "GET", "/assets/app.css")).status == 200)

        // The numbers are the store's.
        let api = keep(try HTTP.request(port: f.port, "GET", "/api/dashboard", headers: cookie))
        #expect(api.status == 200)
        let d = try #require(try JSONParser.parse(api.body).objectValue)
        let communes = Dictionary(
            uniqueKeysWithValues: (d["communes"]?.arrayValue ?? []).compactMap { $0.objectValue }.map { ($0["code"]!.stringValue!, $0) })
        #expect(communes.count == 143)
        for (code, n) in expected.open { #expect(communes[code]?["open"] == JSONValue(n), "\(code)") }
        for (code, n) in expected.overdue { #expect(communes[code]?["overdue"] == JSONValue(n), "\(code)") }
        for (code, n) in expected.escalated { #expect(communes[code]?["escalated"] == JSONValue(n), "\(code)") }
        #expect(communes["14320"]?["overdue"] == 0)
        #expect(d["totals"]?.objectValue?["open"] == 4)
        #expect(d["totals"]?.objectValue?["overdue"] == 1)
        #expect(d["totals"]?.objectValue?["escalated"] == 1)
        let overdue = try #require(d["overdue"]?.arrayValue?.first?.objectValue)
        #expect(overdue["incident"] == .string(expected.overdueIncident))
        #expect(overdue["severity"] == "critical" && overdue["callback"] == "unsafe" && overdue["commune"] == "14638")
        #expect((overdue["minutes_late"]?.integerValue ?? 0) >= 170)  // due 10 min after a report 3 h ago
        #expect((overdue["level"]?.integerValue ?? 0) >= 1)
        let high = d["ack_times"]?.objectValue?["by_severity"]?.objectValue?["high"]?.objectValue
        #expect(high?["count"] == JSONValue(expected.highAcknowledged))
        if expected.highAcknowledged == 1 { #expect(high?["median_s"] == 60 && high?["p90_s"] == 60) }
        #expect(d["annual"]?.objectValue?["text_vi"]?.stringValue?.isEmpty == false)

        // An operator removed from the file loses the page at its next refresh.
        let (again, secondSession) = try f.login("alice", DashboardFixture.password, from: "127.0.0.3")
        #expect(keep(again).status == 303)
        let second = [("Cookie", "hotline_session=\(try #require(secondSession))")]
        #expect(keep(try HTTP.request(port: f.port, "GET", "/api/dashboard", headers: second)).status == 200)

        // Log out: with the page's token only; the session is gone afterwards.
        let csrf = try #require(d["csrf"]?.stringValue)
        #expect(keep(try HTTP.request(port: f.port, "POST", "/logout", headers: cookie, body: "csrf=wrong")).status == 403)
        #expect(keep(try HTTP.request(port: f.port, "POST", "/logout", headers: cookie, body: "csrf=\(csrf)")).status == 303)
        #expect(keep(try HTTP.request(port: f.port, "GET", "/api/dashboard", headers: cookie)).status == 401)

        // alice's second session ends when alice is removed from the operator file.
        let removed = try f.daemon.hotlinectl(["operator", "remove", "alice"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(keep(try HTTP.request(port: f.port, "GET", "/api/dashboard", headers: second)).status == 401)

        // No personal data in any byte the dashboard sent.
        for raw in received {
            let text = String(decoding: raw, as: UTF8.self)
            for marker in DashboardFixture.markers { #expect(!text.contains(marker), "\(marker) in a response") }
        }
        // ... and it is all in the store (the markers were really seeded).
        let personal = try f.daemon.hotlinectl(["show", "INC-000001", "--personal", "--json"])
        #expect(personal.output.contains("MARKER-CALLER-7Q"))

        // Audited: the logins, the failures, the throttled attempts, the view, the logout.
        let audit = try f.daemon.hotlinectl(["audit", "--json", "--limit", "100"]).output
        for (actor, action) in [("alice", "login"), ("bob", "login_failed"), ("bob", "login_throttled"), ("alice", "view"), ("alice", "logout")] {
            #expect(audit.contains(#""action":"\#(action)","actor":"\#(actor)""#) || audit.contains(#""actor":"\#(actor)""#) && audit.contains(#""action":"\#(action)""#), "\(actor) \(action)")
        }
        #expect(audit.contains(#""actor_kind":"dashboard""#))
    }

    /// Sessions end after their idle time and their maximum age; login tokens are good once.
    @Test func sessionsExpireAndLoginTokensAreSingleUse() {
        let clock = ManualSeconds(1_000)
        let s = DashboardSessions(idleTimeout: 60, maxAge: 300, now: { clock.value })
        let (id, _) = s.create(operatorName: "alice")
        clock.value += 59
        #expect(s.use(id)?.operatorName == "alice")
        clock.value += 59
        #expect(s.use(id) != nil)  // used 59 s ago: still alive
        clock.value += 60
        #expect(s.use(id) == nil)  // idle 60 s
        let (old, _) = s.create(operatorName: "bob")
        for _ in 0..<10 {
            clock.value += 30
            _ = s.use(old)
        }
        #expect(s.use(old) == nil)  // used every 30 s, but 300 s after its login
        let token = s.newLoginToken()
        #expect(s.consumeLoginToken(token))
        #expect(!s.consumeLoginToken(token))
        let late = s.newLoginToken()
        clock.value += DashboardSessions.loginTokenLifetime
        #expect(!s.consumeLoginToken(late))
        for _ in 0..<DashboardSessions.maxFailures { s.recordFailure(peer: "p", name: "n") }
        #expect(s.retryAfter(peer: "p", name: "other") == DashboardSessions.failureWindow)
        clock.value += DashboardSessions.failureWindow
        #expect(s.retryAfter(peer: "p", name: "n") == nil)
    }
}

final class ManualSeconds: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Int64
    init(_ s: Int64) { seconds = s }
    var value: Int64 {
        get { lock.withLock { seconds } }
        set { lock.withLock { seconds = newValue } }
    }
}
