import GRDB
import HotlineCore

extension IncidentStore {
    /// Stores one report (or finds its earlier copy) inside the batch's transaction.
    func intake(_ job: IntakeJob, _ db: Database, _ context: inout BatchContext) throws -> Result<JSONObject, HLPError> {
        let r = job.request
        let key = job.gateway.id + "\u{0}" + r.ref
        if let earlier = context.reports[key] {
            guard earlier.hash == r.contentHash else { return .failure(Self.refConflict(r.ref)) }
            guard case var .success(receipt) = earlier.result else { return earlier.result }
            receipt["duplicate"] = .bool(true)
            return .success(receipt)
        }
        let result = try insertReport(job, db, &context)
        if case .success = result { context.reports[key] = (r.contentHash, result) }
        return result
    }

    static func refConflict(_ ref: String) -> HLPError {
        HLPError(.conflict, "ref \(ref) was already used with other content")
    }

    private func insertReport(_ job: IntakeJob, _ db: Database, _ context: inout BatchContext) throws
        -> Result<JSONObject, HLPError>
    {
        let r = job.request
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT content_hash, receipt FROM incident WHERE gateway = ? AND ref = ?"),
            arguments: [job.gateway.id, r.ref])
        {
            guard (row["content_hash"] as String) == r.contentHash else { return .failure(Self.refConflict(r.ref)) }
            return .success(try Self.decodeReceipt(row["receipt"], duplicate: true))
        }
        // One commune may not take the province's shelter places: at its cap, no place is held.
        let capped = r.wantsShelter && context.heldByCommune[r.commune, default: 0] >= job.shelterCap
        let triage = Triage.triage(
            directory: job.directory, at: r.location, time: r.reportedAt, needsShelter: r.wantsShelter && !capped,
            heldPlaces: context.heldPlaces)
        let windows = job.deadlines[r.severity]
        let number = context.nextID
        context.nextID += 1
        let receipt = Receipt(
            incident: IncidentID.text(number), ref: r.ref, duplicate: false, severity: r.severity, triage: triage,
            ackDue: r.reportedAt.adding(seconds: windows.ack), attendDue: r.reportedAt.adding(seconds: windows.attend))
        if let shelter = triage.shelter {
            context.heldPlaces[shelter.responder.id, default: 0] += 1
            context.heldByCommune[r.commune, default: 0] += 1
        }
        let district = job.directory.communes[r.commune]?.districtCode ?? ""
        let assignedJSON = triage.assigned?.json ?? .null
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO incident (id, gateway, ref, content_hash, commune, district, village, severity,
                    requested_severity, forms, lat, lon, victims, children, vulnerable, injured, weapon, needs_shelter,
                    caller, summary, reported_at, received_at, assigned, assigned_json, backups_json, shelter,
                    shelter_json, ack_due, attend_due, next_due, receipt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let values: [(any DatabaseValueConvertible)?] = [
            number, job.gateway.id, r.ref, r.contentHash, r.commune, district, r.village, r.severity.rawValue,
            r.requestedSeverity.rawValue, r.forms.map(\.rawValue).joined(separator: ","), r.location.lat,
            r.location.lon, r.victims, r.children, r.vulnerable, r.injured, r.weapon, r.needsShelter, r.caller,
            r.summary, r.reportedAt.seconds, job.receivedAt.seconds, triage.assigned?.responder.id,
            assignedJSON.jsonText, JSONValue.array(triage.backups.map(\.json)).jsonText,
            triage.shelter?.responder.id, (triage.shelter?.json ?? .null).jsonText, receipt.ackDue.seconds,
            receipt.attendDue.seconds, receipt.ackDue.seconds, receipt.json.jsonText,
        ]
        try statement.execute(arguments: StatementArguments(values))
        var detail: JSONObject = ["severity": .string(r.severity.rawValue)]
        detail["assigned"] = triage.assigned.map { .string($0.responder.id) } ?? .null
        if let shelter = triage.shelter { detail["shelter"] = .string(shelter.responder.id) }
        try Self.addHistory(db, number, r.reportedAt, "reported", detail)
        // Records written at intake: they carry the current level and due = at.
        let facts = OutboxFacts(
            number: number, commune: r.commune, district: district, severity: r.severity, level: 0,
            assigned: assignedJSON)
        if r.children > 0 {
            try appendOutbox(db, facts, reason: .childProtection, due: job.receivedAt, at: job.receivedAt, catchUp: false, &context)
        }
        if r.weapon || r.severity == .critical {
            try appendOutbox(db, facts, reason: .police, due: job.receivedAt, at: job.receivedAt, catchUp: false, &context)
        }
        if capped {
            try appendOutbox(db, facts, reason: .shelterCap, due: job.receivedAt, at: job.receivedAt, catchUp: false, &context)
        }
        return .success(receipt.json)
    }

    static func addHistory(_ db: Database, _ number: Int64, _ at: Timestamp, _ event: String, _ detail: JSONObject) throws {
        try db.cachedStatement(sql: "INSERT INTO history (incident, at, event, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [number, at.seconds, event, detail.jsonText])
    }

    /// The stored receipt (our own JSON), with the duplicate flag set.
    static func decodeReceipt(_ text: String, duplicate: Bool) throws -> JSONObject {
        guard case var .object(o) = try JSONParser.parse(text) else { throw StoreCorruption(reason: "receipt") }
        o["duplicate"] = .bool(duplicate)
        return o
    }
}
