/// When a responder can be reached, in Vietnam's local time (UTC+7).
public enum OpeningHours: Sendable, Equatable {
    /// `24/7`
    case always
    /// `-`
    case never
    /// `HH:MM-HH:MM`: [start, end) in minutes after local midnight; an end before the start
    /// spans midnight.
    case window(start: Int, end: Int)

    /// Parses the `hours` column; `nil` for anything else (equal start and end included,
    /// since it is ambiguous between "never" and "always").
    public init?(_ text: String) {
        switch text {
        case "24/7": self = .always
        case "-": self = .never
        default:
            let b = Array(text.utf8)
            guard b.count == 11, b[5] == UInt8(ascii: "-"), let s = Self.minutes(b[0..<5]),
                let e = Self.minutes(b[6..<11]), s != e
            else { return nil }
            self = .window(start: s, end: e)
        }
    }

    private static func minutes(_ b: ArraySlice<UInt8>) -> Int? {
        let a = Array(b)
        guard a.count == 5, a[2] == UInt8(ascii: ":"),
            [a[0], a[1], a[3], a[4]].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        let h = Int(a[0] - 0x30) * 10 + Int(a[1] - 0x30)
        let m = Int(a[3] - 0x30) * 10 + Int(a[4] - 0x30)
        guard h <= 23, m <= 59 else { return nil }
        return h * 60 + m
    }

    public func isOpen(at time: Timestamp) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case let .window(start, end):
            let m = time.vietnamMinuteOfDay
            return start < end ? (m >= start && m < end) : (m >= start || m < end)
        }
    }
}
