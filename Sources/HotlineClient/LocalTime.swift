import HotlineCore

/// Times for the call-taker: the hotline's local time ("10:31 hôm nay, 29/11"), not UTC.
/// `--json` output keeps RFC 3339 UTC.
public struct LocalTime: Sendable, Equatable {
    /// Seconds east of UTC (Vietnam: +7 h, no daylight saving).
    public var offsetSeconds: Int64

    public static let vietnam = LocalTime(offsetSeconds: 7 * 3600)

    public init(offsetSeconds: Int64) { self.offsetSeconds = offsetSeconds }

    /// `+07:00`, `-03:30`, `Z`; nil when malformed or beyond ±23:59.
    public init?(offset text: String) {
        if text == "Z" || text == "+00:00" || text == "-00:00" {
            offsetSeconds = 0
            return
        }
        let b = Array(text.utf8)
        guard b.count == 6, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), b[3] == UInt8(ascii: ":"),
            let h = Int64(String(decoding: b[1...2], as: UTF8.self)), let m = Int64(String(decoding: b[4...5], as: UTF8.self)),
            h <= 23, m <= 59
        else { return nil }
        offsetSeconds = (h * 3600 + m * 60) * (b[0] == UInt8(ascii: "-") ? -1 : 1)
    }

    /// `HH:MM` and the day: "10:31 hôm nay, 29/11", "08:00 ngày mai, 30/11", "23:10, 27/11/2026"
    /// (English: today, tomorrow, yesterday).
    public func format(_ t: Timestamp, now: Timestamp, vietnamese: Bool = true) -> String {
        let local = t.seconds + offsetSeconds
        let day = Self.floorDiv(local, 86_400)
        let today = Self.floorDiv(now.seconds + offsetSeconds, 86_400)
        let secondOfDay = local - day * 86_400
        let (y, m, d) = Timestamp.civilDate(days: day)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let clock = "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60))"
        let relative: String? =
            switch day - today {
            case 0: vietnamese ? "hôm nay" : "today"
            case 1: vietnamese ? "ngày mai" : "tomorrow"
            case -1: vietnamese ? "hôm qua" : "yesterday"
            default: nil
            }
        if let relative { return "\(clock) \(relative), \(two(d))/\(two(m))" }
        return "\(clock), \(two(d))/\(two(m))/\(y)"
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
}
