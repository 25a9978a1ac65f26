import HotlineCore

/// What one transaction has changed so far, applied to the store's memory only on commit.
struct BatchContext {
    var heldPlaces: [String: Int]
    var heldByCommune: [String: Int]
    var nextID: Int64
    /// The next escalation record's number (gapless: only the writer numbers them).
    var nextOutboxSeq: Int64
    /// Reports of this batch by "gateway\0ref": content hash and outcome.
    var reports: [String: (hash: String, result: Result<IntakeReceipt, HLPError>)] = [:]
    var outboxRecords = 0
}
