import HotlineCore

/// One escalation decided on a reader connection, for the writer to apply only if the incident
/// is still as it was read (same state, level and watched deadline).
public struct PreparedEscalation: Sendable {
    var number: Int64
    /// What was read: the writer's UPDATE matches only this.
    var state: String
    var level: Int
    var nextDue: Int64
    /// The deadlines as read (the one not moved is written back as it was, on PostgreSQL).
    var ackDue: Int64?
    var attendDue: Int64?
    /// nil: nothing watched is due any more (the incident is no longer watched).
    var decision: EscalationDecision?
    var assignedJSON: String
    var assignedID: String?
    var catchUp: Bool
}

/// A chunk of due incidents in `(next_due, id)` order, decided off the writer.
public struct PreparedEscalations: Sendable {
    public var items: [PreparedEscalation]
    /// The last row read: the next chunk starts after it.
    public var cursor: (due: Int64, id: Int64)?
    /// The read filled its limit: more may be due after the cursor.
    public var full: Bool
}

extension IncidentStore {
    /// Reads up to `limit` incidents due at `now` after `cursor` and decides each escalation, on
    /// a reader connection (SQLite; nil on PostgreSQL, whose runs read inside the writer). The
    /// escalation storm's reads and decisions thus run on another core while the writer commits
    /// the previous chunk; the writer only writes.
    public func prepareEscalations(
        now: Timestamp, startedAt: Timestamp, deadlines: DeadlineTable, ladder: EscalationLadder,
        after cursor: (due: Int64, id: Int64)?, limit: Int = maxEscalationsPerRun
    ) throws -> PreparedEscalations? {
        guard engine.dialect == .sqlite else { return nil }
        let columns = "SELECT \(Self.dueColumns) FROM incident"
        let rows = try engine.read { db in
            if let cursor {
                return try db.query(
                    columns + " WHERE next_due <= ? AND (next_due, id) > (?, ?) ORDER BY next_due, id LIMIT ?",
                    now.seconds, cursor.due, cursor.id, limit)
            }
            return try db.query(columns + " WHERE next_due <= ? ORDER BY next_due, id LIMIT ?", now.seconds, limit)
        }
        let items = try rows.map { try Self.prepared($0, now: now, startedAt: startedAt, deadlines: deadlines, ladder: ladder) }
        let last = items.last.map { (due: $0.nextDue, id: $0.number) }
        return PreparedEscalations(items: items, cursor: last, full: rows.count >= limit)
    }

    /// The columns an escalation reads, in the order `prepared(_:…)` takes them by position (a
    /// name lookup per column per row showed in the profile of a 100,000-deadline storm).
    static let dueColumns =
        "id, state, level, severity, ack_due, attend_due, backups_json, assigned_json, received_at, next_due"

    /// One due incident's escalation, decided from its row (`dueColumns`): the writer's runs and
    /// the reader's chunks decide alike.
    static func prepared(
        _ row: SQLRow, now: Timestamp, startedAt: Timestamp, deadlines: DeadlineTable, ladder: EscalationLadder
    ) throws -> PreparedEscalation {
        let number: Int64 = try row[0]
        let stateText: String = try row[1]
        guard let state = IncidentState(rawValue: stateText), let severity = Severity(rawValue: try row[3])
        else { throw StoreCorruption(reason: "incident \(number)") }
        let ackDue: Int64? = try row[4], attendDue: Int64? = try row[5]
        // The backups' JSON is split, not parsed: only the one handed the case is read.
        let backups = JSONText.arrayElements(try row[6] as String)
        let facts = DeadlineState(
            state: state, level: try row[2], severity: severity, ackDue: ackDue.map { Timestamp(seconds: $0) },
            attendDue: attendDue.map { Timestamp(seconds: $0) }, backupCount: backups.count)
        let decision = EscalationPolicy.decide(facts, now: now, windows: deadlines, ladder: ladder)
        // The assignee's JSON as stored, unless the escalation hands the case to a backup.
        var assignedJSON: String = try row[7]
        var assignedID: String?
        if let b = decision?.reassignToBackup, b < backups.count {
            assignedJSON = String(backups[b])
            assignedID = JSONText.stringMember(backups[b], "id")
        }
        // Missed while the daemon was down (catch-up): the deadline passed before this run of the
        // daemon began, for an incident it already had (not one forwarded late since).
        let receivedAt: Int64 = try row[8]
        let catchUp = decision.map { $0.due < startedAt && receivedAt < startedAt.seconds } ?? false
        return PreparedEscalation(
            number: number, state: stateText, level: try row[2], nextDue: try row[9], ackDue: ackDue, attendDue: attendDue,
            decision: decision, assignedJSON: assignedJSON, assignedID: assignedID, catchUp: catchUp)
    }

