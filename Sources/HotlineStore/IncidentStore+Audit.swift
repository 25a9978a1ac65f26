import HotlineCore

/// A read of an incident with its personal data: recorded in the audit, then answered.
public struct AuditedRead: Sendable {
    public var incident: String
    /// The gateway reading its own commune's incident (STATUS); nil for an operator.
    public var gateway: Hotline?
    public var peer: String?
    public var operatorName: String?
    public var at: Timestamp
    public var completion: @Sendable (Result<IncidentView, StoreError>) -> Void

    public init(
        incident: String, gateway: Hotline?, peer: String?, operatorName: String?, at: Timestamp,
        completion: @escaping @Sendable (Result<IncidentView, StoreError>) -> Void
    ) {
        self.incident = incident
        self.gateway = gateway
        self.peer = peer
        self.operatorName = operatorName
        self.at = at
        self.completion = completion
    }
}

extension IncidentStore {
    /// Reads through the writer, so that the audit row is in the same transaction and the data
    /// leaves only after the commit.
    public func submit(_ read: AuditedRead) { enqueue(.read(read)) }

    func auditedRead(_ read: AuditedRead, _ db: SQLConnection) throws -> Result<IncidentView, StoreError> {
        let result = try view(db, incident: read.incident, readableBy: read.gateway?.communeCode)
        guard case let .success(view) = result, let number = IncidentID.number(read.incident) else { return result }
        let shown = view.personal.shown
        try Self.audit(
            db, at: read.at, kind: read.gateway == nil ? "operator" : "gateway",
            actor: read.gateway?.id ?? read.operatorName ?? "unknown", peer: read.peer, incident: number, action: "read",
            shown: shown)
        return result
    }

    static func audit(
        _ db: SQLConnection, at: Timestamp, kind: String, actor: String, peer: String?, incident: Int64, action: String,
        shown: [String]
    ) throws {
        try db.execute(
            "INSERT INTO audit (at, actor_kind, actor, peer, incident, action, shown) VALUES (?, ?, ?, ?, ?, ?, ?)",
            at.seconds, kind, actor, peer, incident, action, shown.joined(separator: ","))
    }

    /// Audit records, newest first.
    public func auditRecords(incident: String?, actor: String?, since: Timestamp?, limit: Int) throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: [SQLValue] = []
        if let incident {
            conditions.append("incident = ?")
            arguments.append(.int(IncidentID.number(incident) ?? -1))
        }
        if let actor {
            conditions.append("actor = ?")
            arguments.append(.text(actor))
        }
        if let since {
            conditions.append("at >= ?")
            arguments.append(.int(since.seconds))
        }
        arguments.append(.int(Int64(limit)))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try engine.read { db in
            try db.query("SELECT * FROM audit \(filter) ORDER BY id DESC LIMIT ?", arguments).map { row in
                AuditRecord(
                    at: Timestamp(seconds: try row["at"]), actorKind: try row["actor_kind"], actor: try row["actor"], peer: try row["peer"],
                    incident: (try row["incident"] as Int64) == 0 ? "-" : IncidentID.text(try row["incident"]), action: try row["action"],
                    shown: (try row["shown"] as String).split(separator: ",").map(String.init))
            }
        }
    }
}
