/// A point in time as whole seconds since the Unix epoch, UTC.
///
/// Reports carry RFC 3339 times; replies always render UTC with `Z` and whole seconds
/// (a fraction in a request is truncated).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    public func adding(seconds s: Int64) -> Timestamp { Timestamp(seconds: seconds + s) }

    public var description: String { rfc3339 }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var rfc3339: String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secs = seconds - days * 86_400
        let (y, m, d) = Self.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))Z"
    }

    /// Parses RFC 3339 `date-time`: `2026-11-29T08:30:00Z`, `…T15:30:00.250+07:00`. `T` and `Z`
    /// may be lower case. A leap second (`:60`) is taken as `:59`.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == UInt8(ascii: "-"), let month = num(5, 2), b[7] == UInt8(ascii: "-"),
            let day = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2),
            b[16] == UInt8(ascii: ":"), var second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Self.daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        if second == 60 { second = 59 }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > start, i - start <= 9 else { return nil }
        }
        guard i < b.count else { return nil }
        var offset: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2),
                oh <= 23, om <= 59
            else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let utc = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        // In UTC the year must still have four digits (0000-01-01T00:00:00+23:59 is in year -1).
        guard (Self.minimumSeconds...Self.maximumSeconds).contains(utc) else { return nil }
        seconds = utc
    }

    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the times RFC 3339 can write.
    public static let minimumSeconds: Int64 = days(fromCivil: 0, 1, 1) * 86_400
    public static let maximumSeconds: Int64 = days(fromCivil: 9999, 12, 31) * 86_400 + 86_399

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Year, month and day of a count of days since 1970-01-01.
    public static func civilDate(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        civil(fromDays: days)
    }

    /// Minutes since local midnight in Vietnam (UTC+7, no daylight saving).
    public var vietnamMinuteOfDay: Int {
        let local = seconds + 7 * 3600
        let s = ((local % 86_400) + 86_400) % 86_400
        return Int(s / 60)
    }
}

/// Parses durations such as `30s`, `10m`, `1h`, `2d` into seconds.
public enum DurationText {
    public static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, text.count >= 2 else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 9, let n = Int64(digits), n > 0
        else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = n
        case "m": seconds = n * 60
        case "h": seconds = n * 3600
        case "d": seconds = n * 86_400
        default: return nil
        }
        return seconds <= maximumSeconds ? seconds : nil
    }

    /// The longest duration accepted: ten years (3650d). Longer ones are refused, so that no
    /// deadline can run past the four-digit years a time is written with.
    public static let maximumSeconds: Int64 = 3650 * 86_400
}

extension Timestamp {
    /// The first second of this time's month in Vietnam (UTC+7), and that month as `YYYY-MM`.
    public var vietnamMonth: (start: Timestamp, name: String) {
        let local = seconds + 7 * 3600
        let (y, m, _) = Timestamp.civilDate(days: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        let start = Timestamp(seconds: Timestamp.days(fromCivil: y, m, 1) * 86_400 - 7 * 3600)
        let name = String(y) + "-" + (m < 10 ? "0" : "") + String(m)
        return (start, name)
    }

    /// This time's year in Vietnam (UTC+7).
    public var vietnamYear: Int {
        let local = seconds + 7 * 3600
        return Int(Timestamp.civilDate(days: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400).year)
    }
}
