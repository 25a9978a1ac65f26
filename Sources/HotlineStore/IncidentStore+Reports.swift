import HotlineCore

extension IncidentStore {
    /// The incidents reported in `year` (Vietnam's local time) as the annual report needs them,
    /// and the escalations for missed deadlines among them, by level.
    public func annualRows(year: Int) throws -> (rows: [ReportRow], escalations: [Int: Int]) {
        let (start, end) = AnnualReport.bounds(year: year)
        return try engine.read { db in
            func codes<T: RawRepresentable>(_ text: String?) -> [T] where T.RawValue == String {
                (text ?? "").split(separator: ",").compactMap { T(rawValue: String($0)) }
            }
            let rows = try db.query(
                """
                    SELECT commune, district, forms, state, offender_measures, victim_support, reported_at,
                        acknowledged_at, attended_at
                    FROM incident WHERE reported_at >= ? AND reported_at < ?
                    """, start.seconds, end.seconds
            ).map { row in
                ReportRow(
                    commune: try row["commune"], district: try row["district"], forms: codes(try row["forms"]),
                    closed: (try row["state"] as String) == "closed", offenderMeasures: codes(try row["offender_measures"]),
                    victimSupport: codes(try row["victim_support"]), reportedAt: Timestamp(seconds: try row["reported_at"]),
                    acknowledgedAt: (try row["acknowledged_at"] as Int64?).map { Timestamp(seconds: $0) },
                    attendedAt: (try row["attended_at"] as Int64?).map { Timestamp(seconds: $0) })
            }
            var escalations: [Int: Int] = [:]
            for row in try db.query(
                """
                    SELECT o.level, count(*) AS n FROM outbox o JOIN incident i ON i.id = o.incident
                    WHERE i.reported_at >= ? AND i.reported_at < ? AND o.reason IN ('ack_overdue', 'attend_overdue')
                    GROUP BY o.level
                    """, start.seconds, end.seconds)
            {
                escalations[try row["level"]] = try row["n"]
            }
            return (rows, escalations)
        }
    }

    /// Incidents for the operator's list, newest first.
    public func incidentList(openOnly: Bool, overdueAt: Timestamp?, commune: String?, district: String?, limit: Int)
        throws -> [IncidentSummary]
    {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if openOnly || overdueAt != nil { conditions.append("state != 'closed'") }
        if let overdueAt {
            conditions.append("next_due IS NOT NULL AND next_due < ?")
            arguments.append(.int(overdueAt.seconds))
        }
        if let commune {
            conditions.append("commune = ?")
            arguments.append(.text(commune))
        }
        if let district {
            conditions.append("district = ?")
            arguments.append(.text(district))
        }
        arguments.append(.int(Int64(limit)))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try engine.read { db in
            try db.query(
                """
                    SELECT id, ref, gateway, commune, district, severity, state, level, review, assigned, reported_at, next_due,
                        callback
                    FROM incident \(filter) ORDER BY id DESC LIMIT ?
                    """, arguments
            ).map { row in
                IncidentSummary(
                    id: IncidentID.text(try row["id"]), ref: try row["ref"], gateway: try row["gateway"],
                    commune: try row["commune"], district: try row["district"], severity: try row["severity"],
                    state: try row["state"], level: try row["level"], review: try row["review"], assigned: try row["assigned"],
                    callback: try row["callback"], reportedAt: Timestamp(seconds: try row["reported_at"]),
                    nextDue: (try row["next_due"] as Int64?).map { Timestamp(seconds: $0) })
            }
        }
    }

    /// STATUS for a province operator: everything, personal data included.
    public func operatorView(incident id: String) -> Result<IncidentView, StoreError> {
        view(incident: id, readableBy: nil)
    }
}
