/// One incident as the annual report sees it (no personal data).
public struct ReportRow: Sendable, Equatable {
    public var commune: String
    public var district: String
    public var forms: [ViolenceForm]
    public var closed: Bool
    public var offenderMeasures: [OffenderMeasure]
    public var victimSupport: [VictimSupport]
    public var reportedAt: Timestamp
    public var acknowledgedAt: Timestamp?
    public var attendedAt: Timestamp?

    public init(
        commune: String, district: String, forms: [ViolenceForm], closed: Bool, offenderMeasures: [OffenderMeasure],
        victimSupport: [VictimSupport], reportedAt: Timestamp, acknowledgedAt: Timestamp?, attendedAt: Timestamp?
    ) {
        self.commune = commune
        self.district = district
        self.forms = forms
        self.closed = closed
        self.offenderMeasures = offenderMeasures
        self.victimSupport = victimSupport
        self.reportedAt = reportedAt
        self.acknowledgedAt = acknowledgedAt
        self.attendedAt = attendedAt
    }
}

/// The province's annual report on domestic violence, from the incidents reported in one year
/// (local time, UTC+7). Pure: rows in, figures and text out.
public struct AnnualReport: Sendable, Equatable {
    public var year: Int
    /// Incidents reported in the year.
    public var incidents: Int
    /// Of those, closed (handled).
    public var closed: Int
    public var byForm: [ViolenceForm: Int]
    /// District code → (name, incidents).
    public var byDistrict: [String: (name: String, count: Int)]
    /// Commune code → (name, district code, incidents).
    public var byCommune: [String: (name: String, district: String, count: Int)]
    /// Each code counted once per closed incident that has it.
    public var offenderMeasures: [OffenderMeasure: Int]
    public var victimSupport: [VictimSupport: Int]
    /// Closed incidents by their exact set of offender measures (the province reports these groups).
    public var measureGroups: [(measures: [OffenderMeasure], count: Int)]
    /// The support sets of closed incidents, for the "of whom" sentence.
    public var supportSets: [[VictimSupport]]
    /// Seconds from report to acknowledgement and to attendance: median and 90th percentile.
    public var ackSeconds: (median: Int64, p90: Int64)?
    public var attendSeconds: (median: Int64, p90: Int64)?
    /// Escalations (missed deadlines) by level.
    public var escalations: [Int: Int]

    public static func == (a: AnnualReport, b: AnnualReport) -> Bool { a.json == b.json }

    /// The year's bounds in Vietnam's local time, as UTC seconds: [start, end).
    public static func bounds(year: Int) -> (Timestamp, Timestamp) {
        // Computed, not parsed: no year can make it fail (year 9999 ends in year 10000).
        func newYear(_ y: Int) -> Timestamp {
            Timestamp(seconds: Timestamp.days(fromCivil: Int64(y), 1, 1) * 86_400 - 7 * 3600)
        }
        return (newYear(year), newYear(year + 1))
    }

    static func format4(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    public init(year: Int, rows: [ReportRow], escalations: [Int: Int], directory: Directory) {
        self.year = year
        self.escalations = escalations
        incidents = rows.count
        closed = rows.filter(\.closed).count
        byForm = [:]
        byDistrict = [:]
        byCommune = [:]
        offenderMeasures = [:]
        victimSupport = [:]
        var groups: [[OffenderMeasure]: Int] = [:]
        supportSets = []
        var ack: [Int64] = []
        var attend: [Int64] = []
        for row in rows {
            for form in Set(row.forms) { byForm[form, default: 0] += 1 }
            let districtName = directory.communes[row.commune]?.district ?? row.district
            byDistrict[row.district, default: (districtName, 0)].count += 1
            let communeName = directory.communes[row.commune]?.name ?? row.commune
            byCommune[row.commune, default: (communeName, row.district, 0)].count += 1
            if let a = row.acknowledgedAt { ack.append(max(0, a.seconds - row.reportedAt.seconds)) }
            if let a = row.attendedAt { attend.append(max(0, a.seconds - row.reportedAt.seconds)) }
            guard row.closed else { continue }
            for m in Set(row.offenderMeasures) { offenderMeasures[m, default: 0] += 1 }
            for s in Set(row.victimSupport) { victimSupport[s, default: 0] += 1 }
            groups[Self.ordered(row.offenderMeasures), default: 0] += 1
            supportSets.append(Self.ordered(row.victimSupport))
        }
        measureGroups = groups.map { ($0.key, $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.measures.map(\.rawValue).lexicographicallyPrecedes($1.measures.map(\.rawValue))
        }
        ackSeconds = Self.percentiles(ack)
        attendSeconds = Self.percentiles(attend)
    }

    static func ordered<T: CaseIterable & Equatable>(_ codes: [T]) -> [T] {
        T.allCases.filter { codes.contains($0) }
    }

    /// Median and 90th percentile (nearest rank), nil without data.
    static func percentiles(_ values: [Int64]) -> (median: Int64, p90: Int64)? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Int64 {
            let i = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(sorted.count - 1, max(0, i))]
        }
        return (rank(0.5), rank(0.9))
    }

    /// `{"year","incidents","closed","by_form","by_district","by_commune","offender_measures",
    /// "victim_support","response_times","escalations"}`; codes counted once per incident.
    public var json: JSONObject {
        func counts<T: RawRepresentable & CaseIterable>(_ d: [T: Int]) -> JSONValue where T.RawValue == String {
            var o = JSONObject()
            for code in T.allCases { if let n = d[code] { o[code.rawValue] = JSONValue(n) } }
            return .object(o)
        }
        var districts = JSONObject()
        for (code, v) in byDistrict.sorted(by: { $0.key < $1.key }) {
            districts[code] = .object(["name": .string(v.name), "incidents": JSONValue(v.count)])
        }
        var communes = JSONObject()
        for (code, v) in byCommune.sorted(by: { $0.key < $1.key }) {
            communes[code] = .object(["name": .string(v.name), "district": .string(v.district), "incidents": JSONValue(v.count)])
        }
        func times(_ t: (median: Int64, p90: Int64)?) -> JSONValue {
            guard let t else { return .null }
            return .object(["median_s": JSONValue(Int(t.median)), "p90_s": JSONValue(Int(t.p90))])
        }
        var levels = JSONObject()
        for (level, n) in escalations.sorted(by: { $0.key < $1.key }) { levels[String(level)] = JSONValue(n) }
        return [
            "year": JSONValue(year), "incidents": JSONValue(incidents), "closed": JSONValue(closed),
            "by_form": counts(byForm), "by_district": .object(districts), "by_commune": .object(communes),
            "offender_measures": counts(offenderMeasures), "victim_support": counts(victimSupport),
            "response_times": .object(["acknowledgement": times(ackSeconds), "attendance": times(attendSeconds)]),
            "escalations": .object(levels),
        ]
    }
}
