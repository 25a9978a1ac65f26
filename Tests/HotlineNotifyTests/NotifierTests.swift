import Foundation
import HotlineCore
import HotlineHarness
import HotlineLineClient
import HotlineNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hotline-notify` end to end: the real `hotlined` as its unit runs it, the notifier as its
/// own user beside it, smstools' folders with the gateway's part played by the test.
@Suite(.serialized)
struct NotifierTests {
    static func okObject(_ line: String) throws -> JSONObject {
        guard let o = HLPReply(line: line).object else { throw LineClient.Failure(description: "not OK: \(line)") }
        return o
    }

    /// The notifier's status (empty before its ledger exists).
    static func summary(_ rig: NotifyRig) throws -> (states: JSONObject, replies: JSONObject, lastSeq: Int, problem: String?) {
        let s = (try? rig.status()) ?? [:]
        return (s["states"]?.objectValue ?? [:], s["replies"]?.objectValue ?? [:], s["last_seq"]?.integerValue ?? -1, s["problem"]?.stringValue)
    }

    static func files(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func escalationsReachTheirNumbersWithoutPersonalData() throws {
        let rig = try NotifyRig { c in
            for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 2, attend: 3600) }
        }
        defer { rig.cleanUp() }
        try rig.daemon.start()
        try rig.startNotifier()
        let c = try rig.daemon.gateway("14638")
        let receipt = try Self.okObject(
            try c.request(
                #"REPORT {"ref":"n1","severity":"high","forms":["physical"],"village":"V14638-02","children":1,"callback":"unsafe","caller":"0987 654 321 MARKER-CALLER","summary":"MARKER-SUMMARY"}"#
            ))
        let id = try #require(receipt["incident"]?.stringValue)
        let backup = try #require(receipt["backups"]?.arrayValue?.first?.objectValue)
        let backupPhone = try #require(backup["phone"]?.stringValue)
        let backupNumber = try #require(PhoneNumber.msisdn(backupPhone))
        _ = try Self.okObject(try c.request(#"RETRACT \#(id) {"reason":"MARKER-REASON"}"#))
        // Intake: child protection of the commune (seq 1); RETRACT: the chairman (seq 2); the
        // missed acknowledgement, 2 s on: the first backup (seq 3).
        let player = GatewayPlayer(spool: rig.spool)
        #expect(Wait.until(seconds: 30) { player.outgoing().count >= 3 })
        let names = player.outgoing()
        #expect(names.contains("hotline-1-84811463803"))
        #expect(names.contains("hotline-2-84811463801"))
        #expect(names.contains("hotline-3-\(backupNumber)"))
        let child = try #require(spoolFile(rig.spool.outgoing + "/hotline-1-84811463803"))
        #expect(child.headers["To"] == "84811463803")
        #expect(child.headers["Alphabet"] == "UTF")
        #expect(child.headers["Hotline-Seq"] == "1")
        #expect(child.text.contains(id))
        #expect(child.text.contains("Xã Ân Hòa"))
        #expect(child.text.contains(rig.directory.villages["V14638-02"]!.name))
        #expect(child.text.contains("KHÔNG GỌI LẠI CHO NGƯỜI GỌI"))
        #expect(child.text.contains("khẩn cấp"))
        let responder = try #require(spoolFile(rig.spool.outgoing + "/hotline-3-\(backupNumber)"))
        #expect(responder.text.contains("cấp 1"))
        #expect(responder.text.contains("OK \(id)"))
        #expect(responder.text.contains("Hạn đã qua"))
        #expect(responder.text.contains("(UTC+7)"))
        #expect(responder.text == responder.text.precomposedStringWithCanonicalMapping)
        // The gateway sends them all; the notifier reads the outcome.
        #expect(player.deliver().count >= 3)
        #expect(Wait.until(seconds: 30) { (try Self.summary(rig).states["sent"]?.integerValue ?? 0) >= 3 })
        // Rotation (SIGHUP): the notifier follows into the new file.
        kill(rig.daemon.process!.processIdentifier, SIGHUP)
        #expect(Wait.until(seconds: 30) { FileManager.default.fileExists(atPath: rig.folder + "/daemon/data/escalations.jsonl.1") })
        let second = try Self.okObject(
            try c.request(#"REPORT {"ref":"n2","severity":"normal","forms":["economic"],"children":2,"caller":"MARKER-CALLER-2"}"#))
        var found: Int?
        #expect(Wait.until(seconds: 30) {
            found = rig.queueRecords().last { $0["incident"] == second["incident"] }?["seq"]?.integerValue
            return found != nil
        })
        let seq = try #require(found)
        #expect(Wait.until(seconds: 30) { player.outgoing().contains("hotline-\(seq)-84811463803") })
        player.deliver()
        // No personal data anywhere the notifier writes: spool, ledger, log, status.
        rig.stopNotifier()
        var everything = Data()
        for f in Self.files(rig.spool.sent) { everything += FileManager.default.contents(atPath: rig.spool.sent + "/" + f) ?? Data() }
        for f in Self.files(rig.stateDir) { everything += FileManager.default.contents(atPath: rig.stateDir + "/" + f) ?? Data() }
        everything += Data(rig.log.utf8)
        everything += Data(try rig.notify(["status"]).output.utf8)
        #expect(!everything.isEmpty)
        let text = String(decoding: everything, as: UTF8.self)
        #expect(!text.contains("MARKER"))
        #expect(!text.contains("0987 654 321") && !text.contains("987654321"))
        #expect(text.contains(id))
    }

    @Test func failedMessagesAreRetriedThenGivenUpLoudly() throws {
        let rig = try NotifyRig(notify: "[retry]\nmax_attempts = 3\nbackoff = \"1s\"\n")
        defer { rig.cleanUp() }
        try rig.daemon.start()
        try rig.startNotifier()
        let c = try rig.daemon.gateway("14320")
        _ = try Self.okObject(try c.request(#"REPORT {"ref":"f1","severity":"normal","forms":["economic"],"children":1}"#))
        let player = GatewayPlayer(spool: rig.spool)
        var failed: [String] = []
        #expect(Wait.until(seconds: 60) {
            failed += player.deliver { _ in true }
            return (try? Self.summary(rig).states["gave_up"]?.integerValue ?? 0) == 1
        })
        #expect(failed == ["hotline-1-84811432003", "hotline-1-84811432003-r2", "hotline-1-84811432003-r3"])
        let s = try Self.summary(rig)
        #expect(s.states["queued"] == nil && s.states["retry"] == nil)
        #expect(try rig.notify(["status"]).output.contains("failed for good 1"))
        #expect(rig.log.contains("gave up on a message"))
        #expect(!rig.log.contains("84811432003") && !rig.log.contains("0811432003"))
        #expect(Wait.until(seconds: 30) {
            ((try? String(contentsOfFile: rig.stateDir + "/metrics.prom", encoding: .utf8)) ?? "")
                .contains("hotline_notify_messages{state=\"gave_up\"} 1")
        })
    }

    @Test func aNotifierKilledAgainAndAgainSpoolsEachMessageExactlyOnce() throws {
        let rig = try NotifyRig(notify: "[rate]\nper_recipient = 1000000\n")
        defer { rig.cleanUp() }
        try rig.daemon.start()
        // 1,000 records: reports with children in ten communes (one child-protection record each).
        let communes = Array(rig.directory.communes.keys.sorted().prefix(10))
        for (k, commune) in communes.enumerated() {
            let c = try rig.daemon.gateway(commune)
            for i in 0..<100 {
                try c.send("REPORT {\"ref\":\"k\(k)-\(i)\",\"severity\":\"low\",\"forms\":[\"economic\"],\"children\":1}\n")
            }
            for _ in 0..<100 { #expect(try c.readLine().hasPrefix("OK ")) }
        }
        #expect(Wait.until(seconds: 30) { rig.queueRecords().count == 1000 })
        let records = rig.queueRecords()
        var kills = 0
        var lastSeq = 0
        for round in 0..<60 {
            try rig.startNotifier()
            usleep(UInt32(150_000 + (round * 37_000) % 450_000))
            let running = rig.notifier?.isRunning ?? false
            rig.stopNotifier(SIGKILL)
            if running { kills += 1 }
            lastSeq = (try? Self.summary(rig).lastSeq) ?? lastSeq
            if lastSeq == 1000 { break }
        }
        // One last clean run finishes whatever the kills left.
        try rig.startNotifier()
        #expect(Wait.until(seconds: 60) { try Self.summary(rig).lastSeq == 1000 })
        rig.stopNotifier()
        #expect(kills >= 5)
        var seen: [String: Int] = [:]
        for name in GatewayPlayer(spool: rig.spool).outgoing() {
            let f = try #require(spoolFile(rig.spool.outgoing + "/" + name))
            seen["\(f.headers["Hotline-Seq"] ?? "?") \(f.headers["To"] ?? "?")", default: 0] += 1
        }
        var expected = Set<String>()
        for r in records {
            let commune = try #require(r["commune"]?.stringValue)
            expected.insert("\(r["seq"]!.integerValue!) 81\(commune)03".replacingOccurrences(of: " 81", with: " 8481"))
        }
        #expect(Set(seen.keys) == expected)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(try Self.summary(rig).states["queued"] == 1000)
        // Half-written files of killed runs are removed on restart; none is left.
        let hidden = ((try? FileManager.default.contentsOfDirectory(atPath: rig.spool.outgoing)) ?? []).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty)
        print("notify kill test: \(kills) kills during the run")
    }

    @Test func aFloodToOneNumberBecomesDigests() throws {
        let rig = try NotifyRig(notify: "[rate]\nper_recipient = 3\nwindow = \"15m\"\ndigest_every = \"1s\"\n")
        defer { rig.cleanUp() }
        try rig.daemon.start()
        let c = try rig.daemon.gateway("14638")
        for i in 0..<12 {
            _ = try Self.okObject(try c.request("REPORT {\"ref\":\"d\(i)\",\"severity\":\"low\",\"forms\":[\"economic\"],\"children\":1}"))
        }
        try rig.startNotifier()
        #expect(Wait.until(seconds: 30) {
            let s = try Self.summary(rig)
            return s.lastSeq == 12 && s.states["digest"] == nil && s.states["digested"]?.integerValue == 9
        })
        let names = GatewayPlayer(spool: rig.spool).outgoing()
        #expect(names.filter { !$0.contains("digest") }.count == 3)
        let digests = names.filter { $0.hasPrefix("hotline-digest-84811463803-") }
        #expect(!digests.isEmpty)
        var total = 0
        for d in digests {
            let f = try #require(spoolFile(rig.spool.outgoing + "/" + d))
            #expect(f.headers["To"] == "84811463803")
            #expect(f.text.contains("Xã Ân Hòa"))
            #expect(f.text.contains("hotlinectl incidents --overdue"))
            let words = f.text.split(separator: " ")
            if let i = words.firstIndex(of: "thêm"), let n = Int(words[i + 1]) { total += n }
        }
        #expect(total == 9)
    }

    @Test func aResponderAcknowledgesByReply() throws {
        let rig = try NotifyRig()
        defer { rig.cleanUp() }
        try rig.daemon.start()
        try rig.startNotifier()
        let c = try rig.daemon.gateway("14638")
        let receipt = try Self.okObject(try c.request(#"REPORT {"ref":"r1","severity":"normal","forms":["economic"]}"#))
        let id = try #require(receipt["incident"]?.stringValue)
        let assigned = try #require(receipt["assigned"]?.objectValue)
        let phone = try #require(assigned["phone"]?.stringValue)
        let number = try #require(PhoneNumber.msisdn(phone))
        let player = GatewayPlayer(spool: rig.spool)
        // From a number that is no responder of the incident: nothing happens, nothing of it logged.
        player.receive(from: "84999999999", text: "OK \(id)")
        player.receive(from: number, text: "hello MARKER-SMS")
        #expect(Wait.until(seconds: 30) { try Self.summary(rig).replies["not_responder"] == 1 })
        #expect(Wait.until(seconds: 30) { try Self.summary(rig).replies["not_understood"] == 1 })
        #expect(try Self.okObject(try c.request("STATUS \(id)"))["state"] == "open")
        // From the assignee, in UCS-2 as a phone may send it: an ACK through the daemon.
        player.receive(from: number, text: "ok \(id.lowercased())", ucs2: true)
        #expect(Wait.until(seconds: 30) { try Self.summary(rig).replies["acknowledged"] == 1 })
        let status = try Self.okObject(try c.request("STATUS \(id)"))
        #expect(status["state"] == "acknowledged")
        let history = status["history"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let ack = try #require(history.first { $0["event"] == "acknowledged" })
        #expect(ack["operator"]?.stringValue == NotifierIdentity.name)
        #expect(!rig.log.contains("MARKER-SMS"))
        #expect(!rig.log.contains("84999999999"))
        #expect(rig.log.contains("acknowledged by sms"))
        // The daemon audited the action like any operator's.
        let audit = try rig.daemon.hotlinectl(["audit", "--json"])
        #expect(audit.output.contains(NotifierIdentity.name))
    }

    @Test func aBrokenChainStopsTheNotifierLoudly() throws {
        let rig = try NotifyRig()
        defer { rig.cleanUp() }
        try rig.daemon.start()
        let c = try rig.daemon.gateway("14320")
        for i in 0..<3 {
            _ = try Self.okObject(try c.request("REPORT {\"ref\":\"b\(i)\",\"severity\":\"low\",\"forms\":[\"economic\"],\"children\":1}"))
        }
        try rig.startNotifier()
        #expect(Wait.until(seconds: 30) { try Self.summary(rig).lastSeq == 3 })
        rig.stopNotifier()
        for i in 3..<5 {
            _ = try Self.okObject(try c.request("REPORT {\"ref\":\"b\(i)\",\"severity\":\"low\",\"forms\":[\"economic\"],\"children\":1}"))
        }
        #expect(Wait.until(seconds: 30) { rig.queueRecords().count == 5 })
        rig.daemon.kill(SIGTERM)
        // Seq 4 altered after it was written: seq 5's prev no longer matches.
        let path = rig.folder + "/daemon/data/escalations.jsonl"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        text = text.replacingOccurrences(of: String(lines[3]), with: lines[3].replacingOccurrences(of: "\"level\":0", with: "\"level\":5"))
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try rig.startNotifier()
        rig.notifier?.waitUntilExit()
        #expect(rig.notifier?.terminationStatus == 65)
        let status = try rig.notify(["status"])
        #expect(status.status == 1)
        #expect(status.output.contains("STOPPED: escalation queue chain broken"))
        #expect(status.output.contains("prev of seq 5"))
        let metrics = try String(contentsOfFile: rig.stateDir + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("hotline_notify_chain_broken 1"))
        // Nothing after the break was sent.
        #expect(!GatewayPlayer(spool: rig.spool).outgoing().contains { $0.hasPrefix("hotline-4-") || $0.hasPrefix("hotline-5-") })
        #expect(try Self.summary(rig).lastSeq == 3)
    }
}
