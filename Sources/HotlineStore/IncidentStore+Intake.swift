import HotlineCore

extension IncidentStore {
    /// Stores one report (or finds its earlier copy) inside the batch's transaction.
    func intake(_ job: IntakeJob, _ db: SQLConnection, _ context: inout BatchContext) throws -> Result<IntakeReceipt, StoreError> {
        let r = job.request
        let key = job.gateway.id + "\u{0}" + r.ref
        if let earlier = context.reports[key] {
            guard earlier.hash == r.contentHash else { return .failure(Self.refConflict(r.ref)) }
            return earlier.result.map(\.asDuplicate)
        }
        let result = try insertReport(job, db, &context)
        if case .success = result { context.reports[key] = (r.contentHash, result) }
        return result
    }

    static func refConflict(_ ref: String) -> StoreError {
        .refReused(ref)
    }

    /// One INSERT for a new report; only when (gateway, ref) is taken is the earlier one read.
    /// Triage, due times and the receipt's bytes were prepared before the writer: here only
    /// the shelter place, the incident number and the SQL.
    private func insertReport(_ job: IntakeJob, _ db: SQLConnection, _ context: inout BatchContext) throws
        -> Result<IntakeReceipt, StoreError>
    {
        let p = job.report
        let r = p.request
        // One commune may not take the province's shelter places: at its cap, no place is held.
        let capped = r.wantsShelter && context.heldByCommune[r.commune, default: 0] >= job.shelterCap
        var shelter: Assignment?
        if r.wantsShelter, !capped {
            let held = context.heldPlaces
            shelter = p.shelterCandidates.first { $0.responder.shelterBeds - held[$0.responder.id, default: 0] > 0 }
            if shelter == nil, p.shelterCandidates.count >= PreparedReport.shelterCandidateCount {
                // Every nearby place is held: look further, through the whole directory.
                shelter = Triage.triage(
                    directory: job.directory, at: r.location, time: r.reportedAt, needsShelter: true, heldPlaces: held
                ).shelter
            }
        }
        // SQLite: the writer's next number. PostgreSQL: one of the numbers drawn from the sequence
        // for this batch's new refs (see `prepareDeferred`).
        let number: Int64
        if context.deferred.active {
            if let earlier = context.deferred.existing[job.gateway.id + "\u{0}" + r.ref] { return try Self.earlier(earlier, r) }
            guard context.deferred.nextNumber < context.deferred.numbers.count else {
                throw StoreCorruption(reason: "no incident number drawn for \(job.gateway.id) \(r.ref)")
            }
            number = context.deferred.numbers[context.deferred.nextNumber]
            context.deferred.nextNumber += 1
        } else {
            number = context.nextID
        }
        let id = IncidentID.text(number)
        let shelterJSON = shelter?.jsonText ?? "null"
        let receipt = p.receiptText(incident: id, shelterJSON: shelterJSON)
        let district = job.directory.communes[r.commune]?.districtCode ?? ""
        // Values in the columns' order.
        let values: [SQLValue] = [
            .int(number), .text(job.gateway.id), .text(r.ref), .text(r.contentHash), .text(r.commune), .text(district),
            r.village.sqlValue, .text(r.severity.rawValue), .text(r.requestedSeverity.rawValue), .text(p.formsText),
            .double(r.location.lat), .double(r.location.lon), .int(Int64(r.victims)), .int(Int64(r.children)),
            r.vulnerable.sqlValue, r.injured.sqlValue, r.weapon.sqlValue, r.needsShelter.sqlValue, r.caller.sqlValue,
            r.summary.sqlValue, .int(r.reportedAt.seconds), .int(job.receivedAt.seconds),
            (p.assigned?.responder.id).sqlValue, .text(p.assignedJSON), .text(p.backupsJSON),
            (shelter?.responder.id).sqlValue, .text(shelterJSON), .int(p.ackDue.seconds), .int(p.attendDue.seconds),
            .int(p.ackDue.seconds), .text(receipt), .text(r.callback.rawValue),
        ]
        if context.deferred.active {
            context.deferred.incidents.append(values)
        } else {
            let inserted = try db.execute(Self.insertOne, values)
            guard inserted == 1 else { return try earlierReport(job, db) }
        }
        context.nextID += 1
        if let shelter {
            context.heldPlaces[shelter.responder.id, default: 0] += 1
            context.heldByCommune[r.commune, default: 0] += 1
        }
        // No history row for the report itself: STATUS derives its "reported" event from the
        // stored receipt (one B-tree insert fewer per report on the writer).
        // Records written at intake: they carry the current level and due = at.
        if r.children > 0 || r.weapon || r.severity == .critical || capped {
            let facts = OutboxFacts(number: number, level: 0, assignedJSON: p.assignedJSON)
            if r.children > 0 {
                try appendOutbox(db, facts, reason: .childProtection, due: job.receivedAt, at: job.receivedAt, catchUp: false, deferrable: true, &context)
            }
            if r.weapon || r.severity == .critical {
                try appendOutbox(db, facts, reason: .police, due: job.receivedAt, at: job.receivedAt, catchUp: false, deferrable: true, &context)
            }
            if capped {
                try appendOutbox(db, facts, reason: .shelterCap, due: job.receivedAt, at: job.receivedAt, catchUp: false, deferrable: true, &context)
            }
        }
        return .success(IntakeReceipt(incident: id, severity: r.severity.rawValue, duplicate: false, text: receipt))
    }

