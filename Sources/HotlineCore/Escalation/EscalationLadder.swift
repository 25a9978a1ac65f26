/// Who is chased at each escalation level (hotline-protocol(7), "Deadlines and escalation").
///
/// Levels: 0 the receipt's assignee; 1 the first backup; 2 the second backup; 3 the commune
/// authorities (chairman and commune police); 4 the district; 5 the province.
public struct EscalationLadder: Sendable, Equatable {
    /// The levels a missed acknowledgement climbs through, in order. Default `[1, 2, 3, 4, 5]`.
    /// Level 1 or 2 is skipped when the incident has no such backup.
    public var ackLevels: [Int]
    /// A missed attendance goes to max(level + 1, this). Default 3.
    public var attendFromLevel: Int

    public static let topLevel = 5

    public init(ackLevels: [Int] = [1, 2, 3, 4, 5], attendFromLevel: Int = 3) {
        self.ackLevels = ackLevels
        self.attendFromLevel = attendFromLevel
    }

    public static let `default` = EscalationLadder()

    /// Whether the configuration makes sense: levels 1 to 5, rising, ending at 5.
    public var problem: String? {
        guard !ackLevels.isEmpty, ackLevels.allSatisfy({ (1...5).contains($0) }) else {
            return "ack_levels must list levels from 1 to 5"
        }
        guard zip(ackLevels, ackLevels.dropFirst()).allSatisfy({ $0 < $1 }) else { return "ack_levels must rise" }
        guard ackLevels.last == Self.topLevel else { return "ack_levels must end at level 5 (the province)" }
        guard (1...5).contains(attendFromLevel) else { return "attend_from_level must be from 1 to 5" }
        return nil
    }
}
