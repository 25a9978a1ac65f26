import HotlineCore
import Testing

struct EscalationPolicyTests {
    static let t0 = Timestamp(rfc3339: "2026-11-29T08:00:00Z")!
    static let table = DeadlineTable.defaults

    static func state(_ s: IncidentState, level: Int = 0, severity: Severity, ackIn: Int64? = nil, attendIn: Int64? = nil,
                      backups: Int = 2) -> DeadlineState
    {
        DeadlineState(
            state: s, level: level, severity: severity, ackDue: ackIn.map { t0.adding(seconds: $0) },
            attendDue: attendIn.map { t0.adding(seconds: $0) }, backupCount: backups)
    }

    @Test(arguments: Severity.allCases)
    func ackInTimeDoesNothingAndAckLateEscalatesToTheFirstBackup(severity: Severity) {
        let w = Self.table[severity]
        let s = Self.state(.open, severity: severity, ackIn: w.ack)
        // One second before the deadline: nothing.
        #expect(EscalationPolicy.decide(s, now: Self.t0.adding(seconds: w.ack - 1), windows: Self.table, ladder: .default) == nil)
        // At the deadline: level 1, the first backup, next ack window from now.
        let now = Self.t0.adding(seconds: w.ack)
        let d = EscalationPolicy.decide(s, now: now, windows: Self.table, ladder: .default)
        #expect(
            d == EscalationDecision(
                reason: .ackOverdue, level: 1, due: now, reassignToBackup: 0, nextDue: now.adding(seconds: w.ack)))
        // Acknowledged in time: the acknowledgement deadline no longer matters.
        let acked = Self.state(.acknowledged, severity: severity, ackIn: w.ack, attendIn: w.ack + w.attend)
        #expect(EscalationPolicy.decide(acked, now: now, windows: Self.table, ladder: .default) == nil)
    }

    @Test(arguments: Severity.allCases)
    func attendLateGoesStraightToTheCommune(severity: Severity) {
        let w = Self.table[severity]
        let due = w.attend
        let now = Self.t0.adding(seconds: due + 5)
        for (level, expected) in [(0, 3), (1, 3), (2, 3), (3, 4), (4, 5), (5, 5)] {
            let s = Self.state(.acknowledged, level: level, severity: severity, attendIn: due)
            let d = EscalationPolicy.decide(s, now: now, windows: Self.table, ladder: .default)
            #expect(d?.reason == .attendOverdue)
            #expect(d?.level == expected)
            #expect(d?.due == Self.t0.adding(seconds: due))
            #expect(d?.reassignToBackup == nil)
            #expect(d?.nextDue == now.adding(seconds: w.attend))
        }
        // Attended or closed: nothing is watched.
        for done in [IncidentState.attended, .closed] {
            #expect(EscalationPolicy.decide(Self.state(done, severity: severity, ackIn: 0, attendIn: 0), now: now, windows: Self.table, ladder: .default) == nil)
        }
    }

    @Test func theLadderClimbsAndRepeatsAtTheTop() {
        var s = Self.state(.open, severity: .critical, ackIn: 600)
        var now = Self.t0.adding(seconds: 600)
        var levels: [Int] = []
        for _ in 0..<8 {
            guard let d = EscalationPolicy.decide(s, now: now, windows: Self.table, ladder: .default) else {
                Issue.record("expected an escalation")
                return
            }
            levels.append(d.level)
            #expect(d.due == s.ackDue)
            s.level = d.level
            s.ackDue = d.nextDue
            now = d.nextDue
        }
        #expect(levels == [1, 2, 3, 4, 5, 5, 5, 5])
    }

    @Test func missingBackupsAreSkippedAndTheLadderIsConfigurable() {
        let none = Self.state(.open, severity: .high, ackIn: 0, backups: 0)
        #expect(EscalationPolicy.decide(none, now: Self.t0, windows: Self.table, ladder: .default)?.level == 3)
        let one = Self.state(.open, level: 1, severity: .high, ackIn: 0, backups: 1)
        #expect(EscalationPolicy.decide(one, now: Self.t0, windows: Self.table, ladder: .default)?.level == 3)
        let direct = EscalationLadder(ackLevels: [3, 5], attendFromLevel: 4)
        #expect(direct.problem == nil)
        #expect(EscalationPolicy.decide(Self.state(.open, severity: .low, ackIn: 0), now: Self.t0, windows: Self.table, ladder: direct)?.level == 3)
        #expect(EscalationPolicy.decide(Self.state(.open, level: 3, severity: .low, ackIn: 0), now: Self.t0, windows: Self.table, ladder: direct)?.level == 5)
        #expect(EscalationPolicy.decide(Self.state(.acknowledged, severity: .low, attendIn: 0), now: Self.t0, windows: Self.table, ladder: direct)?.level == 4)
        #expect(EscalationLadder(ackLevels: [2, 1, 5]).problem != nil)
        #expect(EscalationLadder(ackLevels: [1, 2, 3]).problem != nil)
        #expect(EscalationLadder(ackLevels: []).problem != nil)
    }

    @Test func notifyParties() {
        #expect(EscalationPolicy.notify(level: 1, commune: "1", district: "9", reason: .ackOverdue).isEmpty)
        #expect(EscalationPolicy.notify(level: 3, commune: "1", district: "9", reason: .ackOverdue).count == 2)
        #expect(EscalationPolicy.notify(level: 4, commune: "1", district: "9", reason: .attendOverdue) == [.object(["role": "district", "district": "9"])])
        #expect(EscalationPolicy.notify(level: 5, commune: "1", district: "9", reason: .ackOverdue) == [.object(["role": "province"])])
        #expect(EscalationPolicy.notify(level: 0, commune: "1", district: "9", reason: .police) == [.object(["role": "commune_police", "commune": "1"])])
    }

    @Test func queueVerifierFindsGapsAndBrokenChains() throws {
        func line(_ seq: Int, _ prev: String) -> [UInt8] { Array(#"{"seq":\#(seq),"x":1,"prev":"\#(prev)"}"#.utf8) }
        let l1 = line(1, "")
        let l2 = line(2, SHA256.hexHash(l1))
        let l3 = line(3, SHA256.hexHash(l2))
        var v = QueueVerifier()
        try v.feed(file: l1 + [0x0A] + l2 + [0x0A] + l3 + [0x0A])
        #expect(v.lastSeq == 3)
        var gap = QueueVerifier()
        #expect(throws: QueueVerifier.Break.self) { try gap.feed(file: l1 + [0x0A] + l3 + [0x0A]) }
        var altered = QueueVerifier()
        #expect(throws: QueueVerifier.Break.self) { try altered.feed(file: l1 + [0x0A] + line(2, "00") + [0x0A]) }
        var torn = QueueVerifier()
        #expect(throws: QueueVerifier.Break.self) { try torn.feed(file: l1 + [0x0A] + Array(l2.prefix(5))) }
    }
}

struct CaseActionValidatorTests {
    static let now = Timestamp(rfc3339: "2026-11-29T08:00:00Z")!

    func object(_ s: String) -> JSONObject { try! JSONParser.parse(s).objectValue! }

    @Test func validAndInvalidBodies() throws {
        let d = Fixtures.directory
        #expect(try CaseActionValidator.ack(nil, directory: d, now: Self.now, attend: false) == .ack(responder: nil, at: Self.now))
        #expect(
            try CaseActionValidator.ack(object(#"{"responder":"PG-14320-01","at":"2026-11-29T07:59:00Z"}"#), directory: d, now: Self.now, attend: true)
                == .attend(responder: "PG-14320-01", at: Self.now.adding(seconds: -60)))
        for bad in [#"{"responder":"nobody"}"#, #"{"at":"soon"}"#, #"{"at":"2026-11-29T09:00:00Z"}"#, #"{"who":"x"}"#] {
            #expect(throws: HLPError.self) { try CaseActionValidator.ack(object(bad), directory: d, now: Self.now, attend: false) }
        }
        let close = try CaseActionValidator.close(object(#"{"offender_measures":["stop_order","none"],"victim_support":["shelter"],"note":"n"}"#), now: Self.now)
        #expect(close == .close(offenderMeasures: [.stopOrder, .none], victimSupport: [.shelter], note: "n", at: Self.now))
        for bad in [
            #"{"offender_measures":[],"victim_support":["none"]}"#, #"{"offender_measures":["none"]}"#,
            #"{"offender_measures":["jail"],"victim_support":["none"]}"#,
            #"{"offender_measures":["none","none"],"victim_support":["none"]}"#,
            #"{"offender_measures":"none","victim_support":["none"]}"#,
            #"{"offender_measures":["none"],"victim_support":["none"],"extra":1}"#,
        ] {
            do {
                _ = try CaseActionValidator.close(object(bad), now: Self.now)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .invalid)
            }
        }
        #expect(try CaseActionValidator.retract(object(#"{"reason":"r"}"#), now: Self.now) == .retract(reason: "r", at: Self.now))
        #expect(throws: HLPError.self) { try CaseActionValidator.retract(object(#"{}"#), now: Self.now) }
        #expect(throws: HLPError.self) { try CaseActionValidator.retract(object(#"{"reason":""}"#), now: Self.now) }
    }
}
