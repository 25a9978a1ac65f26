import HotlineCore

/// What the store's single writer is asked to do; a batch holds several.
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
    /// An audit record that names no incident (a dashboard login or view), committed durably.
    case audit(AuditEntry)
    /// Erase personal data of incidents closed at or before `closedBefore`.
    /// … and delete audit records older than `auditBefore`.
    case erasePersonalData(
        closedBefore: Timestamp, auditBefore: Timestamp?, now: Timestamp, completion: @Sendable (Result<Int, StoreError>) -> Void)

    var isReport: Bool {
        if case .report = self { return true }
        return false
    }

    func fail(_ error: StoreError) {
        switch self {
        case let .report(job): job.completion(.failure(error))
        case let .action(job): job.completion(.failure(error))
        case let .escalate(run): run.completion(.failure(error))
        case let .read(read): read.completion(.failure(error))
        case .queueWritten, .testPause: break
        case let .erasePersonalData(_, _, _, completion): completion(.failure(error))
        case let .audit(entry): entry.completion(.failure(error))
        }
    }
}
