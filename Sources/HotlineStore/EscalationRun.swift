import HotlineCore

/// Escalate every incident whose watched deadline is at or before `now`.
public struct EscalationRun: Sendable {
    public var now: Timestamp
    /// When this daemon started: a deadline that passed before it was missed while down.
    public var startedAt: Timestamp
    public var deadlines: DeadlineTable
    public var ladder: EscalationLadder
    public var directory: Directory
    /// Decided on a reader (SQLite): the writer only applies it (see `prepareEscalations`).
    public var prepared: PreparedEscalations?
    /// The number of escalations committed, and whether more are due (run again at once); for
    /// a prepared run, whether some incidents changed meanwhile and were left.
    public var completion: @Sendable (Result<(escalated: Int, more: Bool), StoreError>) -> Void

    public init(
        now: Timestamp, startedAt: Timestamp, deadlines: DeadlineTable, ladder: EscalationLadder, directory: Directory,
        prepared: PreparedEscalations? = nil, completion: @escaping @Sendable (Result<(escalated: Int, more: Bool), StoreError>) -> Void
    ) {
        self.now = now
        self.startedAt = startedAt
        self.deadlines = deadlines
        self.ladder = ladder
        self.directory = directory
        self.prepared = prepared
        self.completion = completion
    }
}
