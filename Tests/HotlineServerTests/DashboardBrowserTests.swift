import Foundation
import HotlineCore
import HotlineHarness
import Testing

/// The dashboard in a real browser: headless Chromium logs in through the form, the page loads
/// its script and draws the map and tables from the store's numbers; a screenshot is taken; a
/// wrong password is refused on the page.
@Suite(.serialized)
struct DashboardBrowserTests {
    @Test func chromiumLogsInAndThePageShowsTheStoresNumbers() throws {
        let f = try DashboardFixture()
        let expected = try f.seed()
        let browser = try Chromium()
        let base = "http://127.0.0.1:\(f.port)"

        // A wrong password: refused, said on the page, no session.
        try browser.navigate(base + "/login")
        _ = try browser.evaluate(
            "document.getElementById('user').value = 'alice'; document.getElementById('password').value = 'wrong password!!'; document.getElementById('login').click(); true")
        try browser.waitFor("document.getElementById('error') !== null")
        let refusal = try browser.evaluate("document.getElementById('error').textContent").stringValue ?? ""
        #expect(refusal.contains("Wrong name or password"), "\(refusal)")
        #expect(try browser.evaluate("location.pathname") == "/login")

        // The right one: the dashboard, drawn by its script from /api/dashboard.
        _ = try browser.evaluate(
            "document.getElementById('user').value = 'alice'; document.getElementById('password').value = \(JSONValue.string(DashboardFixture.password).jsonText); document.getElementById('login').click(); true")
        try browser.waitFor("location.pathname === '/' && document.body.getAttribute('data-loaded') !== null")
        let shown = try #require(try browser.evaluate(
            """
            JSON.stringify({
              open: document.getElementById('total-open').textContent,
              overdue: document.getElementById('total-overdue').textContent,
              escalated: document.getElementById('total-escalated').textContent,
              circles: document.querySelectorAll('#map circle').length,
              kim: (() => { const c = document.querySelector('#map circle[data-code="14638"]');
                return [c.getAttribute('data-open'), c.getAttribute('data-overdue'), c.getAttribute('data-escalated'), c.getAttribute('class')]; })(),
              dong: document.querySelector('#map circle[data-code="14320"]').getAttribute('data-open'),
              rows: [...document.querySelectorAll('#overdue tbody tr')].map(r => [...r.cells].map(c => c.textContent)),
              high: [...document.querySelector('#ack tr[data-severity="high"]').cells].map(c => c.textContent),
              annual: document.getElementById('annual').textContent.length,
              page: document.documentElement.outerHTML
            })
            """
        ).stringValue)
        let o = try #require(try JSONParser.parse(shown).objectValue)
        #expect(o["open"] == "4" && o["overdue"] == "1" && o["escalated"] == "1", "\(o)")
        #expect(o["circles"] == 143)
        #expect(o["kim"] == .array(["3", "1", "1", "overdue"]))
        #expect(o["dong"] == "1")
        let rows = o["rows"]?.arrayValue ?? []
        #expect(rows.count == 1)
        let row = rows.first?.arrayValue ?? []
        #expect(row.first == .string(expected.overdueIncident))
        #expect(row.count == 7 && row[1] == "critical" && row[6] == "KHÔNG · NO")
        #expect(o["high"]?.arrayValue?[1] == .string(String(expected.highAcknowledged)))
        #expect((o["annual"]?.integerValue ?? 0) > 0)
        // What the browser holds, rendered: no personal data.
        let page = o["page"]?.stringValue ?? ""
        for marker in DashboardFixture.markers { #expect(!page.contains(marker), "\(marker) on the page") }

        let shot = NSTemporaryDirectory() + "hotline-dashboard.png"
        try browser.screenshot(to: shot)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        print("dashboard screenshot: \(shot) (\(png.count) bytes)")
    }
}
