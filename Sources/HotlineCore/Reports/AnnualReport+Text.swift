/// The annual report as sentences, the way the province writes them (Vietnamese), or in
/// English, and as CSV for spreadsheets.
extension AnnualReport {
    public enum Language: String, Sendable, CaseIterable { case vi, en }

    static let formNames: [ViolenceForm: (vi: String, en: String)] = [
        .physical: ("thể chất", "physical"), .psychological: ("tinh thần", "psychological"),
        .sexual: ("tình dục", "sexual"), .economic: ("kinh tế", "economic"),
    ]

    static let measureNames: [OffenderMeasure: (vi: String, en: String)] = [
        .stopOrder: ("buộc chấm dứt hành vi bạo lực gia đình", "ordered to stop the violence"),
        .policeSummons: ("triệu tập lên cơ quan công an", "summoned by the police"),
        .noContactCommune: ("cấm tiếp xúc theo quyết định của Chủ tịch Ủy ban nhân dân cấp xã", "no-contact order of the commune chairman"),
        .noContactCourt: ("cấm tiếp xúc theo quyết định của Tòa án", "no-contact order of a court"),
        .communityCriticism: ("góp ý, phê bình trong cộng đồng dân cư", "criticised in the community"),
        .communityService: ("lao động phục vụ cộng đồng", "community service"),
        .behaviourEducation: ("giáo dục, hỗ trợ chuyển đổi hành vi", "behaviour-change education"),
        .administrativeFine: ("xử phạt vi phạm hành chính", "fined"),
        .criminalProsecution: ("truy cứu trách nhiệm hình sự", "prosecuted"),
        .none: ("không áp dụng biện pháp", "no measure"),
    ]

    static let supportNames: [VictimSupport: (vi: String, en: String)] = [
        .medicalCare: ("được chăm sóc y tế", "received medical care"),
        .shelter: ("được bố trí nơi tạm lánh", "were sheltered"),
        .counselling: ("được tư vấn", "were counselled"),
        .legalAid: ("được trợ giúp pháp lý", "received legal aid"),
        .vocationalTraining: ("được hỗ trợ học nghề", "received vocational training"),
        .livingSupport: ("được hỗ trợ sinh kế", "received living support"),
        .postViolenceCare: ("được chăm sóc sau bạo lực", "received post-violence care"),
        .none: ("không cần hỗ trợ", "needed no support"),
    ]

    static func duration(_ s: Int64, _ lang: Language) -> String {
        if s < 60 { return lang == .vi ? "\(s) giây" : "\(s) s" }
        if s < 3600 { return lang == .vi ? "\(s / 60) phút" : "\(s / 60) min" }
        let h = s / 3600, m = s % 3600 / 60
        if lang == .vi { return m == 0 ? "\(h) giờ" : "\(h) giờ \(m) phút" }
        return m == 0 ? "\(h) h" : "\(h) h \(m) min"
    }

