import HotlineCore

/// What an escalation row holds of its incident beyond the reason and times: the rest of its
/// queue line (commune, district, severity, callback) is read from the incident when the line
/// is rendered, and does not change.
struct OutboxFacts {
    var number: Int64
    var level: Int
    /// The assignee (a responder object, or null) as JSON text.
    var assignedJSON: String
}

extension IncidentStore {
    /// Adds one escalation to the outbox, in the caller's transaction: numbers and the
    /// assignee's JSON, nothing rendered (the queue file's thread renders the line, see
    /// `OutboxRecord`). Its `seq` is the next number, kept by the writer (the only one
    /// inserting, so numbers are gapless); the same (incident, level, reason, due) is recorded
    /// once. The row is also the incident's history of escalations (STATUS reads it).
    func appendOutbox(
        _ db: SQLConnection, _ f: OutboxFacts, reason: EscalationReason, due: Timestamp, at: Timestamp, catchUp: Bool,
        deferrable: Bool = false, _ context: inout BatchContext
    ) throws {
        let values = Self.outboxRow(seq: context.nextOutboxSeq, f, reason: reason, due: due, at: at, catchUp: catchUp)
        // A new incident's intake records cannot collide: held back with it (PostgreSQL).
        let inserted =
            deferrable && context.deferred.active
            ? { context.deferred.outbox.append(values); return 1 }()
            : try db.execute(Self.insertOneOutboxRow, values)
        if inserted > 0 {
            context.outboxRecords += 1
            context.nextOutboxSeq += 1
        }
    }

    static let outboxColumns = "seq, incident, level, reason, due, at, record, assigned, catch_up"
    static let outboxColumnList = outboxColumns.split(separator: ",").map { String($0.filter { $0 != " " }) }
    /// An escalation's UPDATE, by the deadline it moves and whether a backup takes the case.
    static let escalateAck = "UPDATE incident SET level = ?, ack_due = ?, next_due = ? WHERE id = ?"
    static let escalateAttend = "UPDATE incident SET level = ?, attend_due = ?, next_due = ? WHERE id = ?"
    static let escalateReassigningAck =
        "UPDATE incident SET level = ?, ack_due = ?, next_due = ?, assigned = ?, assigned_json = ? WHERE id = ?"
    static let escalateReassigningAttend =
        "UPDATE incident SET level = ?, attend_due = ?, next_due = ?, assigned = ?, assigned_json = ? WHERE id = ?"
    /// Built once: building it per escalation was 4 % of the writer's samples in the storm.
    static let insertOneOutboxRow =
        "INSERT INTO outbox (\(outboxColumns)) VALUES " + placeholders(rows: 1, columns: 9) + " ON CONFLICT DO NOTHING"

    /// One outbox row's values, in `outboxColumns` order.
    static func outboxRow(
        seq: Int64, _ f: OutboxFacts, reason: EscalationReason, due: Timestamp, at: Timestamp, catchUp: Bool
    ) -> [SQLValue] {
        [
            .int(seq), .int(f.number), .int(Int64(f.level)), .text(reason.rawValue), .int(due.seconds),
            .int(at.seconds), .text(""), .text(f.assignedJSON), catchUp.sqlValue,
        ]
    }

    /// Outbox rows in multi-row INSERTs (PostgreSQL), 4,000 rows (36,000 values) per statement.
    static func insertOutbox(_ rows: [[SQLValue]], _ db: SQLConnection) throws {
        for part in rows.chunked(4000) {
            if try (db as? PostgresSession)?.insertUnnest(into: "outbox", columns: outboxColumnList, rows: part, suffix: "")
                != nil
            {
                continue
            }
            try db.execute(
                "INSERT INTO outbox (\(outboxColumns)) VALUES " + placeholders(rows: part.count, columns: part[part.startIndex].count),
                Array(part.joined()))
        }
    }

