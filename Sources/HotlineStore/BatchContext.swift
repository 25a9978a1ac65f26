import HotlineCore

/// What one transaction has changed so far, applied to the store's memory only on commit.
struct BatchContext {
    var heldPlaces: [String: Int]
    var heldByCommune: [String: Int]
    var nextID: Int64
    /// The next escalation record's number (gapless: only the writer numbers them).
    var nextOutboxSeq: Int64
    /// Reports of this batch by "gateway\0ref": content hash and outcome.
    var reports: [String: (hash: String, result: Result<IntakeReceipt, StoreError>)] = [:]
    var outboxRecords = 0
    /// PostgreSQL: rows held back and written together (see `DeferredRows`).
    var deferred = DeferredRows()
}

/// PostgreSQL only: a run of reports is written with a few statements instead of a few per
/// report (each statement is a round trip to the server). Before the batch, one query reads the
/// earlier copies of its refs and one draws the numbers its new refs need; the new incidents and
/// their intake records are then INSERTed many rows at a time, before any other job of the batch
/// and at its end.
struct DeferredRows {
    var active = false
    /// Earlier copies of the batch's refs, by "gateway\0ref".
    var existing: [String: SQLRow] = [:]
    /// Numbers drawn from the sequence for this batch's new refs, in order.
    var numbers: [Int64] = []
    var nextNumber = 0
    var incidents: [[SQLValue]] = []
    var outbox: [[SQLValue]] = []
}
