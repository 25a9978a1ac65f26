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
    public var completion: @Sendable (Result<JSONObject, HLPError>) -> Void

    public init(
        incident: String, action: CaseAction, gateway: Hotline?, operatorName: String? = nil, deadlines: DeadlineTable,
        directory: Directory, completion: @escaping @Sendable (Result<JSONObject, HLPError>) -> Void
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

/// Escalate every incident whose watched deadline is at or before `now`.
public struct EscalationRun: Sendable {
    public var now: Timestamp
    /// When this daemon started: a deadline that passed before it was missed while down.
    public var startedAt: Timestamp
    public var deadlines: DeadlineTable
    public var ladder: EscalationLadder
    public var directory: Directory
    /// The number of escalations committed, and whether more are due (run again at once).
    public var completion: @Sendable (Result<(escalated: Int, more: Bool), HLPError>) -> Void

    public init(
        now: Timestamp, startedAt: Timestamp, deadlines: DeadlineTable, ladder: EscalationLadder, directory: Directory,
        completion: @escaping @Sendable (Result<(escalated: Int, more: Bool), HLPError>) -> Void
    ) {
        self.now = now
        self.startedAt = startedAt
        self.deadlines = deadlines
        self.ladder = ladder
        self.directory = directory
        self.completion = completion
    }
}

enum WriterJob: Sendable {
    case report(IntakeJob)
    case action(CaseJob)
    case escalate(EscalationRun)
    /// A read of personal data: audited in the transaction, answered after the commit.
    case read(AuditedRead)
    /// Test hook: the writer sleeps (see `blockWriterForTesting`).
    case testPause(Double)
    /// The queue file holds every record up to `seq`; the last line's hash is `hash`.
    case queueWritten(seq: Int64, hash: String)
    /// Erase personal data of incidents closed at or before `closedBefore`.
    /// … and delete audit records older than `auditBefore`.
    case erasePersonalData(
        closedBefore: Timestamp, auditBefore: Timestamp?, now: Timestamp, completion: @Sendable (Result<Int, HLPError>) -> Void)

    func fail(_ error: HLPError) {
        switch self {
        case let .report(job): job.completion(.failure(error))
        case let .action(job): job.completion(.failure(error))
        case let .escalate(run): run.completion(.failure(error))
        case let .read(read): read.completion(.failure(error))
        case .queueWritten, .testPause: break
        case let .erasePersonalData(_, _, _, completion): completion(.failure(error))
        }
    }
}

/// What one transaction has changed so far, applied to the store's memory only on commit.
struct BatchContext {
    var heldPlaces: [String: Int]
    var heldByCommune: [String: Int]
    var nextID: Int64
    /// Reports of this batch by "gateway\0ref": content hash and outcome.
    var reports: [String: (hash: String, result: Result<IntakeReceipt, HLPError>)] = [:]
    var outboxRecords = 0
}
