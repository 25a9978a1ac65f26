/// Why a record was written to the escalation queue.
public enum EscalationReason: String, Sendable, CaseIterable {
    /// The acknowledgement deadline passed.
    case ackOverdue = "ack_overdue"
    /// The attendance deadline passed.
    case attendOverdue = "attend_overdue"
    /// The caller withdrew the report: the incident stays open and is flagged for review.
    case retracted
    /// At intake: children are among the victims or present.
    case childProtection = "child_protection"
    /// At intake: a weapon, or a critical report.
    case police
    /// At intake: the report needed a shelter place, but its commune already holds as many as
    /// the server allows (`[triage] max_shelter_per_commune`); the province finds one.
    case shelterCap = "shelter_cap"
}

/// What the policy needs to know of an incident.
public struct DeadlineState: Sendable, Equatable {
    public var state: IncidentState
    public var level: Int
    public var severity: Severity
    public var ackDue: Timestamp?
    public var attendDue: Timestamp?
    /// How many backups the receipt named (0 to 2).
    public var backupCount: Int

    public init(state: IncidentState, level: Int, severity: Severity, ackDue: Timestamp?, attendDue: Timestamp?, backupCount: Int) {
        self.state = state
        self.level = level
        self.severity = severity
        self.ackDue = ackDue
        self.attendDue = attendDue
        self.backupCount = backupCount
    }

    /// The deadline being watched: the acknowledgement while open, the attendance once
    /// acknowledged, none after attendance.
    public var nextDue: Timestamp? {
        switch state {
        case .open: ackDue
        case .acknowledged: attendDue
        case .attended, .closed: nil
        }
    }
}

/// One escalation decided by the policy.
public struct EscalationDecision: Sendable, Equatable {
    public var reason: EscalationReason
    public var level: Int
    /// The deadline that was missed.
    public var due: Timestamp
    /// Re-assign to this backup (0 = first) at levels 1 and 2.
    public var reassignToBackup: Int?
    /// The next deadline of the same kind: the escalation's time + the same window.
    public var nextDue: Timestamp

    public init(reason: EscalationReason, level: Int, due: Timestamp, reassignToBackup: Int?, nextDue: Timestamp) {
        self.reason = reason
        self.level = level
        self.due = due
        self.reassignToBackup = reassignToBackup
        self.nextDue = nextDue
    }
}

/// Decides, given the time, whether an incident's deadline has passed and what happens.
/// Pure: no clock, no I/O.
public enum EscalationPolicy {
    public static func decide(
        _ s: DeadlineState, now: Timestamp, windows: DeadlineTable, ladder: EscalationLadder
    ) -> EscalationDecision? {
        let w = windows[s.severity]
        switch s.state {
        case .open:
            guard let due = s.ackDue, due <= now else { return nil }
            let level = ladder.ackLevels.first { candidate in
                candidate > s.level && (candidate > 2 || candidate <= s.backupCount)
            } ?? EscalationLadder.topLevel
            return EscalationDecision(
                reason: .ackOverdue, level: level, due: due, reassignToBackup: level <= 2 ? level - 1 : nil,
                nextDue: now.adding(seconds: w.ack))
        case .acknowledged:
            guard let due = s.attendDue, due <= now else { return nil }
            let level = min(EscalationLadder.topLevel, max(s.level + 1, ladder.attendFromLevel))
            return EscalationDecision(
                reason: .attendOverdue, level: level, due: due, reassignToBackup: nil,
                nextDue: now.adding(seconds: w.attend))
        case .attended, .closed:
            return nil
        }
    }

    /// The parties to alert at a level, besides the responder holding the incident.
    public static func notify(level: Int, commune: String, district: String, reason: EscalationReason) -> [JSONValue] {
        switch reason {
        case .childProtection:
            return [.object(["role": "child_protection", "commune": .string(commune)])]
        case .police:
            return [.object(["role": "commune_police", "commune": .string(commune)])]
        case .retracted:
            return [.object(["role": "commune_chairman", "commune": .string(commune)])]
        case .shelterCap:
            return [.object(["role": "province"])]
        case .ackOverdue, .attendOverdue:
            switch level {
            case ...2: return []
            case 3:
                return [
                    .object(["role": "commune_chairman", "commune": .string(commune)]),
                    .object(["role": "commune_police", "commune": .string(commune)]),
                ]
            case 4: return [.object(["role": "district", "district": .string(district)])]
            default: return [.object(["role": "province"])]
            }
        }
    }
}
