import HotlineCore

extension IncidentStore {
    /// The incident as STATUS shows it: the receipt's fields with the current assignee and due
    /// times, plus state, level, review and history, on a connection the caller holds (the
    /// writer's, for audited reads). Need to know: with `readableBy`, only that commune may read
    /// it; any other gets `forbidden`, and learns nothing but that the id exists.
    func view(_ db: SQLConnection, incident id: String, readableBy commune: String?) throws -> Result<JSONObject, HLPError> {
        guard let number = IncidentID.number(id) else {
            return .failure(HLPError(.notFound, "no incident \(CommandParser.printable(Array(id.utf8)))"))
        }
        guard let row = try db.queryOne("SELECT * FROM incident WHERE id = ?", number)
        else { return .failure(HLPError(.notFound, "no incident \(id)")) }
        let owner: String = try row["commune"]
        if let commune, owner != commune {
            return .failure(HLPError(.forbidden, "incident \(id) belongs to another commune"))
        }
        let history = try db.query(
            "SELECT at, event, detail FROM history WHERE incident = ? ORDER BY \(db.dialect.historyOrder)", number)
        let escalations = try db.query(
            "SELECT at, level, reason, due, record, assigned FROM outbox WHERE incident = ? ORDER BY seq", number)
        return .success(try Self.statusObject(row, history, escalations))
    }

    /// The incident with its history, personal data included. `readableBy`: the only commune
    /// allowed to read it (`nil`: an operator, who may read every commune's).
    func view(incident id: String, readableBy commune: String?) -> Result<JSONObject, HLPError> {
        do {
            return try engine.read { db in try view(db, incident: id, readableBy: commune) }
        } catch {
            return .failure(HLPError(.unavailable, "cannot read the store now; retry later"))
        }
    }

    static func statusObject(_ row: SQLRow, _ history: [SQLRow], _ escalations: [SQLRow]) throws -> JSONObject {
        func json(_ column: String) throws -> JSONValue { try JSONParser.parse(row[column] as String) }
        func time(_ column: String) throws -> JSONValue {
            (try row[column] as Int64?).map { .string(Timestamp(seconds: $0).rfc3339) } ?? .null
        }
        let forms = (try row["forms"] as String).split(separator: ",").map { JSONValue.string(String($0)) }
        var o: JSONObject = [
            "incident": .string(IncidentID.text(try row["id"])), "ref": .string(try row["ref"]), "duplicate": false,
            "severity": .string(try row["severity"]), "assigned": try json("assigned_json"),
            "backups": try json("backups_json"), "shelter": try json("shelter_json"), "ack_due": try time("ack_due"),
            "attend_due": try time("attend_due"), "state": .string(try row["state"]), "level": JSONValue(try row["level"] as Int),
            "review": .bool(try row["review"]), "gateway": .string(try row["gateway"]), "commune": .string(try row["commune"]),
            "district": .string(try row["district"]), "village": JSONValue(try row["village"] as String?),
            "forms": .array(forms), "victims": JSONValue(try row["victims"] as Int),
            "children": JSONValue(try row["children"] as Int), "vulnerable": .bool(try row["vulnerable"]),
            "injured": .bool(try row["injured"]), "weapon": .bool(try row["weapon"]),
            "needs_shelter": .bool(try row["needs_shelter"]), "callback": .string(try row["callback"]),
            "reported_at": try time("reported_at"),
            "received_at": try time("received_at"), "acknowledged_at": try time("acknowledged_at"),
            "attended_at": try time("attended_at"), "closed_at": try time("closed_at"),
        ]
        func codes(_ column: String) throws -> JSONValue {
            guard let text = try row[column] as String? else { return .null }
            return .array(text.split(separator: ",").map { .string(String($0)) })
        }
        o["offender_measures"] = try codes("offender_measures")
        o["victim_support"] = try codes("victim_support")
        o["caller"] = JSONValue(try row["caller"] as String?)
        o["summary"] = JSONValue(try row["summary"] as String?)
        o["close_note"] = JSONValue(try row["close_note"] as String?)
        o["retract_reason"] = JSONValue(try row["retract_reason"] as String?)
        var events: [JSONValue] = []
        // The "reported" event, from the receipt as stored (databases written before the
        // receipt stood for it hold it as a history row: shown once either way).
        if (try history.first?["event"] as String?) != "reported" {
            var e: JSONObject = ["at": try time("reported_at"), "event": "reported"]
            if case let .object(receipt) = try JSONParser.parse(row["receipt"] as String) {
                e["severity"] = receipt["severity"]
                e["assigned"] = receipt["assigned"]?.objectValue?["id"] ?? .null
                if let shelter = receipt["shelter"]?.objectValue?["id"] { e["shelter"] = shelter }
            }
            events.append(.object(e))
        }
        // History rows and escalations (outbox rows), in time order; in the same second an
        // escalation comes first (the scheduler runs as the second turns).
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
        events += ordered.map { .object($0.element.event) }
        o["history"] = .array(events)
        return o
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
