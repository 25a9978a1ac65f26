import HotlineCore

/// An ACK, ATTEND, CLOSE or RETRACT waiting for the group commit.
public struct CaseJob: Sendable {
    public var incident: String
    public var action: CaseAction
    /// The gateway acting; `nil` when a province operator acts (any commune).
    public var gateway: Hotline?
    /// The operator's Unix user name, recorded in the history, when an operator acts.
    public var operatorName: String?
    public var deadlines: DeadlineTable
    public var directory: Directory
    /// Called once, on the writer thread, after the commit (or its failure).
    public var completion: @Sendable (Result<CaseOutcome, StoreError>) -> Void

    public init(
        incident: String, action: CaseAction, gateway: Hotline?, operatorName: String? = nil, deadlines: DeadlineTable,
        directory: Directory, completion: @escaping @Sendable (Result<CaseOutcome, StoreError>) -> Void
    ) {
        self.incident = incident
        self.action = action
        self.gateway = gateway
        self.operatorName = operatorName
        self.deadlines = deadlines
        self.directory = directory
        self.completion = completion
    }
}
