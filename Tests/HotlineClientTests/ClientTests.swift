import Foundation
import HotlineClient
import HotlineCore
import Testing

/// The gateway kit's library without a daemon: the spool, offline triage and local times.
struct ClientTests {
    static let directory: Directory = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return try! DirectoryLoader.load(folder: url.path + "/Config/ninh-binh")
    }()

    static func temporarySpool() throws -> Spool {
        let folder = NSTemporaryDirectory() + "hotline-client-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try Spool(path: folder + "/spool.sqlite")
    }

    @Test func credentialProblemsKeepReportsPendingOthersAreRefused() throws {
        let spool = try Self.temporarySpool()
        let body = try spool.add(["severity": "low", "forms": ["economic"]])
        let ref = try #require(body["ref"]?.stringValue)
        #expect(body["reported_at"]?.stringValue != nil)  // the time of the call, set at once
        let token = try spool.flush(.failure(.credentials("the token file /x cannot be read: no such file")))
        #expect(token.delivered == 0 && token.refused == 0 && token.pending == 1)
        #expect(token.credentials == "waiting for a valid token: the token file /x cannot be read: no such file")
        #expect(try spool.entry(ref: ref)?.state == "pending")
        let down = try spool.flush(.failure(.connection("refused")))
        #expect(down.pending == 1 && down.credentials == nil)
        #expect(try spool.entry(ref: ref)?.error == "no connection: refused")
        #expect(try spool.pending().map(\.ref) == [ref])
    }

    @Test func offlineTriageIsTheDaemonsTriageMarkedOffline() throws {
        let now = try #require(Timestamp(rfc3339: "2026-11-29T03:00:00Z"))
        let report: JSONObject = [
            "ref": "o-1", "severity": "critical", "forms": ["physical"], "village": "V14638-01",
            "reported_at": "2026-11-29T03:00:00Z", "callback": "unsafe",
        ]
        let receipt = try #require(OfflineTriage.receipt(for: report, gateway: "HL-14638", directory: Self.directory, now: now))
        #expect(receipt["offline"] == true)
        #expect(receipt["incident"] == nil)
        #expect(receipt["callback"] == "unsafe")
        let request = try ReportValidator.validate(report, commune: "14638", directory: Self.directory, now: now)
        let triage = Triage.triage(
            directory: Self.directory, at: request.location, time: request.reportedAt, needsShelter: true, heldPlaces: [:])
        #expect(receipt["assigned"] == triage.assigned?.json)
        #expect(receipt["shelter"] == triage.shelter?.json)
        #expect(receipt["ack_due"] == "2026-11-29T03:10:00Z")  // the default critical window
        // A report the daemon would refuse gets no offline answer either.
        #expect(OfflineTriage.receipt(for: ["ref": "o-2", "severity": "urgent", "forms": ["physical"]], gateway: "HL-14638", directory: Self.directory, now: now) == nil)
        // The call-taker's screen: the banner, the callback warning first.
        let taker = CallTaker(language: .en, villages: [], read: { nil }, write: { _ in })
        let screen = taker.instructions(receipt, now: now)
        #expect(screen.hasPrefix("*** NOT YET REPORTED TO THE PROVINCE"))
        #expect(screen.contains("!!! DO NOT CALL THE CALLER BACK"))
        #expect(screen.contains("Acknowledge by: 10:10 today, 29/11 (default windows)"))
    }

    @Test func localTimesForTheCallTaker() throws {
        let now = try #require(Timestamp(rfc3339: "2026-11-29T03:00:00Z"))  // 10:00 in Vietnam
        let vn = LocalTime.vietnam
        #expect(vn.format(try #require(Timestamp(rfc3339: "2026-11-29T03:31:45Z")), now: now) == "10:31 hôm nay, 29/11")
        #expect(vn.format(try #require(Timestamp(rfc3339: "2026-11-29T17:05:00Z")), now: now) == "00:05 ngày mai, 30/11")
        #expect(vn.format(try #require(Timestamp(rfc3339: "2026-11-29T17:05:00Z")), now: now, vietnamese: false) == "00:05 tomorrow, 30/11")
        #expect(vn.format(try #require(Timestamp(rfc3339: "2026-11-28T16:00:00Z")), now: now) == "23:00 hôm qua, 28/11")
        #expect(vn.format(try #require(Timestamp(rfc3339: "2026-11-20T01:00:00Z")), now: now) == "08:00, 20/11/2026")
        #expect(LocalTime(offset: "-03:30")?.offsetSeconds == -12_600)
        #expect(LocalTime(offset: "Z")?.offsetSeconds == 0)
        #expect(LocalTime(offset: "+24:00") == nil)
        #expect(LocalTime(offset: "7") == nil)
    }
}