    /// Escalates every incident whose watched deadline is at or before `run.now`, oldest first,
    /// at most `maxEscalationsPerRun` at a time.
    func escalate(_ run: EscalationRun, _ db: SQLConnection, _ context: inout BatchContext) throws -> (escalated: Int, more: Bool) {
        let rows = try db.query(
            "SELECT \(Self.dueColumns) FROM incident WHERE next_due <= ? ORDER BY next_due, id LIMIT ?",
            run.now.seconds, Self.maxEscalationsPerRun + 1)
        var count = 0
        // On PostgreSQL every statement is a round trip: the run's writes are gathered and sent
        // as a few multi-row statements at its end (SQLite runs them one by one, in process).
        var gathered: EscalationWrites? = db.dialect == .postgresql ? EscalationWrites() : nil
        for row in rows.prefix(Self.maxEscalationsPerRun) {
            let p = try Self.prepared(row, now: run.now, startedAt: run.startedAt, deadlines: run.deadlines, ladder: run.ladder)
            guard let decision = p.decision else {
                // Nothing watched is due (state changed): stop watching.
                if gathered != nil {
                    gathered!.unwatched.append(.int(p.number))
                } else {
                    try db.execute("UPDATE incident SET next_due = NULL WHERE id = ?", p.number)
                }
                continue
            }
            let outboxFacts = OutboxFacts(number: p.number, level: decision.level, assignedJSON: p.assignedJSON)
            let next = SQLValue.int(decision.nextDue.seconds)
            if gathered != nil {
                let ackDue: SQLValue = decision.reason == .ackOverdue ? next : (p.ackDue.map { .int($0) } ?? .null)
                let attendDue: SQLValue = decision.reason == .ackOverdue ? (p.attendDue.map { .int($0) } ?? .null) : next
                gathered!.updates.append([
                    .int(p.number), .int(Int64(decision.level)), ackDue, attendDue, next,
                    p.assignedID.map { .text($0) } ?? .null, .text(p.assignedJSON),
                ])
                gathered!.outbox.append((outboxFacts, decision.reason, decision.due, p.catchUp))
                count += 1
                continue
            }
            if let assignedID = p.assignedID {
                try db.execute(
                    decision.reason == .ackOverdue ? Self.escalateReassigningAck : Self.escalateReassigningAttend,
                    [.int(Int64(decision.level)), next, next, .text(assignedID), .text(p.assignedJSON), .int(p.number)])
            } else {
                try db.execute(
                    decision.reason == .ackOverdue ? Self.escalateAck : Self.escalateAttend,
                    [.int(Int64(decision.level)), next, next, .int(p.number)])
            }
            // The outbox row is the escalation's only record: STATUS shows it in the history.
            try appendOutbox(db, outboxFacts, reason: decision.reason, due: decision.due, at: run.now, catchUp: p.catchUp, &context)
            count += 1
        }
        if let gathered { try write(gathered, at: run.now, db, &context) }
        return (count, rows.count > Self.maxEscalationsPerRun)
    }

    /// A PostgreSQL run's writes, in multi-row statements: the incidents no longer watched and
    /// the escalated incidents' new level, deadlines and assignee (1,000 rows each), and their
    /// outbox rows with the next `seq`s. Should an outbox row collide with one already recorded
    /// (the same incident, level, reason and due), the rows are written one by one instead,
    /// the collision skipped and `seq` kept gapless, as on SQLite.
    private func write(_ w: EscalationWrites, at: Timestamp, _ db: SQLConnection, _ context: inout BatchContext) throws {
        for part in w.unwatched.chunked(1000) {
            try db.execute(
                "UPDATE incident SET next_due = NULL WHERE id IN (" + Array(repeating: "?", count: part.count).joined(separator: ", ") + ")",
                Array(part))
        }
        let row = "(?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?::text, ?::text)"
        for part in w.updates.chunked(1000) {
            try db.execute(
                """
                UPDATE incident AS i SET level = v.level, ack_due = v.ack_due, attend_due = v.attend_due,
                    next_due = v.next_due, assigned = coalesce(v.assigned, i.assigned), assigned_json = v.assigned_json
                FROM (VALUES \(Array(repeating: row, count: part.count).joined(separator: ", ")))
                    AS v(id, level, ack_due, attend_due, next_due, assigned, assigned_json)
                WHERE i.id = v.id
                """, Array(part.joined()))
        }
        guard !w.outbox.isEmpty else { return }
        try db.execute("SAVEPOINT escalation_outbox")
        do {
            let first = context.nextOutboxSeq
            try Self.insertOutbox(
                w.outbox.enumerated().map { i, o in
                    Self.outboxRow(seq: first + Int64(i), o.facts, reason: o.reason, due: o.due, at: at, catchUp: o.catchUp)
                }, db)
            try db.execute("RELEASE SAVEPOINT escalation_outbox")
            context.nextOutboxSeq += Int64(w.outbox.count)
            context.outboxRecords += w.outbox.count
        } catch where PostgresSession.isUniqueViolation(error) {
            try db.execute("ROLLBACK TO SAVEPOINT escalation_outbox")
            for o in w.outbox {
                try appendOutbox(db, o.facts, reason: o.reason, due: o.due, at: at, catchUp: o.catchUp, &context)
            }
        }
    }

