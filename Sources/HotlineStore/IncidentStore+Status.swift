import HotlineCore

extension IncidentStore {
    /// The incident as STATUS shows it: the receipt's fields with the current assignee and due
    /// times, plus state, level, review and history, on a connection the caller holds (the
    /// writer's, for audited reads). Need to know: with `readableBy`, only that commune may read
    /// it; any other gets `otherCommune`, and learns nothing but that the id exists.
    func view(_ db: SQLConnection, incident id: String, readableBy commune: String?) throws -> Result<IncidentView, StoreError> {
        guard let number = IncidentID.number(id), let row = try db.queryOne("SELECT * FROM incident WHERE id = ?", number)
        else { return .failure(.noIncident(id)) }
        let owner: String = try row["commune"]
        if let commune, owner != commune {
            return .failure(.otherCommune(incident: id, owner: nil))
        }
        let history = try db.query(
            "SELECT at, event, detail FROM history WHERE incident = ? ORDER BY \(db.dialect.historyOrder)", number)
        let escalations = try db.query(
            "SELECT at, level, reason, due, record, assigned FROM outbox WHERE incident = ? ORDER BY seq", number)
        return .success(try Self.incidentView(row, history, escalations))
    }

    /// The incident with its history, personal data included. `readableBy`: the only commune
    /// allowed to read it (`nil`: an operator, who may read every commune's).
    func view(incident id: String, readableBy commune: String?) -> Result<IncidentView, StoreError> {
        do {
            return try engine.read { db in try view(db, incident: id, readableBy: commune) }
        } catch {
            return .failure(.unavailable("cannot read the store now; retry later"))
        }
    }

    static func incidentView(_ row: SQLRow, _ history: [SQLRow], _ escalations: [SQLRow]) throws -> IncidentView {
        func json(_ column: String) throws -> JSONValue { try JSONParser.parse(row[column] as String) }
        func time(_ column: String) throws -> Timestamp? { (try row[column] as Int64?).map { Timestamp(seconds: $0) } }
        func codes(_ column: String) throws -> [String]? {
            try (row[column] as String?).map { $0.split(separator: ",").map(String.init) }
        }
        return IncidentView(
            id: IncidentID.text(try row["id"]), ref: try row["ref"], severity: try row["severity"],
            assigned: try json("assigned_json"), backups: try json("backups_json"), shelter: try json("shelter_json"),
            ackDue: try time("ack_due"), attendDue: try time("attend_due"), state: try row["state"], level: try row["level"],
            review: try row["review"], gateway: try row["gateway"], commune: try row["commune"], district: try row["district"],
            village: try row["village"], forms: (try row["forms"] as String).split(separator: ",").map(String.init),
            victims: try row["victims"], children: try row["children"], vulnerable: try row["vulnerable"],
            injured: try row["injured"], weapon: try row["weapon"], needsShelter: try row["needs_shelter"],
            callback: try row["callback"], reportedAt: try time("reported_at"), receivedAt: try time("received_at"),
            acknowledgedAt: try time("acknowledged_at"), attendedAt: try time("attended_at"), closedAt: try time("closed_at"),
            offenderMeasures: try codes("offender_measures"), victimSupport: try codes("victim_support"),
            personal: try PersonalData { try row[$0] },
            history: try events(row, history, escalations))
    }

    /// Reported, then the history rows and escalations (outbox rows) in time order.
    private static func events(_ row: SQLRow, _ history: [SQLRow], _ escalations: [SQLRow]) throws -> [JSONObject] {
        var events: [JSONObject] = []
        // The "reported" event, from the receipt as stored (databases written before the
        // receipt stood for it hold it as a history row: shown once either way).
        if (try history.first?["event"] as String?) != "reported" {
            let reportedAt = (try row["reported_at"] as Int64?).map { JSONValue.string(Timestamp(seconds: $0).rfc3339) }
            var e: JSONObject = ["at": reportedAt ?? .null, "event": "reported"]
            if case let .object(receipt) = try JSONParser.parse(row["receipt"] as String) {
                e["severity"] = receipt["severity"]
                e["assigned"] = receipt["assigned"]?.objectValue?["id"] ?? .null
                if let shelter = receipt["shelter"]?.objectValue?["id"] { e["shelter"] = shelter }
            }
            events.append(e)
        }
        // In the same second an escalation comes first (the scheduler runs as the second turns).
        var timed: [(at: Int64, escalation: Bool, event: JSONObject)] = []
        for h in history {
            var e: JSONObject = ["at": .string(Timestamp(seconds: try h["at"]).rfc3339), "event": .string(try h["event"])]
            if case let .object(detail) = try JSONParser.parse(h["detail"] as String) {
                for (k, v) in detail.members { e[k] = v }
            }
            timed.append((try h["at"], false, e))
        }
        for x in escalations {
            // Rows written before v8 hold the rendered record; later ones the assignee's JSON.
            let assigned = try (x["assigned"] as String?).map { try JSONParser.parse($0) }
                ?? JSONParser.parse(x["record"] as String).objectValue?["assigned"] ?? .null
            let e: JSONObject = [
                "at": .string(Timestamp(seconds: try x["at"]).rfc3339), "event": "escalated", "level": JSONValue(try x["level"] as Int),
                "reason": .string(try x["reason"]), "due": .string(Timestamp(seconds: try x["due"]).rfc3339),
                "assigned": assigned.objectValue?["id"] ?? .null,
            ]
            timed.append((try x["at"], true, e))
        }
        let ordered = timed.enumerated().sorted { a, b in
            (a.element.at, a.element.escalation ? 0 : 1, a.offset) < (b.element.at, b.element.escalation ? 0 : 1, b.offset)
        }
        return events + ordered.map(\.element.event)
    }
}

extension IncidentStore {
    /// Open (not closed) incidents and overdue ones (watched deadline before `now`), by severity.
    public func openCounts(now: Timestamp) throws -> (open: [String: Int], overdue: [String: Int]) {
        try engine.read { db in
            var open: [String: Int] = [:]
            var overdue: [String: Int] = [:]
            for row in try db.query(
                """
                SELECT severity, count(*) AS n,
                    sum(CASE WHEN next_due IS NOT NULL AND next_due < ? THEN 1 ELSE 0 END) AS late
                FROM incident WHERE state != 'closed' GROUP BY severity
                """, now.seconds)
            {
                open[try row["severity"]] = try row["n"]
                overdue[try row["severity"]] = try row["late"]
            }
            return (open, overdue)
        }
    }
}
