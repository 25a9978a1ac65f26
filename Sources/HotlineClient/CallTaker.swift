import Foundation
import HotlineCore

/// The interactive call-taker flow of `hotline-gateway new`: questions in Vietnamese (or
/// English), answers typed while on the phone, a report built from them. Pure over its input
/// and output functions, so it can be driven by a terminal or a test.
public struct CallTaker {
    public enum Language: String, Sendable { case vi, en }

    let language: Language
    let villages: [Village]
    let read: () -> String?
    let write: (String) -> Void

    public init(language: Language, villages: [Village], read: @escaping () -> String?, write: @escaping (String) -> Void) {
        self.language = language
        self.villages = villages.sorted { $0.id < $1.id }
        self.read = read
        self.write = write
    }

    func t(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }

    func ask(_ question: String) -> String? {
        write(question + " ")
        return read()?.trimmingCharacters(in: .whitespaces)
    }

    func choose(_ question: String, _ options: [(String, String)]) -> String? {
        while true {
            let list = options.enumerated().map { "\($0.offset + 1)) \($0.element.1)" }.joined(separator: "  ")
            guard let answer = ask("\(question) [\(list)]") else { return nil }
            if let n = Int(answer), (1...options.count).contains(n) { return options[n - 1].0 }
            if let match = options.first(where: { TextFolding.fold($0.1) == TextFolding.fold(answer) || $0.0 == answer }) {
                return match.0
            }
            write(t("Chưa rõ, xin chọn lại.\n", "Not understood, choose again.\n"))
        }
    }

    func yes(_ question: String) -> Bool? {
        guard let a = ask(question + t(" (c/k)", " (y/n)")) else { return nil }
        return ["c", "co", "có", "y", "yes"].contains(TextFolding.fold(a))
    }

    func number(_ question: String, _ range: ClosedRange<Int>, default d: Int) -> Int? {
        while true {
            guard let a = ask(question + " [\(d)]") else { return nil }
            if a.isEmpty { return d }
            if let n = Int(a), range.contains(n) { return n }
            write(t("Xin nhập số từ \(range.lowerBound) đến \(range.upperBound).\n", "A number from \(range.lowerBound) to \(range.upperBound), please.\n"))
        }
    }