    /// The earliest watched deadline, if any.
    public func nextDeadline() throws -> Timestamp? {
        try engine.read { db in
            try (db.scalar("SELECT min(next_due) FROM incident WHERE next_due IS NOT NULL") as Int64?).map { Timestamp(seconds: $0) }
        }
    }

    /// Outbox records after `seq`, in order, at most `limit`: (seq, record JSON without seq and
    /// prev), rendered here, on the caller's thread (the queue file's), not the writer's.
    public func outboxRecords(after seq: Int64, limit: Int) throws -> [(seq: Int64, record: String)] {
        let rows = try engine.read { db in
            try db.query(
                """
                SELECT o.seq, o.record, o.incident, o.level, o.reason, o.due, o.at, o.assigned, o.catch_up,
                    i.commune, i.district, i.severity, i.callback, i.village
                FROM outbox o JOIN incident i ON i.id = o.incident
                WHERE o.seq > ? ORDER BY o.seq LIMIT ?
                """, seq, limit)
        }
        return try rows.map { row in
            let stored: String = try row[1]
            guard stored.isEmpty else { return (try row[0], stored) }
            guard let reason = EscalationReason(rawValue: try row[4]), let severity = Severity(rawValue: try row[11]) else {
                throw StoreCorruption(reason: "outbox row \(try row[0] as Int64)")
            }
            let record = OutboxRecord(
                number: try row[2], commune: try row[9], district: try row[10], severity: severity, level: try row[3], reason: reason,
                due: Timestamp(seconds: try row[5]), at: Timestamp(seconds: try row[6]),
                assigned: try JSONParser.parse((try row[7] as String?) ?? "null"), callback: try row[12], catchUp: try row[8],
                village: try row[13])
            return (try row[0], record.text)
        }
    }

    /// The highest outbox seq committed (0 if none).
    public func lastOutboxSeq() throws -> Int64 {
        try engine.read { db in try db.scalar("SELECT coalesce(max(seq), 0) FROM outbox") ?? 0 }
    }

    /// The queue writer's high-water mark as last recorded in the database.
    public func queueState() throws -> (seq: Int64, hash: String) {
        try engine.read { db in
            let row = try db.queryOne("SELECT last_seq, last_hash FROM queue_state WHERE id = 1")
            let seq: Int64 = try row?["last_seq"] ?? 0
            let hash: String = try row?["last_hash"] ?? ""
            return (seq, hash)
        }
    }

    /// Records that the queue file holds every record up to `seq` (committed with the next batch).
    public func noteQueueWritten(seq: Int64, hash: String) { enqueue(.queueWritten(seq: seq, hash: hash)) }
}

/// What a PostgreSQL escalation run writes, gathered (see `IncidentStore.write(_:at:_:_:)`).
struct EscalationWrites {
    var unwatched: [SQLValue] = []
    var updates: [[SQLValue]] = []
    var outbox: [(facts: OutboxFacts, reason: EscalationReason, due: Timestamp, catchUp: Bool)] = []
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min(count, $0 + size)] }
    }
}
