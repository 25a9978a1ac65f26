import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineHarness
import HotlineLineClient

/// A daemon with its dashboard on, two operators, and incidents seeded through real gateways:
/// markers in every personal field (caller, summary, close note, retraction reason) and a
/// village, none of which may ever reach the dashboard.
final class DashboardFixture {
    let daemon: DaemonProcess
    let port: Int
    static let password = "correct horse battery staple"
    static let bobPassword = "bob's long enough password"
    /// What must never appear in a byte the dashboard sends.
    static let markers = ["MARKER-CALLER-7Q", "MARKER-SUMMARY-7Q", "MARKER-NOTE-7Q", "MARKER-REASON-7Q", "V14638-02", "0987654321"]

    /// The numbers the page must show.
    struct Expected {
        var open: [String: Int]
        var overdue: [String: Int]
        var escalated: [String: Int]
        var overdueIncident: String
        var highAcknowledged: Int
    }

    init(configure: (inout Configuration) -> Void = { _ in }) throws {
        let folder = temporaryFolder()
        daemon = try DaemonProcess(folder: folder) { c in
            var d = Configuration.Dashboard()
            d.port = 0
            d.operatorsPath = folder + "/operators"
            c.dashboard = d
            configure(&c)
        }
        for (name, password) in [("alice", Self.password), ("bob", Self.bobPassword)] {
            let added = try daemon.run("hotlinectl", ["--config", daemon.configPath, "operator", "add", name, "--password-stdin"], stdin: password + "\n")
            guard added.status == 0 else { throw LineClient.Failure(description: "operator add: \(added.output)") }
        }
        try daemon.start()
        guard let port = daemon.dashboardPort() else { throw LineClient.Failure(description: "no dashboard: \(daemon.log)") }
        self.port = port
    }

    deinit { daemon.kill(SIGTERM) }

    func seed() throws -> Expected {
        let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        func at(_ offset: Int64) -> String { now.adding(seconds: offset).rfc3339 }
        let g = try LineClient(port: daemon.port)
        _ = try g.readLine()
        func ok(_ line: String) throws -> String {
            let reply = try g.request(line)
            guard HLPReply.isOK(reply) else { throw LineClient.Failure(description: "\(line) -> \(reply)") }
            return reply
        }
        _ = try ok("AUTH HL-14638 demo-HL-14638")
        // A: critical, reported three hours ago: overdue on arrival, escalated at once.
        _ = try ok(#"REPORT {"ref":"dash-a","severity":"critical","forms":["physical"],"village":"V14638-02","caller":"0987654321 MARKER-CALLER-7Q","summary":"MARKER-SUMMARY-7Q","callback":"unsafe","reported_at":"\#(at(-3 * 3600))"}"#)
        // B: open, on time.
        _ = try ok(#"REPORT {"ref":"dash-b","severity":"normal","forms":["psychological"],"village":"V14638-02"}"#)
        // C: acknowledged 60 s after its report, then closed with a note.
        _ = try ok(#"REPORT {"ref":"dash-c","severity":"high","forms":["physical"],"reported_at":"\#(at(-120))"}"#)
        _ = try ok(#"ACK INC-000003 {"at":"\#(at(-60))"}"#)
        _ = try ok(#"ATTEND INC-000003"#)
        _ = try ok(#"CLOSE INC-000003 {"offender_measures":["none"],"victim_support":["none"],"note":"MARKER-NOTE-7Q"}"#)
        // D: retracted (stays open, for review).
        _ = try ok(#"REPORT {"ref":"dash-d","severity":"low","forms":["economic"]}"#)
        _ = try ok(#"RETRACT INC-000004 {"reason":"MARKER-REASON-7Q"}"#)
        let h = try LineClient(port: daemon.port)
        _ = try h.readLine()
        _ = try h.request("AUTH HL-14320 demo-HL-14320")
        _ = try h.request(#"REPORT {"ref":"dash-e","severity":"normal","forms":["physical"]}"#)
        // Wait for A's escalation (the scheduler runs it as soon as the report is stored).
        Wait.until { try daemon.hotlinectl(["show", "INC-000001", "--json"]).output.contains(#""level":1"#) }
        let monthStart = now.vietnamMonth.start
        return Expected(
            open: ["14638": 3, "14320": 1], overdue: ["14638": 1], escalated: ["14638": 1], overdueIncident: "INC-000001",
            highAcknowledged: now.adding(seconds: -120) >= monthStart ? 1 : 0)
    }

    /// A login form's token and its cookie, then the login: the session cookie (nil if refused).
    func login(_ name: String, _ password: String, from source: String = "127.0.0.1") throws -> (HTTPResponse, String?) {
        let form = try HTTP.request(port: port, "GET", "/login", from: source)
        guard let token = form.cookie("hotline_login")?.value else { throw LineClient.Failure(description: "no login cookie") }
        let r = try HTTP.request(
            port: port, "POST", "/login", headers: [("Cookie", "hotline_login=\(token)")],
            body: HTTP.formEncode([("csrf", token), ("user", name), ("password", password)]), from: source)
        return (r, r.cookie("hotline_session")?.value)
    }
}
