import Foundation
import GRDB
import HotlineCore
import HotlineStore
import Logging
import Testing

extension IncidentStore {
    func act(_ incident: String, _ action: CaseAction, gateway: Hotline = StoreFixtures.gateway()) async
        -> Result<JSONObject, StoreError>
    {
        await withCheckedContinuation { c in
            submit(
                CaseJob(
                    incident: incident, action: action, gateway: gateway, deadlines: .defaults,
                    directory: StoreFixtures.directory, completion: { c.resume(returning: $0.map(\.object)) }))
        }
    }

    /// An escalation run at a fake time.
    func escalate(at now: Timestamp, startedAt: Timestamp = StoreFixtures.now, ladder: EscalationLadder = .default) async
        -> Int
    {
        await withCheckedContinuation { c in
            submit(
                EscalationRun(
                    now: now, startedAt: startedAt, deadlines: .defaults, ladder: ladder, directory: StoreFixtures.directory,
                    completion: { c.resume(returning: (try? $0.get().escalated) ?? -1) }))
        }
    }

    func statusOf(_ id: String) throws -> JSONObject { try operatorView(incident: id).get().object(showingPersonalData: true) }

    func outbox() throws -> [JSONObject] {
        try outboxRecords(after: 0, limit: 100_000).map { try JSONParser.parse($0.record).objectValue! }
    }
}

struct EscalationEngineTests {
    static let t0 = StoreFixtures.now
    static let high = DeadlineTable.defaults[.high]

