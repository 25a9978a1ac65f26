import HotlineHarness
import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineServer
import Testing

/// Escalation over real TCP with second-long deadline windows.
@Suite(.serialized)
struct EscalationTests {
    static func fast(_ c: inout Configuration) {
        for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 1, attend: 1) }
    }

    /// A clock the test moves: deadlines pass when the test says, not after real seconds.
    static func clock() -> ManualClock { ManualClock(Timestamp(rfc3339: "2026-11-29T08:00:00Z")!) }

    @Test(arguments: StoreBackend.allCases) func unansweredReportEscalatesToItsFirstBackup(backend: StoreBackend) async throws {
        let clock = Self.clock()
        let server = try await TestServer(clock: clock, backend: backend, configure: Self.fast)
        let c = try server.gateway()
        let receipt = try okObject(try c.request(#"REPORT {"ref":"u1","severity":"normal","forms":["economic"]}"#))
        let id = receipt["incident"]!.stringValue!
        let firstBackup = receipt["backups"]!.arrayValue![0]
        // Nothing is due yet.
        await server.app.scheduler.tick()
        #expect(try okObject(try c.request("STATUS \(id)"))["level"] == 0)
        // Two seconds on: the 1 s acknowledgement window has passed once.
        clock.advance(by: 2)
        await server.app.scheduler.tick()
        let status = try okObject(try c.request("STATUS \(id)"))
        #expect(status["level"] == 1)
        let escalations = status["history"]?.arrayValue?.compactMap(\.objectValue).filter { $0["event"] == "escalated" } ?? []
        #expect(escalations.count == 1)
        #expect(escalations.first?["assigned"] == firstBackup.objectValue?["id"])
        try await server.stop()
        let (records, verifier) = try readQueue(server.folder + "/data/escalations.jsonl")
        #expect(verifier.lastSeq == Int64(records.count))
        let first = try #require(records.first { $0["incident"] == .string(id) })
        #expect(first["reason"] == "ack_overdue")
        #expect(first["level"] == 1)
        #expect(first["assigned"] == firstBackup)
        #expect(first["prev"] == "")
        // Due at 08:00:01, escalated at 08:00:02 by the test's clock.
        #expect(first["late_s"] == 1)
    }

    @Test(arguments: StoreBackend.allCases) func ackStopsTheEscalation(backend: StoreBackend) async throws {
        let clock = Self.clock()
        let server = try await TestServer(clock: clock, backend: backend) { c in
            Self.fast(&c)
            c.deadlines.windows[.normal] = DeadlineWindows(ack: 3, attend: 3600)
        }
        let c = try server.gateway()
        let receipt = try okObject(try c.request(#"REPORT {"ref":"s1","severity":"normal","forms":["economic"]}"#))
        let id = receipt["incident"]!.stringValue!
        let ack = try okObject(try c.request("ACK \(id)"))
        #expect(ack["state"] == "acknowledged")
        #expect(ack.keys == ["incident", "state", "attend_due"])
        // Past the acknowledgement deadline, short of the attendance one: nothing escalates.
        clock.advance(by: 4)
        await server.app.scheduler.tick()
        let status = try okObject(try c.request("STATUS \(id)"))
        #expect(status["level"] == 0)
        #expect(status["state"] == "acknowledged")
        let closed = try okObject(try c.request(#"CLOSE \#(id) {"offender_measures":["community_criticism"],"victim_support":["counselling"]}"#))
        #expect(closed == ["incident": .string(id), "state": "closed"])
        #expect(errCode(try c.request("ATTEND \(id)")) == "conflict")
        let other = try server.gateway("14323")
        #expect(errCode(try other.request("ACK \(id)")) == "forbidden")
        try await server.stop()
        let (records, _) = try readQueue(server.folder + "/data/escalations.jsonl")
        #expect(!records.contains { $0["incident"] == .string(id) })
    }

    @Test(arguments: StoreBackend.allCases) func aDaemonStoppedPastADeadlineEscalatesOnStartAndRepairsATornLine(backend: StoreBackend) async throws {
        let folder = temporaryFolder()
        var server = try await TestServer(folder: folder, backend: backend) { c in
            Self.fast(&c)
            c.deadlines.windows[.low] = DeadlineWindows(ack: 2, attend: 60)
        }
        let c = try server.gateway()
        // children > 0 writes a record at intake, so the file has a line to tear.
        let receipt = try okObject(try c.request(#"REPORT {"ref":"d1","severity":"low","forms":["economic"],"children":1}"#))
        let id = receipt["incident"]!.stringValue!
        try await server.stop()
        let queuePath = folder + "/data/escalations.jsonl"
        let before = try readQueue(queuePath).records.count
        #expect(before >= 1)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: queuePath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"seq":999,"at":"2026-"#.utf8))
        try handle.close()
        // The acknowledgement deadline passes while the daemon is down, by more than a second.
        let ackDue = try #require(receipt["ack_due"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
        #expect(await Wait.until(seconds: 10) { Int64(Date().timeIntervalSince1970) > ackDue.seconds + 1 })
        server = try await TestServer(folder: folder, backend: backend) { c in
            Self.fast(&c)
            c.deadlines.windows[.low] = DeadlineWindows(ack: 2, attend: 60)
        }
        let caughtUp = await Wait.until {
            try readQueue(queuePath).records.contains { $0["incident"] == .string(id) && $0["catch_up"] == true }
        }
        #expect(caughtUp)
        try await server.stop()
        let (records, verifier) = try readQueue(queuePath)
        #expect(verifier.lastSeq == Int64(records.count))
        let catchUp = try #require(records.first { $0["catch_up"] == true })
        #expect(catchUp["reason"] == "ack_overdue")
        #expect((catchUp["late_s"]?.integerValue ?? 0) >= 1)
    }
}
