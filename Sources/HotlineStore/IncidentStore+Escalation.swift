import GRDB
import HotlineCore

/// The facts of an incident that go into an escalation record.
struct OutboxFacts {
    var number: Int64
    var commune: String
    var district: String
    var severity: Severity
    var level: Int
    var assigned: JSONValue
    /// The incident's callback rule, in every record (a flag, not personal data).
    var callback: String
}

extension IncidentStore {
    /// Adds one escalation record to the outbox, in the caller's transaction. Its `seq` is the
    /// next number (the writer is the only one inserting, so numbers are gapless); `prev` is
    /// added by the queue file writer. The same (incident, level, reason, due) is recorded once.
    func appendOutbox(
        _ db: Database, _ f: OutboxFacts, reason: EscalationReason, due: Timestamp, at: Timestamp, catchUp: Bool,
        _ context: inout BatchContext
    ) throws {
        var notify: [JSONValue] = []
        if reason == .ackOverdue || reason == .attendOverdue, case let .object(a) = f.assigned, let id = a["id"] {
            var responder: JSONObject = ["role": "responder", "id": id]
            if let phone = a["phone"] { responder["phone"] = phone }
            notify.append(.object(responder))
        }
        notify += EscalationPolicy.notify(level: f.level, commune: f.commune, district: f.district, reason: reason)
        var record: JSONObject = [
            "at": .string(at.rfc3339), "incident": .string(IncidentID.text(f.number)), "commune": .string(f.commune),
            "district": .string(f.district), "severity": .string(f.severity.rawValue), "level": JSONValue(f.level),
            "reason": .string(reason.rawValue), "due": .string(due.rfc3339),
            "late_s": JSONValue(Int(max(0, at.seconds - due.seconds))), "assigned": f.assigned,
            "notify": .array(notify), "callback": .string(f.callback),
        ]
        if catchUp { record["catch_up"] = true }
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO outbox (seq, incident, level, reason, due, at, record)
                VALUES (
                    max((SELECT coalesce(max(seq), 0) FROM outbox), (SELECT last_seq FROM queue_state WHERE id = 1)) + 1,
                    ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [f.number, f.level, reason.rawValue, due.seconds, at.seconds, record.jsonText])
        if db.changesCount > 0 { context.outboxRecords += 1 }
    }

    /// Escalates every incident whose watched deadline is at or before `run.now`, oldest first,
    /// at most `maxEscalationsPerRun` at a time.
    func escalate(_ run: EscalationRun, _ db: Database, _ context: inout BatchContext) throws -> (escalated: Int, more: Bool) {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT id, state, level, severity, ack_due, attend_due, backups_json, assigned_json, commune, district,
                        received_at, callback
                    FROM incident WHERE next_due <= ? ORDER BY next_due, id LIMIT ?
                    """), arguments: [run.now.seconds, Self.maxEscalationsPerRun + 1])
        var count = 0
        for row in rows.prefix(Self.maxEscalationsPerRun) {
            guard let state = IncidentState(rawValue: row["state"]), let severity = Severity(rawValue: row["severity"])
            else { throw StoreCorruption(reason: "incident \(row["id"] as Int64)") }
            let backups = try JSONParser.parse(row["backups_json"] as String).arrayValue ?? []
            let facts = DeadlineState(
                state: state, level: row["level"], severity: severity,
                ackDue: (row["ack_due"] as Int64?).map { Timestamp(seconds: $0) }, attendDue: (row["attend_due"] as Int64?).map { Timestamp(seconds: $0) },
                backupCount: backups.count)
            let number: Int64 = row["id"]
            guard let decision = EscalationPolicy.decide(facts, now: run.now, windows: run.deadlines, ladder: run.ladder)
            else {
                // Nothing watched is due (state changed): stop watching.
                try db.cachedStatement(sql: "UPDATE incident SET next_due = NULL WHERE id = ?").execute(arguments: [number])
                continue
            }
            var assigned = try JSONParser.parse(row["assigned_json"] as String)
            if let b = decision.reassignToBackup, b < backups.count { assigned = backups[b] }
            let dueColumn = decision.reason == .ackOverdue ? "ack_due" : "attend_due"
            try db.cachedStatement(
                sql: """
                    UPDATE incident SET level = ?, \(dueColumn) = ?, next_due = ?, assigned = ?, assigned_json = ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [
                    decision.level, decision.nextDue.seconds, decision.nextDue.seconds,
                    assigned.objectValue?["id"]?.stringValue, assigned.jsonText, number,
                ])
            try Self.addHistory(
                db, number, run.now, "escalated",
                [
                    "level": JSONValue(decision.level), "reason": .string(decision.reason.rawValue),
                    "due": .string(decision.due.rfc3339), "assigned": assigned.objectValue?["id"] ?? .null,
                ])
            try appendOutbox(
                db,
                OutboxFacts(
                    number: number, commune: row["commune"], district: row["district"], severity: severity,
                    level: decision.level, assigned: assigned, callback: row["callback"]),
                // Missed while the daemon was down: the deadline passed before this run of the
                // daemon began, for an incident it already had (not one forwarded late since).
                reason: decision.reason, due: decision.due, at: run.now,
                catchUp: decision.due < run.startedAt && (row["received_at"] as Int64) < run.startedAt.seconds, &context)
            count += 1
        }
        return (count, rows.count > Self.maxEscalationsPerRun)
    }

    /// The earliest watched deadline, if any.
    public func nextDeadline() throws -> Timestamp? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(next_due) FROM incident WHERE next_due IS NOT NULL").map { Timestamp(seconds: $0) }
        }
    }

    /// Outbox records after `seq`, in order, at most `limit`: (seq, record JSON without seq and prev).
    public func outboxRecords(after seq: Int64, limit: Int) throws -> [(seq: Int64, record: String)] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, record FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [seq, limit]
            ).map { ($0["seq"], $0["record"]) }
        }
    }

    /// The highest outbox seq committed (0 if none).
    public func lastOutboxSeq() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM outbox") ?? 0 }
    }

    /// The queue writer's high-water mark as last recorded in the database.
    public func queueState() throws -> (seq: Int64, hash: String) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT last_seq, last_hash FROM queue_state WHERE id = 1")
            return (row?["last_seq"] ?? 0, row?["last_hash"] ?? "")
        }
    }

    /// Records that the queue file holds every record up to `seq` (committed with the next batch).
    public func noteQueueWritten(seq: Int64, hash: String) { enqueue(.queueWritten(seq: seq, hash: hash)) }
}
