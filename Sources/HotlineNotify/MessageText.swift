import Foundation
import HotlineCore

/// The text of a message: Vietnamese with diacritics (NFC) or English. It names the incident,
/// its severity and level, why it is sent, the commune and village, whom to call and their
/// number, the deadline in local time, the callback warning and how to acknowledge. It never
/// holds a caller's number, a summary, a note or a reason: the record it is made of has none.
public struct MessageText: Sendable {
    public var directory: Directory
    public var language: NotifyConfiguration.Language
    public var utcOffset: Int64

    public init(directory: Directory, language: NotifyConfiguration.Language, utcOffset: Int64) {
        self.directory = directory
        self.language = language
        self.utcOffset = utcOffset
    }

    /// UCS-2 (UTF-16) code units, the unit an SMS with Vietnamese diacritics is counted in.
    public static func units(_ text: String) -> Int { text.utf16.count }

    /// SMS parts the text takes in UCS-2: 70 units in one, 67 per part when concatenated.
    public static func parts(_ text: String) -> Int {
        let n = units(text)
        return n <= 70 ? 1 : (n + 66) / 67
    }

    public func text(_ record: QueueRecord, for recipient: Recipient) -> String {
        let vi = language == .vi
        var lines: [String] = []
        if record.reason == "store_restored" {
            lines.append(vi ? "Hotline: cơ sở dữ liệu đã được khôi phục từ bản sao lưu. Kiểm tra: hotlinectl status"
                            : "Hotline: the store was restored from a backup. Check: hotlinectl status")
            return Self.nfc(lines.joined(separator: "\n"))
        }
        let id = record.incident ?? "?"
        let severity = record.severity.map { vi ? Self.severityVi[$0] ?? $0 : $0 } ?? "?"
        let why = vi ? Self.reasonVi[record.reason] ?? record.reason : Self.reasonEn[record.reason] ?? record.reason
        lines.append(vi ? "Hotline \(id) (\(severity)), cấp \(record.level): \(why)" : "Hotline \(id) (\(severity)), level \(record.level): \(why)")
        var place: [String] = []
        if let v = record.village, let village = directory.villages[v] { place.append(village.name) }
        if let c = record.commune, let commune = directory.communes[c] { place.append(commune.name) }
        if !place.isEmpty { lines.append(place.joined(separator: ", ")) }
        if let a = record.assigned {
            if recipient.role == "responder", recipient.party == a.id {
                let hotline = record.commune.flatMap { c in directory.hotlines.values.first { $0.communeCode == c } }
                lines.append(vi ? "Vụ việc giao cho bạn (\(a.name))." : "The case is yours (\(a.name)).")
                if let h = hotline { lines.append((vi ? "Đường dây nóng: " : "Hotline: ") + h.phone) }
            } else {
                lines.append((vi ? "Gọi: " : "Call: ") + "\(a.name) \(a.phone)")
            }
        }
        if let due = record.due {
            let overdue = record.reason == "ack_overdue" || record.reason == "attend_overdue"
            let label = overdue ? (vi ? "Hạn đã qua: " : "Deadline missed: ") : (vi ? "Lúc: " : "At: ")
            lines.append(label + local(due))
        }
        if record.callback == "unsafe" {
            lines.append(vi ? "KHÔNG GỌI LẠI CHO NGƯỜI GỌI" : "DO NOT CALL THE CALLER BACK")
        }
        if recipient.role == "responder" {
            lines.append((vi ? "Nhận vụ: trả lời " : "To acknowledge reply ") + "OK \(id)")
        }
        return Self.nfc(lines.joined(separator: "\n"))
    }

    /// "37 more overdue in Huyện Kim Sơn: hotlinectl incidents --overdue".
    public func digest(count: Int, communes: [String]) -> String {
        let vi = language == .vi
        let names = Set(communes)
        let place: String
        if names.count == 1, let c = directory.communes[names.first!] {
            place = c.name
        } else if let d = Set(names.compactMap { directory.communes[$0]?.district }).onlyElement {
            place = d
        } else {
            place = vi ? "toàn tỉnh" : "the province"
        }
        return Self.nfc(vi ? "Hotline: thêm \(count) vụ cần xử lý ở \(place): hotlinectl incidents --overdue"
                           : "Hotline: \(count) more overdue in \(place): hotlinectl incidents --overdue")
    }

    /// `HH:MM DD/MM/YYYY (UTC+7)`.
    public func local(_ t: Timestamp) -> String {
        let s = t.seconds + utcOffset
        let days = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let (y, m, d) = Timestamp.civilDate(days: days)
        let sod = s - days * 86_400
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let h = utcOffset / 3600, mm = abs(utcOffset % 3600) / 60
        let zone = "UTC" + (utcOffset >= 0 ? "+" : "-") + "\(abs(h))" + (mm == 0 ? "" : ":" + two(mm))
        return "\(two(sod / 3600)):\(two(sod % 3600 / 60)) \(two(d))/\(two(m))/\(y) (\(zone))"
    }

    static func nfc(_ s: String) -> String { s.precomposedStringWithCanonicalMapping }

    static let severityVi = ["critical": "rất khẩn cấp", "high": "khẩn cấp", "normal": "thường", "low": "thấp"]
    static let reasonVi = [
        "ack_overdue": "chưa có ai nhận vụ", "attend_overdue": "chưa có ai đến hiện trường",
        "child_protection": "có trẻ em, báo bảo vệ trẻ em", "police": "cần công an xã",
        "shelter_cap": "xã đã hết chỗ tạm lánh, tìm chỗ cho nạn nhân", "retracted": "tin báo bị rút lại, cần xem xét",
    ]
    static let reasonEn = [
        "ack_overdue": "nobody has acknowledged", "attend_overdue": "nobody has attended",
        "child_protection": "children involved", "police": "police needed",
        "shelter_cap": "the commune has no shelter place left: find one", "retracted": "the report was retracted: review",
    ]
}

extension Set {
    var onlyElement: Element? { count == 1 ? first : nil }
}
