import HotlineCore

extension IncidentStore {
    /// Applies ACK, ATTEND, CLOSE or RETRACT inside the batch's transaction.
    func act(_ job: CaseJob, _ db: SQLConnection, _ context: inout BatchContext) throws -> Result<CaseOutcome, StoreError> {
        guard let number = IncidentID.number(job.incident),
            let row = try db.queryOne(
                """
                SELECT id, state, level, severity, commune, district, attend_due, shelter, assigned, assigned_json,
                    backups_json, review, reported_at, callback
                FROM incident WHERE id = ?
                """, number)
        else {
            return .failure(.noIncident(job.incident))
        }
        let commune: String = try row["commune"]
        if let gateway = job.gateway, commune != gateway.communeCode {
            return .failure(.otherCommune(incident: job.incident, owner: commune))
        }
        // Every action an operator takes names the operator in the history.
        let actor: JSONObject = job.operatorName.map { ["operator": .string($0)] } ?? [:]
        func detail(_ d: JSONObject) -> JSONObject {
            var out = d
            for (k, v) in actor.members { out[k] = v }
            return out
        }
        guard let state = IncidentState(rawValue: try row["state"]), let severity = Severity(rawValue: try row["severity"]) else {
            throw StoreCorruption(reason: "incident \(number)")
        }
        guard state != .closed else {
            return .failure(.closed(incident: job.incident))
        }
        let id = IncidentID.text(number)
        let windows = job.deadlines[severity]
        if let refusal = try Self.refusal(of: job.action, row, commune: commune, directory: job.directory) {
            return .failure(refusal)
        }
        switch job.action {
        case let .ack(responder, at):
            var attendDue = (try row["attend_due"] as Int64?).map { Timestamp(seconds: $0) }
            if state == .open {
                let due = at.adding(seconds: windows.attend)
                attendDue = due
                try db.execute("""
                        UPDATE incident SET state = 'acknowledged', acknowledged_at = ?, attend_due = ?, next_due = ?
                        WHERE id = ?
                        """, at.seconds, due.seconds, due.seconds, number)
                try takeResponder(db, number, responder, job.directory)
                try Self.addHistory(db, number, at, "acknowledged", detail(responderDetail(responder)))
            }
            return .success(
                CaseOutcome(incident: id, state: state == .open ? "acknowledged" : state.rawValue, detail: .attendDue(attendDue)))
        case let .attend(responder, at):
            if state != .attended {
                if state == .open {
                    try db.execute("UPDATE incident SET acknowledged_at = ? WHERE id = ?", at.seconds, number)
                    try Self.addHistory(db, number, at, "acknowledged", detail(["implied_by": "attend"]))
                }
                try db.execute("UPDATE incident SET state = 'attended', attended_at = ?, next_due = NULL WHERE id = ?", at.seconds, number)
                try takeResponder(db, number, responder, job.directory)
                try Self.addHistory(db, number, at, "attended", detail(responderDetail(responder)))
            }
            return .success(CaseOutcome(incident: id, state: "attended"))
        case let .close(measures, support, note, at):
            try db.execute("""
                    UPDATE incident SET state = 'closed', closed_at = ?, next_due = NULL, offender_measures = ?,
                        victim_support = ?, close_note = ?
                    WHERE id = ?
                    """, 
                    at.seconds, measures.map(\.rawValue).joined(separator: ","),
                    support.map(\.rawValue).joined(separator: ","), note, number)
            if let shelter: String = try row["shelter"] {
                context.heldPlaces[shelter, default: 1] -= 1
                if context.heldPlaces[shelter] == 0 { context.heldPlaces[shelter] = nil }
                context.heldByCommune[commune, default: 1] -= 1
                if context.heldByCommune[commune] == 0 { context.heldByCommune[commune] = nil }
            }
            try Self.addHistory(
                db, number, at, "closed",
                detail([
                    "offender_measures": .array(measures.map { .string($0.rawValue) }),
                    "victim_support": .array(support.map { .string($0.rawValue) }),
                ]))
            return .success(CaseOutcome(incident: id, state: "closed"))
        case let .retract(reason, at):
            try db.execute("UPDATE incident SET review = 1, retract_reason = ? WHERE id = ?", reason, number)
            try Self.addHistory(db, number, at, "retracted", detail([:]))
            try appendOutbox(
                db,
                OutboxFacts(number: number, level: row["level"], assignedJSON: row["assigned_json"]),
                reason: .retracted, due: at, at: at, catchUp: false, &context)
            return .success(CaseOutcome(incident: id, state: state.rawValue, detail: .review))
        case let .reassign(responderID, at):
            guard let r = job.directory.responder(id: responderID), r.kind.isAssignable else {
                return .failure(.invalid(field: "responder", "must be a prevention group or trusted address of the directory"))
            }
            let assigned = Assignment(responder: r, distanceMeters: 0).json
            // A new assignee gets a fresh acknowledgement window if the incident is still open.
            let ackDue = at.adding(seconds: windows.ack)
            try db.execute("""
                    UPDATE incident SET assigned = ?, assigned_json = ?,
                        ack_due = CASE state WHEN 'open' THEN ? ELSE ack_due END,
                        next_due = CASE state WHEN 'open' THEN ? ELSE next_due END
                    WHERE id = ?
                    """, r.id, assigned.jsonText, ackDue.seconds, ackDue.seconds, number)
            try Self.addHistory(db, number, at, "reassigned", detail(["responder": .string(r.id)]))
            return .success(CaseOutcome(incident: id, state: state.rawValue, detail: .assigned(assigned)))
        }
    }

    /// The rules an action must keep against the incident itself (hotline-protocol(7)): a responder
    /// named by ACK or ATTEND is the assignee, a backup, or a prevention group or trusted address
    /// of the incident's commune; a time given by ACK, ATTEND or CLOSE is not before the report.
    static func refusal(of action: CaseAction, _ row: SQLRow, commune: String, directory: Directory) throws -> StoreError? {
        let reportedAt = Timestamp(seconds: try row["reported_at"])
        switch action {
        case let .ack(responder?, _), let .attend(responder?, _):
            let assignee: String? = try row["assigned"]
            var allowed = responder == assignee
            if !allowed, case let .array(backups) = try JSONParser.parse(row["backups_json"] as String) {
                allowed = backups.contains { $0.objectValue?["id"]?.stringValue == responder }
            }
            if !allowed, let r = directory.responder(id: responder) {
                allowed = r.kind.isAssignable && r.communeCode == commune
            }
            if !allowed {
                return .invalid(
                    field: "responder",
                    "must be the incident's assignee, one of its backups, or a prevention group or trusted address of commune \(commune)"
                )
            }
        default: break
        }
        switch action {
        case .ack, .attend, .close:
            if action.at < reportedAt {
                return .invalid(field: "at", "is before the incident was reported (\(reportedAt.rfc3339))")
            }
        case .retract, .reassign: break
        }
        return nil
    }

    private func responderDetail(_ responder: String?) -> JSONObject {
        responder.map { ["responder": .string($0)] } ?? [:]
    }

    /// A named responder that may hold incidents becomes the assignee.
    private func takeResponder(_ db: SQLConnection, _ number: Int64, _ responder: String?, _ directory: Directory) throws {
        guard let responder, let r = directory.responder(id: responder), r.kind.isAssignable else { return }
        try db.execute("UPDATE incident SET assigned = ?, assigned_json = ? WHERE id = ?", r.id, Assignment(responder: r, distanceMeters: 0).jsonText, number)
    }
}
