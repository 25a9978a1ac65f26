import HotlineHarness
import Foundation
import HotlineCore
import HotlineLineClient
import HotlineServer
import Testing

@Suite(.serialized)
struct PersonalDataTests {
    @Test func markersNeverLeaveTheStore() async throws {
        let daemon = try DaemonProcess { c in
            c.deadlines.windows[.high] = DeadlineWindows(ack: 1, attend: 1)
            c.deadlines.windows[.critical] = DeadlineWindows(ack: 1, attend: 1)
        }
        try daemon.start(arguments: ["--log-level", "trace"])
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        _ = try c.request("AUTH HL-14320 demo-HL-14320")
        let receipt = try okObject(
            try c.request(
                #"REPORT {"ref":"pd-1","severity":"high","forms":["physical"],"children":1,"weapon":true,"caller":"MARKER-CALLER-0987","summary":"MARKER-SUMMARY-text"}"#
            ))
        let id = receipt["incident"]!.stringValue!
        #expect(!receipt.jsonText.contains("MARKER"))
        // Refused requests carrying personal data do not echo it either.
        let refused = try c.request(#"REPORT {"ref":"pd-2","severity":"high","forms":["physical"],"caller":"MARKER-CALLER-TOO-LONG-0123456789-0123456789"}"#)
        #expect(errCode(refused) == "invalid")
        #expect(!refused.contains("MARKER"))
        let conflict = try c.request(#"REPORT {"ref":"pd-1","severity":"high","forms":["physical"],"summary":"MARKER-SUMMARY-other"}"#)
        #expect(errCode(conflict) == "conflict")
        #expect(!conflict.contains("MARKER"))
        _ = try okObject(try c.request(#"RETRACT \#(id) {"reason":"MARKER-REASON"}"#))
        // The owner sees it; another commune does not.
        let own = try okObject(try c.request("STATUS \(id)"))
        #expect(own["caller"] == "MARKER-CALLER-0987")
        let other = try LineClient(port: daemon.port)
        _ = try other.readLine()
        _ = try other.request("AUTH HL-14323 demo-HL-14323")
        #expect(!(try other.request("STATUS \(id)")).contains("MARKER"))
        // Let it escalate, then close with a note.
        let queue = daemon.folder + "/data/escalations.jsonl"
        let escalated = await Wait.until { try readQueue(queue).records.contains { $0["reason"] == "ack_overdue" } }
        #expect(escalated)
        _ = try okObject(try c.request(#"CLOSE \#(id) {"offender_measures":["stop_order"],"victim_support":["none"],"note":"MARKER-NOTE"}"#))
        daemon.kill(SIGTERM)
        // Every output: the log (at trace level) and the queue files.
        let log = daemon.log
        #expect(log.contains("report stored"))  // the log was written
        #expect(!log.contains("MARKER"))
        let (records, _) = try readQueue(queue)
        #expect(records.count >= 3)
        for r in records { #expect(!r.jsonText.contains("MARKER")) }
    }

    @Test(arguments: StoreBackend.allCases) func personalDataIsErasedAfterRetentionStatisticsStay(backend: StoreBackend) async throws {
        let server = try await TestServer(inProcess: true, backend: backend) { $0.personalDataRetention = 180 * 86_400 }
        let c = try server.gateway()
        let r = try okObject(try c.request(#"REPORT {"ref":"ret-1","severity":"low","forms":["sexual"],"caller":"0900","summary":"s"}"#))
        let id = r["incident"]!.stringValue!
        let open = try okObject(try c.request(#"REPORT {"ref":"ret-2","severity":"low","forms":["economic"],"caller":"0911"}"#))
        _ = try okObject(try c.request(#"CLOSE \#(id) {"offender_measures":["none"],"victim_support":["counselling"],"note":"n"}"#))
        let now = server.app.state.clock.now()
        #expect(await server.app.scheduler.erasePersonalData(now: now.adding(seconds: 179 * 86_400)) == 0)
        #expect(try okObject(try c.request("STATUS \(id)"))["caller"] == "0900")
        #expect(await server.app.scheduler.erasePersonalData(now: now.adding(seconds: 181 * 86_400)) == 1)
        let erased = try okObject(try c.request("STATUS \(id)"))
        #expect(erased["caller"] == .null)
        #expect(erased["summary"] == .null)
        #expect(erased["close_note"] == .null)
        #expect(erased["forms"] == ["sexual"])
        #expect(erased["victim_support"] == ["counselling"])
        // Open incidents keep theirs, however old.
        #expect(try okObject(try c.request("STATUS \(open["incident"]!.stringValue!)"))["caller"] == "0911")
        #expect(await server.app.scheduler.erasePersonalData(now: now.adding(seconds: 400 * 86_400)) == 0)
        // The erasure leaves the audit of who read the details (the STATUS reads above)...
        let reads = try server.app.state.store.auditRecords(incident: id, actor: nil, since: nil, limit: 100)
        #expect(reads.count == 2)
        #expect(reads.allSatisfy { $0.actorKind == "gateway" && $0.action == "read" && $0.actor == "HL-14320" })
        #expect(reads.last?.shown == ["caller", "summary", "close_note"])
        #expect(reads.first?.shown == [])  // after the erasure nothing personal was left to show
        // ... until the audit's own period (default 5 years) has passed.
        _ = await server.app.scheduler.erasePersonalData(now: now.adding(seconds: 1826 * 86_400))
        #expect(try server.app.state.store.auditRecords(incident: id, actor: nil, since: nil, limit: 100).isEmpty)
        try await server.stop()
    }
}