    public func text(_ lang: Language) -> String {
        var lines: [String] = []
        let vi = lang == .vi
        lines.append(
            vi
                ? "Trong năm \(year), trên địa bàn toàn tỉnh đã có \(closed) vụ bạo lực gia đình được xử lý (tiếp nhận \(incidents) tin báo qua đường dây nóng)."
                : "In \(year), \(closed) cases of domestic violence were handled across the province (\(incidents) reports received by the hotlines).")
        let forms = ViolenceForm.allCases.compactMap { f in byForm[f].map { (f, $0) } }
        if !forms.isEmpty {
            let parts = forms.map { vi ? "\(Self.formNames[$0.0]!.vi) \($0.1) vụ" : "\(Self.formNames[$0.0]!.en) \($0.1)" }
            lines.append((vi ? "Theo hình thức bạo lực: " : "By form of violence: ") + parts.joined(separator: ", ") + ".")
        }
        let districts = byDistrict.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        if !districts.isEmpty {
            let parts = districts.map { vi ? "\($0.value.name) \($0.value.count) vụ" : "\($0.value.name) \($0.value.count)" }
            lines.append((vi ? "Theo địa bàn: " : "By district: ") + parts.joined(separator: "; ") + ".")
        }
        if !measureGroups.isEmpty {
            let parts = measureGroups.map { group -> String in
                let names = group.measures.map { vi ? Self.measureNames[$0]!.vi : Self.measureNames[$0]!.en }
                return vi ? "\(group.count) vụ \(names.joined(separator: " và "))" : "\(group.count) \(names.joined(separator: " and "))"
            }
            lines.append(
                (vi ? "Biện pháp xử lý đối với người gây bạo lực: " : "Measures against offenders: ")
                    + parts.joined(separator: "; ") + ".")
        }
        if let sentence = supportSentence(lang) { lines.append(sentence) }
        var times: [String] = []
        if let a = ackSeconds {
            times.append(
                vi
                    ? "tiếp nhận xử lý sau \(Self.duration(a.median, lang)) (trung vị), 90% trong vòng \(Self.duration(a.p90, lang))"
                    : "acknowledged after \(Self.duration(a.median, lang)) (median), 90% within \(Self.duration(a.p90, lang))")
        }
        if let a = attendSeconds {
            times.append(
                vi
                    ? "có mặt sau \(Self.duration(a.median, lang)) (trung vị), 90% trong vòng \(Self.duration(a.p90, lang))"
                    : "attended after \(Self.duration(a.median, lang)) (median), 90% within \(Self.duration(a.p90, lang))")
        }
        if !times.isEmpty { lines.append((vi ? "Thời gian phản hồi: " : "Response times: ") + times.joined(separator: "; ") + ".") }
        let levels = escalations.sorted { $0.key < $1.key }
        if !levels.isEmpty {
            let parts = levels.map { vi ? "cấp \($0.key): \($0.value) lần" : "level \($0.key): \($0.value)" }
            lines.append((vi ? "Chuyển cấp do quá hạn: " : "Escalations for missed deadlines: ") + parts.joined(separator: ", ") + ".")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "33 were counselled, of whom 6 also … and 2 also …; 3 were sheltered": the most common
    /// support leads; the others given with it follow as "of whom"; the rest stand alone.
    func supportSentence(_ lang: Language) -> String? {
        let vi = lang == .vi
        let given = VictimSupport.allCases.filter { $0 != .none && (victimSupport[$0] ?? 0) > 0 }
        guard let lead = given.max(by: { (victimSupport[$0]!, $1.rawValue) < (victimSupport[$1]!, $0.rawValue) }) else {
            return nil
        }
        let withLead = supportSets.filter { $0.contains(lead) }
        var parts: [String] = []
        var leadPart = vi
            ? "\(victimSupport[lead]!) nạn nhân \(Self.supportNames[lead]!.vi)"
            : "\(victimSupport[lead]!) victims \(Self.supportNames[lead]!.en)"
        let within = given.filter { $0 != lead }
            .map { s in (s, withLead.filter { $0.contains(s) }.count) }
            .filter { $0.1 > 0 }
            .sorted { $0.1 > $1.1 }
            .map { s, n in vi ? "\(n) nạn nhân \(Self.supportNames[s]!.vi)" : "\(n) also \(Self.supportNames[s]!.en)" }
        if !within.isEmpty {
            leadPart += vi ? ", trong đó " + within.joined(separator: ", ") : ", of whom " + within.joined(separator: " and ")
        }
        parts.append(leadPart)
        for s in given where s != lead {
            let n = supportSets.filter { $0.contains(s) && !$0.contains(lead) }.count
            if n > 0 {
                parts.append(vi ? "\(n) nạn nhân \(Self.supportNames[s]!.vi)" : "\(n) victims \(Self.supportNames[s]!.en)")
            }
        }
        return (vi ? "Hỗ trợ nạn nhân: " : "Support to victims: ") + parts.joined(separator: "; ") + "."
    }

    /// `section,code,name,count` rows.
    public var csv: String {
        var rows = ["section,code,name,count"]
        func q(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        rows.append("total,incidents,,\(incidents)")
        rows.append("total,closed,,\(closed)")
        for f in ViolenceForm.allCases { rows.append("form,\(f.rawValue),\(q(Self.formNames[f]!.vi)),\(byForm[f] ?? 0)") }
        for (code, v) in byDistrict.sorted(by: { $0.key < $1.key }) { rows.append("district,\(code),\(q(v.name)),\(v.count)") }
        for (code, v) in byCommune.sorted(by: { $0.key < $1.key }) { rows.append("commune,\(code),\(q(v.name)),\(v.count)") }
        for m in OffenderMeasure.allCases { rows.append("offender_measure,\(m.rawValue),\(q(Self.measureNames[m]!.vi)),\(offenderMeasures[m] ?? 0)") }
        for s in VictimSupport.allCases { rows.append("victim_support,\(s.rawValue),\(q(Self.supportNames[s]!.vi)),\(victimSupport[s] ?? 0)") }
        for (level, n) in escalations.sorted(by: { $0.key < $1.key }) { rows.append("escalation,\(level),,\(n)") }
        return rows.joined(separator: "\n") + "\n"
    }
}