    /// This gateway used the ref before (in an earlier batch): the same content gets the
    /// original receipt, other content a conflict.
    private func earlierReport(_ job: IntakeJob, _ db: SQLConnection) throws -> Result<IntakeReceipt, StoreError> {
        let r = job.request
        guard
            let row = try db.queryOne(
                "SELECT id, severity, content_hash, receipt FROM incident WHERE gateway = ? AND ref = ?", job.gateway.id, r.ref)
        else { throw StoreCorruption(reason: "incident of \(job.gateway.id) \(r.ref)") }
        return try Self.earlier(row, r)
    }

    /// The earlier copy's receipt for the same content, a conflict for other content.
    static func earlier(_ row: SQLRow, _ r: ReportRequest) throws -> Result<IntakeReceipt, StoreError> {
        guard (try row["content_hash"] as String) == r.contentHash else { return .failure(Self.refConflict(r.ref)) }
        return .success(
            IntakeReceipt(
                incident: IncidentID.text(try row["id"]), severity: try row["severity"], duplicate: false, text: try row["receipt"]
            ).asDuplicate)
    }

    static let incidentColumns = """
        id, gateway, ref, content_hash, commune, district, village, severity, requested_severity, forms, lat, lon, \
        victims, children, vulnerable, injured, weapon, needs_shelter, caller, summary, reported_at, received_at, \
        assigned, assigned_json, backups_json, shelter, shelter_json, ack_due, attend_due, next_due, receipt, callback
        """

    static let incidentColumnList = incidentColumns.split(separator: ",").map { String($0.filter { $0 != " " }) }

    /// The INSERT of one incident (built once: the writer runs it for every report).
    static let insertOne =
        "INSERT INTO incident (\(incidentColumns)) VALUES " + placeholders(rows: 1, columns: 32) + " ON CONFLICT (gateway, ref) DO NOTHING"

    /// `(?, …), (?, …)`: `rows` groups of `columns` placeholders.
    static func placeholders(rows: Int, columns: Int) -> String {
        let one = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: one, count: rows).joined(separator: ", ")
    }

    /// PostgreSQL, before a batch's jobs: reads the earlier copies of its refs and draws the
    /// numbers its new refs need (two statements for the whole batch).
    func prepareDeferred(_ batch: [WriterJob], _ db: SQLConnection, _ context: inout BatchContext) throws {
        var keys: [(gateway: String, ref: String)] = []
        var seen = Set<String>()
        for job in batch {
            guard case let .report(j) = job else { continue }
            if seen.insert(j.gateway.id + "\u{0}" + j.request.ref).inserted { keys.append((j.gateway.id, j.request.ref)) }
        }
        context.deferred.active = true
        guard !keys.isEmpty else { return }
        for chunk in stride(from: 0, to: keys.count, by: 2000) {
            let part = keys[chunk..<min(keys.count, chunk + 2000)]
            let rows = try db.query(
                "SELECT gateway, ref, id, severity, content_hash, receipt FROM incident WHERE (gateway, ref) IN (VALUES "
                    + Self.placeholders(rows: part.count, columns: 2) + ")",
                part.flatMap { [SQLValue.text($0.gateway), .text($0.ref)] })
            for row in rows { context.deferred.existing[(try row[0] as String) + "\u{0}" + (try row[1] as String)] = row }
        }
        let needed = keys.count - context.deferred.existing.count
        if needed > 0 {
            context.deferred.numbers = try db.query(
                "SELECT nextval('incident_number') FROM generate_series(1, ?)", needed
            ).map { try $0[0] }
        }
    }

    /// PostgreSQL: writes the incidents and intake records held back, many rows per statement.
    func flushDeferred(_ db: SQLConnection, _ context: inout BatchContext) throws {
        for part in context.deferred.incidents.chunked(1000) {
            let suffix = "ON CONFLICT (gateway, ref) DO NOTHING"
            // One parameter per column (arrays), not one per value: see `insertUnnest`.
            let unnested = try (db as? PostgresSession)?.insertUnnest(
                into: "incident", columns: Self.incidentColumnList, rows: part, suffix: suffix)
            let inserted = try unnested ?? db.execute(
                "INSERT INTO incident (\(Self.incidentColumns)) VALUES "
                    + Self.placeholders(rows: part.count, columns: part[part.startIndex].count) + " " + suffix,
                Array(part.joined()))
            // Only this writer inserts, and the refs were read first: every row is new.
            guard inserted == part.count else { throw StoreCorruption(reason: "\(part.count - inserted) refs stored meanwhile") }
        }
        try Self.insertOutbox(context.deferred.outbox, db)
        context.deferred.incidents.removeAll(keepingCapacity: true)
        context.deferred.outbox.removeAll(keepingCapacity: true)
    }

    static func addHistory(_ db: SQLConnection, _ number: Int64, _ at: Timestamp, _ event: String, _ detail: JSONObject) throws {
        try db.execute("INSERT INTO history (incident, at, event, detail) VALUES (?, ?, ?, ?)", number, at.seconds, event, detail.jsonText)
    }
}