    /// Asks everything and returns the report (nil if the input ended).
    public func interview() -> JSONObject? {
        var report = JSONObject()
        guard let severity = choose(
            t("Mức độ?", "Severity?"),
            [("critical", t("nguy cấp", "critical")), ("high", t("cao", "high")), ("normal", t("trung bình", "normal")), ("low", t("thấp", "low"))])
        else { return nil }
        report["severity"] = .string(severity)
        let formNames: [(String, String)] = [
            ("physical", t("thể chất", "physical")), ("psychological", t("tinh thần", "psychological")),
            ("sexual", t("tình dục", "sexual")), ("economic", t("kinh tế", "economic")),
        ]
        var forms: [String] = []
        while forms.isEmpty {
            let list = formNames.enumerated().map { "\($0.offset + 1)) \($0.element.1)" }.joined(separator: "  ")
            guard let answer = ask(t("Hình thức bạo lực (có thể nhiều, cách nhau dấu phẩy)?", "Forms of violence (several, comma-separated)?") + " [\(list)]")
            else { return nil }
            for part in answer.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if let n = Int(part), (1...4).contains(n) { forms.append(formNames[n - 1].0) }
                else if let f = formNames.first(where: { TextFolding.fold($0.1) == TextFolding.fold(part) || $0.0 == part }) { forms.append(f.0) }
            }
            forms = Array(Set(forms)).sorted()
        }
        report["forms"] = .array(forms.map { .string($0) })
        // The village, typed with or without diacritics, chosen from the commune's list.
        while !villages.isEmpty {
            guard let typed = ask(t("Thôn/xóm (gõ tên, có dấu hoặc không; bỏ trống nếu không rõ)?", "Village (type its name, with or without diacritics; empty if unknown)?"))
            else { return nil }
            if typed.isEmpty { break }
            let matches = villages.filter { TextFolding.matches(typed, in: $0.name) }
            if matches.count == 1 {
                report["village"] = .string(matches[0].id)
                write(t("→ \(matches[0].name)\n", "→ \(matches[0].name)\n"))
                break
            }
            if matches.isEmpty {
                write(t("Không thấy thôn nào như vậy.\n", "No such village.\n"))
                continue
            }
            if let pick = choose(t("Thôn nào?", "Which one?"), matches.prefix(9).map { ($0.id, $0.name) }) {
                report["village"] = .string(pick)
                break
            }
            return nil
        }
        guard let victims = number(t("Số nạn nhân?", "Victims?"), 1...50, default: 1),
            let children = number(t("Số trẻ em (nạn nhân hoặc có mặt)?", "Children among them or present?"), 0...50, default: 0),
            let injured = yes(t("Có người bị thương?", "Anyone injured?")),
            let weapon = yes(t("Có hung khí?", "A weapon?")),
            let shelter = yes(t("Cần nơi tạm lánh?", "Shelter needed?")),
            let vulnerable = yes(t("Nạn nhân có thai, nuôi con nhỏ, cao tuổi, khuyết tật?", "Victim pregnant, nursing, elderly or disabled?"))
        else { return nil }
        report["victims"] = JSONValue(victims)
        report["children"] = JSONValue(children)
        report["injured"] = .bool(injured)
        report["weapon"] = .bool(weapon)
        report["needs_shelter"] = .bool(shelter)
        report["vulnerable"] = .bool(vulnerable)
        if let caller = ask(t("Số điện thoại người gọi (bỏ trống nếu không có)?", "Caller's phone (empty if none)?")), !caller.isEmpty {
            report["caller"] = .string(String(caller.prefix(32)))
        }
        // The abuser may hold or watch the phone: may a responder call back?
        guard
            let callback = choose(
                t("Gọi lại cho người gọi có an toàn không?", "Is it safe to call the caller back?"),
                [("safe", t("an toàn", "safe")), ("unsafe", t("KHÔNG an toàn", "NOT safe")), ("unknown", t("không rõ", "unknown"))])
        else { return nil }
        report["callback"] = .string(callback)
        if let summary = ask(t("Tóm tắt?", "Summary?")), !summary.isEmpty { report["summary"] = .string(String(summary.prefix(2000))) }
        return report
    }

    /// Whom to call now, from a receipt.
    /// Whom to call now, from the daemon's receipt or (`offline`) from the gateway's own
    /// triage, with deadlines in the hotline's local time.
    public func instructions(_ receipt: JSONObject, now: Timestamp, localTime: LocalTime = .vietnam) -> String {
        func person(_ v: JSONValue?) -> String {
            guard let o = v?.objectValue else { return t("(không có)", "(none)") }
            return "\(o["name"]?.stringValue ?? "?") — \(o["phone"]?.stringValue ?? "?") (\(o["distance_m"]?.integerValue ?? 0) m)"
        }
        func time(_ v: JSONValue?) -> String {
            guard let text = v?.stringValue, let t = Timestamp(rfc3339: text) else { return "?" }
            return localTime.format(t, now: now, vietnamese: language == .vi)
        }
        let offline = receipt["offline"] == true
        let severityVi = ["critical": "nguy cấp", "high": "cao", "normal": "trung bình", "low": "thấp"]
        let severity = receipt["severity"]?.stringValue ?? "?"
        var lines: [String] = []
        if offline {
            lines.append(t(
                "*** CHƯA BÁO ĐƯỢC LÊN TỈNH — máy trạm tự tính theo danh bạ của xã; cuộc gọi đã lưu và sẽ gửi khi kết nối lại ***",
                "*** NOT YET REPORTED TO THE PROVINCE — worked out on this gateway from its directory; the call is saved and will be sent ***"))
            lines.append(t("Mức \(severityVi[severity] ?? severity)", "Severity \(severity)"))
        } else {
            lines.append(t("Đã ghi nhận: \(receipt["incident"]?.stringValue ?? "?") (mức \(severityVi[severity] ?? severity))",
                           "Recorded: \(receipt["incident"]?.stringValue ?? "?") (severity \(severity))"))
        }
        if receipt["callback"] == "unsafe" {
            lines.append(t(
                "!!! KHÔNG GỌI LẠI CHO NGƯỜI GỌI: không an toàn (kẻ bạo hành có thể giữ điện thoại). Báo cho người đến hỗ trợ. !!!",
                "!!! DO NOT CALL THE CALLER BACK: not safe (the abuser may hold the phone). Tell the responders. !!!"))
        }
        lines.append(t("GỌI NGAY: ", "CALL NOW: ") + person(receipt["assigned"]))
        for (i, b) in (receipt["backups"]?.arrayValue ?? []).enumerated() {
            lines.append(t("Dự phòng \(i + 1): ", "Backup \(i + 1): ") + person(b))
        }
        if receipt["shelter"] != nil, receipt["shelter"] != .null {
            lines.append(
                t("Nơi tạm lánh: ", "Shelter: ") + person(receipt["shelter"])
                    + (offline ? t(" (chưa biết còn chỗ)", " (free places not known)") : ""))
        }
        let provisional = offline ? t(" (mặc định)", " (default windows)") : ""
        lines.append(t("Hạn tiếp nhận: ", "Acknowledge by: ") + time(receipt["ack_due"]) + provisional)
        lines.append(t("Hạn có mặt (tạm tính): ", "Attend by (provisional): ") + time(receipt["attend_due"]) + provisional)
        return lines.joined(separator: "\n") + "\n"
    }
}