    func report(_ store: IncidentStore, _ ref: String, _ extra: String = "") async throws -> String {
        let r = try await store.submit(StoreFixtures.request(#"{"ref":"\#(ref)","severity":"high","forms":["physical"]\#(extra)}"#)).get()
        return r["incident"]!.stringValue!
    }

    @Test(arguments: Backend.allCases) func unansweredReportClimbsTheLadderWithAFakeClock(backend: Backend) async throws {
        let store = try openStore(backend).store
        defer { store.close() }
        let id = try await report(store, "e1")
        let receipt = try store.statusOf(id)
        let backups = receipt["backups"]!.arrayValue!
        #expect(await store.escalate(at: Self.t0.adding(seconds: Self.high.ack - 1)) == 0)
        // At the deadline: level 1, the first backup holds it, a new ack_due.
        let t1 = Self.t0.adding(seconds: Self.high.ack)
        #expect(await store.escalate(at: t1) == 1)
        var s = try store.statusOf(id)
        #expect(s["level"] == 1)
        #expect(s["assigned"] == backups[0])
        #expect(s["ack_due"] == .string(t1.adding(seconds: Self.high.ack).rfc3339))
        #expect(s["history"]?.arrayValue?.last?.objectValue?["event"] == "escalated")
        // Running again at the same time does nothing: each deadline escalates once.
        #expect(await store.escalate(at: t1) == 0)
        let t2 = t1.adding(seconds: Self.high.ack)
        #expect(await store.escalate(at: t2.adding(seconds: 3)) == 1)
        s = try store.statusOf(id)
        #expect(s["level"] == 2)
        #expect(s["assigned"] == backups[1])
        var t = t2.adding(seconds: 3)
        for expected in [3, 4, 5, 5] {
            t = t.adding(seconds: Self.high.ack)
            #expect(await store.escalate(at: t) == 1)
            #expect(try store.statusOf(id)["level"] == JSONValue(expected))
        }
        let records = try store.outbox()
        #expect(records.map { $0["level"]! } == [1, 2, 3, 4, 5, 5])
        #expect(records.allSatisfy { $0["reason"] == "ack_overdue" })
        // late_s: whole seconds from due to at.
        #expect(records[1]["late_s"] == 3)
        #expect(records[0]["late_s"] == 0)
        #expect(records[2]["notify"]?.arrayValue?.count == 3)  // responder, chairman, police
    }

    @Test(arguments: Backend.allCases) func ackStopsTheChaseThenAttendanceIsWatched(backend: Backend) async throws {
        let store = try openStore(backend).store
        defer { store.close() }
        let id = try await report(store, "a1")
        let ackAt = Self.t0.adding(seconds: 60)
        let ack = try await store.act(id, .ack(responder: nil, at: ackAt)).get()
        #expect(ack == ["incident": .string(id), "state": "acknowledged", "attend_due": .string(ackAt.adding(seconds: Self.high.attend).rfc3339)])
        // Repeating ACK returns the same OK.
        #expect(try await store.act(id, .ack(responder: nil, at: ackAt.adding(seconds: 30))).get() == ack)
        // The acknowledgement deadline passes unnoticed; the attendance deadline does not.
        #expect(await store.escalate(at: Self.t0.adding(seconds: Self.high.ack + 1)) == 0)
        let late = ackAt.adding(seconds: Self.high.attend + 2)
        #expect(await store.escalate(at: late) == 1)
        let r = try store.outbox().last!
        #expect(r["reason"] == "attend_overdue")
        #expect(r["level"] == 3)
        #expect(r["late_s"] == 2)
        #expect(try await store.act(id, .attend(responder: "PG-14320-02", at: late)).get() == ["incident": .string(id), "state": "attended"])
        #expect(try store.statusOf(id)["assigned"]?.objectValue?["id"] == "PG-14320-02")
        #expect(await store.escalate(at: late.adding(seconds: 86_400 * 30)) == 0)
    }

    @Test(arguments: Backend.allCases) func attendOnOpenImpliesAckAndCloseEndsEverything(backend: Backend) async throws {
        let store = try openStore(backend).store
        defer { store.close() }
        let id = try await report(store, "c1", #","needs_shelter":true"#)
        #expect(try store.heldShelterPlaces()["HF-14320"] == 1)
        _ = try await store.act(id, .attend(responder: nil, at: Self.t0)).get()
        let s = try store.statusOf(id)
        #expect(s["state"] == "attended")
        #expect(s["acknowledged_at"] == .string(Self.t0.rfc3339))
        let closed = try await store.act(id, .close(offenderMeasures: [.stopOrder], victimSupport: [.shelter], note: "n", at: Self.t0))
        #expect(try closed.get() == ["incident": .string(id), "state": "closed"])
        #expect(try store.heldShelterPlaces()["HF-14320"] == nil)
        for action in [CaseAction.ack(responder: nil, at: Self.t0), .close(offenderMeasures: [.none], victimSupport: [.none], note: nil, at: Self.t0), .retract(reason: "r", at: Self.t0)] {
            guard case let .failure(e) = await store.act(id, action) else {
                Issue.record("acting on a closed incident must conflict")
                continue
            }
            #expect(e == .closed(incident: id))
        }
        guard case let .failure(nf) = await store.act("INC-999999", .ack(responder: nil, at: Self.t0)),
            case let .failure(fb) = await store.act(id, .ack(responder: nil, at: Self.t0), gateway: StoreFixtures.gateway("14323"))
        else {
            Issue.record("expected failures")
            return
        }
        #expect(nf == .noIncident("INC-999999") && nf.wire.code == .notFound)
        #expect(fb == .otherCommune(incident: id, owner: "14320") && fb.wire.code == .forbidden)
        #expect(fb.wire.text == "incident \(id) belongs to commune 14320")
    }

    @Test(arguments: Backend.allCases) func retractionFlagsForReviewAndNeverCloses(backend: Backend) async throws {
        let store = try openStore(backend).store
        defer { store.close() }
        let id = try await report(store, "r1")
        let r = try await store.act(id, .retract(reason: "MARKER-REASON", at: Self.t0.adding(seconds: 5))).get()
        #expect(r == ["incident": .string(id), "state": "open", "review": true])
        let s = try store.statusOf(id)
        #expect(s["review"] == true)
        #expect(s["state"] == "open")
        let record = try store.outbox().last!
        #expect(record["reason"] == "retracted")
        #expect(record["due"] == record["at"])
        #expect(record["level"] == 0)
        #expect(!record.jsonText.contains("MARKER-REASON"))
        // The deadline still runs.
        #expect(await store.escalate(at: Self.t0.adding(seconds: Self.high.ack)) == 1)
    }

    @Test(arguments: Backend.allCases) func intakeRecordsAndCatchUp(backend: Backend) async throws {
        let store = try openStore(backend).store
        defer { store.close() }
        _ = try await report(store, "i1", #","children":2,"weapon":true,"caller":"MARKER-CALLER","summary":"MARKER-SUMMARY""#)
        var records = try store.outbox()
        #expect(records.map { $0["reason"]! } == ["child_protection", "police"])
        #expect(!records.contains { $0.jsonText.contains("MARKER") })
        // A daemon that started after the deadline marks the record as a catch-up.
        let later = Self.t0.adding(seconds: 3 * 3600)
        #expect(await store.escalate(at: later, startedAt: later) == 1)
        records = try store.outbox()
        #expect(records.last?["catch_up"] == true)
        #expect(records.last?["late_s"] == JSONValue(Int(3 * 3600 - Self.high.ack)))
    }

    @Test(arguments: Backend.allCases) func queueFileIsWholeChainedAndRepairedAndRotated(backend: Backend) async throws {
        let folder = temporaryFolder()
        let store = try openStore(backend).store
        defer { store.close() }
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let path = folder + "/queue.jsonl"
        var queue = try EscalationQueueFile(path: path, store: store, rotateBytes: 1500, keepFiles: 3, logger: logger)
        queue.start()
        for i in 0..<6 { _ = try await report(store, "q\(i)", #","children":1"#) }
        queue.wake()
        try await waitFor { queue.lastWrittenSeq == 6 }
        queue.close()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(FileManager.default.fileExists(atPath: path + ".1"))  // rotated by size
        // A torn last line (a crash mid-write) is cut off and the chain continues.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"seq":7,"at":"#.utf8))
        try handle.close()
        for i in 6..<9 { _ = try await report(store, "q\(i)", #","children":1"#) }
        queue = try EscalationQueueFile(path: path, store: store, rotateBytes: 1500, keepFiles: 3, logger: logger)
        queue.start()
        queue.rotate()
        try await waitFor { queue.lastWrittenSeq == 9 }
        queue.close()
        var verifier = QueueVerifier()
        var files: [String] = []
        for i in stride(from: 3, through: 1, by: -1) where FileManager.default.fileExists(atPath: "\(path).\(i)") {
            files.append("\(path).\(i)")
        }
        files.append(path)
        for f in files { try verifier.feed(file: Array(try Data(contentsOf: URL(fileURLWithPath: f)))) }
        #expect(verifier.lastSeq == 9)
        #expect(verifier.count == 9)
    }
}

func waitFor(_ condition: () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    Issue.record("condition not met in 5 s")
}

/// The storm's prepared runs (SQLite): decided on a reader, applied by the writer only to
/// incidents still as they were read.
struct PreparedEscalationTests {
    static let t0 = StoreFixtures.now
    static let high = DeadlineTable.defaults[.high]

    func apply(_ store: IncidentStore, _ prepared: PreparedEscalations, at now: Timestamp) async -> (Int, Bool) {
        await withCheckedContinuation { c in
            store.submit(
                EscalationRun(
                    now: now, startedAt: Self.t0, deadlines: .defaults, ladder: .default, directory: StoreFixtures.directory,
                    prepared: prepared, completion: { c.resume(returning: (try? $0.get()) ?? (-1, false)) }))
        }
    }

    @Test func anIncidentAcknowledgedBetweenTheReadAndTheWriteIsLeftAndTheRestEscalate() async throws {
        let store = try openStore(.sqlite).store
        defer { store.close() }
        var ids: [String] = []
        for i in 0..<5 {
            let r = try await store.submit(StoreFixtures.request(#"{"ref":"p\#(i)","severity":"high","forms":["physical"]}"#)).get()
            ids.append(r["incident"]!.stringValue!)
        }
        let t1 = Self.t0.adding(seconds: Self.high.ack)
        // Read in two chunks, in (next_due, id) order, the second after the first's cursor.
        let first = try #require(try store.prepareEscalations(
            now: t1, startedAt: Self.t0, deadlines: .defaults, ladder: .default, after: nil, limit: 3))
        #expect(first.items.count == 3 && first.full)
        let second = try #require(try store.prepareEscalations(
            now: t1, startedAt: Self.t0, deadlines: .defaults, ladder: .default, after: first.cursor, limit: 3))
        #expect(second.items.count == 2 && !second.full)
        // Between the read and the write, the second incident is acknowledged.
        _ = try await store.act(ids[1], .ack(responder: nil, at: t1)).get()
        let (escalated, left) = await apply(store, first, at: t1)
        #expect(escalated == 2 && left)
        #expect(await apply(store, second, at: t1) == (2, false))
        #expect(try store.statusOf(ids[1])["level"] == 0)
        #expect(try store.statusOf(ids[1])["state"] == "acknowledged")
        for i in [0, 2, 3, 4] { #expect(try store.statusOf(ids[i])["level"] == 1) }
        let records = try store.outbox().filter { $0["reason"] == "ack_overdue" }
        #expect(records.count == 4)
        #expect(!records.contains { $0["incident"] == .string(ids[1]) })
        // Applying the same chunk again writes nothing: every incident it read has moved on.
        #expect(await apply(store, first, at: t1) == (0, true))
        #expect(try store.outbox().filter { $0["reason"] == "ack_overdue" }.count == 4)
        // A new read finds nothing due any more at t1.
        let again = try #require(try store.prepareEscalations(
            now: t1, startedAt: Self.t0, deadlines: .defaults, ladder: .default, after: nil))
        #expect(again.items.isEmpty)
    }
}