    /// The writer's part of a prepared run: each incident's UPDATE matches only the row as it was
    /// read; an incident changed meanwhile (an ACK, a case action) is left for the next pass.
    /// Returns the escalations written and how many were left.
    func applyPrepared(_ prepared: PreparedEscalations, at now: Timestamp, _ db: SQLConnection, _ context: inout BatchContext) throws
        -> (escalated: Int, left: Int)
    {
        var escalated = 0
        var left = 0
        for p in prepared.items {
            guard let decision = p.decision else {
                if try db.execute(Self.unwatchGuarded, p.number, p.state, p.level, p.nextDue) == 0 { left += 1 }
                continue
            }
            let ack = decision.reason == .ackOverdue
            let next = SQLValue.int(decision.nextDue.seconds)
            let changed: Int
            if let id = p.assignedID {
                changed = try db.execute(
                    ack ? Self.escalateReassigningAckGuarded : Self.escalateReassigningAttendGuarded,
                    [
                        .int(Int64(decision.level)), next, next, .text(id), .text(p.assignedJSON), .int(p.number), .text(p.state),
                        .int(Int64(p.level)), .int(p.nextDue),
                    ])
            } else {
                changed = try db.execute(
                    ack ? Self.escalateAckGuarded : Self.escalateAttendGuarded,
                    [.int(Int64(decision.level)), next, next, .int(p.number), .text(p.state), .int(Int64(p.level)), .int(p.nextDue)])
            }
            guard changed > 0 else {
                left += 1
                continue
            }
            try appendOutbox(
                db, OutboxFacts(number: p.number, level: decision.level, assignedJSON: p.assignedJSON), reason: decision.reason,
                due: decision.due, at: now, catchUp: p.catchUp, &context)
            escalated += 1
        }
        return (escalated, left)
    }

    static let guardClause = " WHERE id = ? AND state = ? AND level = ? AND next_due = ?"
    static let unwatchGuarded = "UPDATE incident SET next_due = NULL" + guardClause
    static let escalateAckGuarded = escalateAck.replacingOccurrences(of: " WHERE id = ?", with: guardClause)
    static let escalateAttendGuarded = escalateAttend.replacingOccurrences(of: " WHERE id = ?", with: guardClause)
    static let escalateReassigningAckGuarded = escalateReassigningAck.replacingOccurrences(of: " WHERE id = ?", with: guardClause)
    static let escalateReassigningAttendGuarded = escalateReassigningAttend.replacingOccurrences(of: " WHERE id = ?", with: guardClause)
}

import NIOPosix

extension IncidentStore {
    /// Escalates every incident due at `now`, as the scheduler's tick does; `committed` is told
    /// each run's escalations as it commits. On SQLite the due incidents are read and decided on
    /// a reader connection, a chunk at a time, while the writer applies the chunk before (the
    /// storm's reads on the other core; the writer only writes); an incident that changed between
    /// the read and the write is left and read again in another pass (at most three; the next
    /// tick catches anything still left). On PostgreSQL (or with `readOnWriter`) the writer reads
    /// and decides each run.
    public func escalateDue(
        now: Timestamp, startedAt: Timestamp, deadlines: DeadlineTable, ladder: EscalationLadder, directory: Directory,
        readOnWriter: Bool = false, committed: @escaping @Sendable (Int) -> Void = { _ in }
    ) async -> Result<Int, StoreError> {
        func submit(_ prepared: PreparedEscalations?) async -> Result<(escalated: Int, more: Bool), StoreError> {
            await withCheckedContinuation { continuation in
                self.submit(
                    EscalationRun(
                        now: now, startedAt: startedAt, deadlines: deadlines, ladder: ladder, directory: directory,
                        prepared: prepared,
                        completion: { result in
                            if case let .success((n, _)) = result { committed(n) }
                            continuation.resume(returning: result)
                        }))
            }
        }
        var total = 0
        // `readOnWriter`: the writer reads and decides too (as before; kept to measure the difference).
        guard engine.dialect == .sqlite, !readOnWriter else {
            while true {
                switch await submit(nil) {
                case let .failure(error): return .failure(error)
                case let .success((n, more)):
                    total += n
                    if !more { return .success(total) }
                }
            }
        }
        var cursor: (due: Int64, id: Int64)?
        var writing: Task<Result<(escalated: Int, more: Bool), StoreError>, Never>?
        var left = false
        var failure: StoreError?
        var passes = 0
        func settle() async {
            guard let w = writing else { return }
            writing = nil
            switch await w.value {
            case let .success((n, more)):
                total += n
                left = left || more
            case let .failure(error): failure = error
            }
        }
        while failure == nil {
            let after = cursor
            let prepared: PreparedEscalations
            do {
                guard let p = try await NIOThreadPool.singleton.runIfActive({
                    try self.prepareEscalations(now: now, startedAt: startedAt, deadlines: deadlines, ladder: ladder, after: after)
                }) else { return .failure(.unavailable("no reader")) }
                prepared = p
            } catch {
                await settle()
                return .failure(.unavailable("cannot read due incidents: \(error)"))
            }
            // At most one chunk is being written while the next is read.
            await settle()
            if !prepared.items.isEmpty {
                writing = Task { await submit(prepared) }
            }
            if prepared.full, let next = prepared.cursor {
                cursor = next
                continue
            }
            await settle()
            guard left, passes < 3, failure == nil else { break }
            passes += 1
            left = false
            cursor = nil
        }
        if let failure { return .failure(failure) }
        return .success(total)
    }
}
