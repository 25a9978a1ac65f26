import HotlineCore
import HotlineStore

/// The dashboard's JSON (`GET /api/dashboard`), from counts only: commune codes, names and
/// centres from the directory; incident ids, severities, levels, deadlines and the callback
/// flag from the store. Nothing here can carry a caller, summary, note, reason or village.
enum DashboardView {
    /// At most this many overdue incidents are listed (all are counted).
    static let overdueRows = 200

    static func json(
        _ d: DashboardData, directory: Directory, report: AnnualReport, now: Timestamp, month: String, operatorName: String,
        csrf: String
    ) -> JSONObject {
        var communes: [JSONValue] = []
        var totals = DashboardData.CommuneCounts()
        for c in directory.communes.values.sorted(by: { $0.code < $1.code }) {
            let n = d.communes[c.code] ?? DashboardData.CommuneCounts()
            totals.open += n.open
            totals.overdue += n.overdue
            totals.escalated += n.escalated
            communes.append(.object([
                "code": .string(c.code), "name": .string(c.name), "district": .string(c.district),
                "lat": .number(c.position.lat), "lon": .number(c.position.lon),
                "open": JSONValue(n.open), "overdue": JSONValue(n.overdue), "escalated": JSONValue(n.escalated),
            ]))
        }
        let overdue: [JSONValue] = d.overdue.prefix(overdueRows).map { o in
            .object([
                "incident": .string(IncidentID.text(o.number)), "severity": .string(o.severity.rawValue),
                "level": JSONValue(o.level), "commune": .string(o.commune),
                "commune_name": .string(directory.communes[o.commune]?.name ?? o.commune),
                "due": .string(o.due.rfc3339), "minutes_late": JSONValue(Int(max(0, now.seconds - o.due.seconds) / 60)),
                "callback": .string(o.callback),
            ])
        }
        var ack = JSONObject()
        for s in Severity.allCases {
            let values = d.ackSeconds[s] ?? []
            ack[s.rawValue] = .object([
                "count": JSONValue(values.count),
                "median_s": values.isEmpty ? .null : JSONValue(Int(percentile(values, 50))),
                "p90_s": values.isEmpty ? .null : JSONValue(Int(percentile(values, 90))),
            ])
        }
        return [
            "generated_at": .string(now.rfc3339), "operator": .string(operatorName), "csrf": .string(csrf),
            "totals": .object([
                "open": JSONValue(totals.open), "overdue": JSONValue(totals.overdue), "escalated": JSONValue(totals.escalated),
            ]),
            "communes": .array(communes),
            "overdue": .array(overdue), "overdue_total": JSONValue(d.overdue.count),
            "ack_times": .object(["month": .string(month), "by_severity": .object(ack)]),
            "annual": .object([
                "year": JSONValue(report.year), "incidents": JSONValue(report.incidents),
                "text_vi": .string(report.text(.vi)), "text_en": .string(report.text(.en)),
            ]),
        ]
    }

    /// Nearest-rank percentile of ascending values.
    static func percentile(_ sorted: [Int64], _ p: Int) -> Int64 {
        let rank = max(1, (p * sorted.count + 99) / 100)
        return sorted[min(sorted.count, rank) - 1]
    }
}
