import HotlineCore

/// An audit record about no single incident (stored with incident 0, shown as none): who
/// logged in to the dashboard, who failed to, who looked at it.
public struct AuditEntry: Sendable {
    public var at: Timestamp
    /// `dashboard`.
    public var kind: String
    /// The operator's name as typed (a failed login's name is recorded as given, cut to 64 bytes).
    public var actor: String
    public var peer: String?
    /// `login`, `login_failed`, `view`, `logout`.
    public var action: String
    public var completion: @Sendable (Result<Void, StoreError>) -> Void

    public init(
        at: Timestamp, kind: String, actor: String, peer: String?, action: String,
        completion: @escaping @Sendable (Result<Void, StoreError>) -> Void
    ) {
        self.at = at
        self.kind = kind
        self.actor = actor
        self.peer = peer
        self.action = action
        self.completion = completion
    }
}

/// What the province dashboard shows: counts and ids only. No caller, summary, note, reason
/// or village is read here, so none can reach the page.
public struct DashboardData: Sendable, Equatable {
    public struct CommuneCounts: Sendable, Equatable {
        /// Not closed.
        public var open = 0
        /// Not closed, and past the deadline of its current state (see `overdue`).
        public var overdue = 0
        /// Not closed and escalated at least once (level above 0).
        public var escalated = 0
        public init() {}
    }

    /// An incident that missed the deadline of the state it is still in: open and its
    /// acknowledgement deadline passed, or acknowledged and its attendance deadline passed.
    /// `due` is the first such deadline it missed (from its escalation records).
    public struct Overdue: Sendable, Equatable {
        public var number: Int64
        public var severity: Severity
        public var level: Int
        public var commune: String
        public var due: Timestamp
        public var callback: String
    }

    public var communes: [String: CommuneCounts] = [:]
    /// Every overdue incident, the longest overdue first.
    public var overdue: [Overdue] = []
    /// Seconds from report to acknowledgement of the incidents reported since the month began,
    /// by severity, ascending.
    public var ackSeconds: [Severity: [Int64]] = [:]
    public init() {}
}

extension IncidentStore {
    public func submit(_ entry: AuditEntry) { enqueue(.audit(entry)) }

    /// The dashboard's counts, read on a reader connection.
    public func dashboardData(monthStart: Timestamp) throws -> DashboardData {
        try engine.read { db in
            var d = DashboardData()
            for row in try db.query(
                """
                SELECT commune, count(*) AS n, sum(CASE WHEN level > 0 THEN 1 ELSE 0 END) AS escalated
                FROM incident WHERE state != 'closed' GROUP BY commune
                """)
            {
                var c = DashboardData.CommuneCounts()
                c.open = try row["n"]
                c.escalated = try row["escalated"]
                d.communes[try row["commune"]] = c
            }
            for row in try db.query(
                """
                SELECT i.id, i.severity, i.level, i.commune, i.callback, min(o.due) AS due
                FROM incident i JOIN outbox o ON o.incident = i.id
                WHERE i.state != 'closed' AND i.state != 'attended'
                    AND o.reason = CASE i.state WHEN 'open' THEN 'ack_overdue' ELSE 'attend_overdue' END
                GROUP BY i.id, i.severity, i.level, i.commune, i.callback
                ORDER BY min(o.due), i.id
                """)
            {
                let number: Int64 = try row[0]
                guard let severity = Severity(rawValue: try row[1]) else { throw StoreCorruption(reason: "incident \(number)") }
                let o = DashboardData.Overdue(
                    number: number, severity: severity, level: try row[2], commune: try row[3], due: Timestamp(seconds: try row[5]),
                    callback: try row[4])
                d.overdue.append(o)
                d.communes[o.commune, default: DashboardData.CommuneCounts()].overdue += 1
            }
            for row in try db.query(
                """
                SELECT severity, acknowledged_at - reported_at AS seconds FROM incident
                WHERE reported_at >= ? AND acknowledged_at IS NOT NULL
                """, monthStart.seconds)
            {
                guard let severity = Severity(rawValue: try row[0]) else { continue }
                d.ackSeconds[severity, default: []].append(max(0, try row[1] as Int64))
            }
            for s in d.ackSeconds.keys { d.ackSeconds[s]!.sort() }
            return d
        }
    }
}
