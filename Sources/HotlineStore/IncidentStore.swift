import Foundation
import GRDB
import HotlineCore

/// The durable incident store: SQLite in WAL mode with `synchronous = FULL`, written by one
/// thread that commits every job waiting at the time (reports, case actions, escalations) in
/// a single transaction (group commit). A job's completion runs only after its transaction
/// is committed and synced, or failed as a whole.
public final class IncidentStore: @unchecked Sendable {
    // @unchecked: `pending`, `stopping`, `stopped`, `statsValue` and the observers are guarded
    // by `condition`; `heldPlaces` and `nextID` are touched only by the writer thread (and by
    // init before it starts).
    /// The SQLite file, or a description of the PostgreSQL database.
    public let path: String
    /// SQLite (`SQLiteEngine`, which also owns the file's pool and checkpointer) or
    /// PostgreSQL (`PostgresEngine`).
    let engine: StoreEngine
    /// A commit failed: reload what the writer keeps in memory before the next batch.
    private var reloadMemory = false
    private let condition = NSCondition()
    private var pending: [WriterJob] = []
    private var stopping = false
    private var stopped = false
    private var heldPlaces: [String: Int] = [:]
    /// Shelter places held per commune by open incidents (for the per-commune cap).
    private var heldByCommune: [String: Int] = [:]
    private var nextID: Int64 = 1
    private var nextOutboxSeq: Int64 = 1
    private var outboxObserver: (@Sendable () -> Void)?
    private var commitObserver: (@Sendable (_ jobs: Int, _ ok: Bool) -> Void)?

    /// Where the writer's finished batches are freed.
    static let reclaimer = DispatchQueue(label: "hotline.store.reclaim", qos: .utility)

    /// Largest number of jobs in one transaction.
    public static let maxBatch = 4096
    /// Largest number of incidents escalated in one transaction.
    public static let maxEscalationsPerRun = 5000

    /// Statistics for benchmarks and logs.
    public struct Stats: Sendable {
        public var commits = 0
        public var reports = 0
        public var failedCommits = 0
        public var escalations = 0
    }
    private var statsValue = Stats()
    public var stats: Stats {
        condition.lock()
        defer { condition.unlock() }
        return statsValue
    }

    /// Opens (creating if needed) the database at `path`, migrates it and starts the writer.
    public init(path: String) throws {
        self.path = path
        engine = try SQLiteEngine(path: path)
        try engine.read { try loadMemory($0) }
        startWriter()
    }

    /// The store on another engine (PostgreSQL), already migrated and holding what it needs to
    /// write.
    init(engine: StoreEngine, label: String) throws {
        path = label
        self.engine = engine
        try engine.read { try loadMemory($0) }
        startWriter()
    }

    /// The store on PostgreSQL (see `PostgresEngine`).
    public convenience init(postgres engine: PostgresEngine) throws {
        try self.init(engine: engine, label: engine.location.description)
    }

    /// Which database holds the store.
    public var backend: String { engine.dialect == .sqlite ? "sqlite" : "postgresql" }

    private func startWriter() {
        let thread = Thread { [unowned self] in self.writerLoop() }
        thread.name = "hotline-writer"
        thread.start()
    }

    /// What the writer keeps in memory, from the database: the next numbers, the held shelter
    /// places. At start, and again after a failed commit (PostgreSQL: the commit's outcome may
    /// be unknown, or another node may have written since).
    private func loadMemory(_ db: SQLConnection) throws {
        nextID = (try db.scalar("SELECT max(id) FROM incident") ?? 0) + 1
        // After the larger of the outbox's last row and the queue file's position (which is
        // ahead after a restore from a backup: see EscalationQueueFile).
        nextOutboxSeq = (try db.scalar(
            "SELECT " + db.dialect.greatest(
                "(SELECT coalesce(max(seq), 0) FROM outbox)", "(SELECT last_seq FROM queue_state WHERE id = 1)")
        ) ?? 0) + 1
        (heldPlaces, heldByCommune) = try Self.fetchHeldPlaces(db)
    }

    /// Shelter places held by open incidents, per facility and per commune. The rows come
    /// through the partial index of open incidents holding a place (a `GROUP BY commune` let
    /// SQLite walk the whole table through `incident_commune`: 0.22 s at every start with
    /// 1,000,000 stored incidents).
    static func fetchHeldPlaces(_ db: SQLConnection) throws -> (byShelter: [String: Int], byCommune: [String: Int]) {
        var byShelter: [String: Int] = [:], byCommune: [String: Int] = [:]
        for row in try db.query("SELECT shelter, commune FROM incident WHERE state != 'closed' AND shelter IS NOT NULL") {
            byShelter[try row[0] as String, default: 0] += 1
            byCommune[try row[1] as String, default: 0] += 1
        }
        return (byShelter, byCommune)
    }

    /// `PRAGMA synchronous` of the writing connection (2 means FULL).
    public func synchronousMode() throws -> Int {
        try (engine as? SQLiteEngine)?.synchronousMode() ?? -1
    }

    /// Called after every commit that added escalation records (on the writer thread).
    public func onOutboxAppended(_ observer: @escaping @Sendable () -> Void) {
        condition.lock()
        outboxObserver = observer
        condition.unlock()
    }

    /// Called after every transaction with its number of jobs and whether it committed.
    public func onCommit(_ observer: @escaping @Sendable (_ jobs: Int, _ ok: Bool) -> Void) {
        condition.lock()
        commitObserver = observer
        condition.unlock()
    }

    /// Queues a report for the next group commit.
    public func submit(_ job: IntakeJob) { enqueue(.report(job)) }
    /// Queues an ACK, ATTEND, CLOSE or RETRACT for the next group commit.
    public func submit(_ job: CaseJob) { enqueue(.action(job)) }
    /// Queues an escalation run for the next group commit.
    public func submit(_ run: EscalationRun) { enqueue(.escalate(run)) }

    /// Erases caller, summary, close note and retraction reason of incidents closed at or
    /// before `closedBefore` (the retention period); statistics stay.
    /// Audit records older than `auditBefore` are deleted in the same transaction; the
    /// erasure itself leaves the audit records.
    public func erasePersonalData(
        closedBefore: Timestamp, auditBefore: Timestamp? = nil, now: Timestamp,
        completion: @escaping @Sendable (Result<Int, StoreError>) -> Void
    ) {
        enqueue(.erasePersonalData(closedBefore: closedBefore, auditBefore: auditBefore, now: now, completion: completion))
    }

    func enqueue(_ job: WriterJob) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.fail(.unavailable("server is shutting down; retry later"))
            return
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Commits what is queued, then stops the writer. Reads still work afterwards.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        engine.close()
    }

    /// For tests (`@testable`): limit the database's size in pages, to simulate a full disk.
    func setMaximumPageCount(_ pages: Int) throws {
        try (engine as? SQLiteEngine)?.setMaximumPageCount(pages)
    }

    /// When the writer last showed it is alive (monotonic nanoseconds): at every turn of its
    /// loop, at least once a second while idle. A writer stuck in a commit stops updating it.
    public var writerProgress: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return lastProgress
    }
    private var lastProgress = DispatchTime.now().uptimeNanoseconds

    /// For tests (`@testable`): the writer stops for `seconds` before its next batch, as a hung
    /// disk would hold it (for the watchdog's test).
    func blockWriterForTesting(seconds: Double) {
        enqueue(.testPause(seconds))
    }

    private func writerLoop() {
        while true {
            condition.lock()
            lastProgress = DispatchTime.now().uptimeNanoseconds
            while pending.isEmpty && !stopping {
                _ = condition.wait(until: Date().addingTimeInterval(1))
                lastProgress = DispatchTime.now().uptimeNanoseconds
            }
            if pending.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // The whole queue is taken as it is (no copy of its jobs); only a queue longer than a
            // batch is split. (Copying the prefix and shifting the rest retained and released
            // every field of every job: about a tenth of the writer's samples under intake.)
            let batch: [WriterJob]
            if pending.count <= Self.maxBatch {
                batch = pending
                pending = []
                pending.reserveCapacity(batch.count)
            } else {
                batch = Array(pending[..<Self.maxBatch])
                pending.removeFirst(Self.maxBatch)
            }
            condition.unlock()
            commit(batch)
        }
    }

    private func commit(_ batch: [WriterJob]) {
        var context = BatchContext(
            heldPlaces: heldPlaces, heldByCommune: heldByCommune, nextID: nextID, nextOutboxSeq: nextOutboxSeq)
        var completions: [() -> Void] = []
        do {
            try engine.write { db in
                if reloadMemory {
                    try loadMemory(db)
                }
                context = BatchContext(
                    heldPlaces: heldPlaces, heldByCommune: heldByCommune, nextID: nextID, nextOutboxSeq: nextOutboxSeq)
                completions.removeAll(keepingCapacity: true)
                if db.dialect == .postgresql { try prepareDeferred(batch, db, &context) }
                for job in batch {
                    // Other jobs may read what the reports before them wrote.
                    if context.deferred.active, !job.isReport { try flushDeferred(db, &context) }
                    completions.append(try process(job, db, &context))
                }
                if context.deferred.active { try flushDeferred(db, &context) }
            }
        } catch {
            condition.lock()
            statsValue.failedCommits += 1
            let observer = commitObserver
            condition.unlock()
            observer?(batch.count, false)
            reloadMemory = true
            let failure = StoreError.unavailable("cannot store the change now; retry later")
            for job in batch { job.fail(failure) }
            return
        }
        reloadMemory = false
        heldPlaces = context.heldPlaces
        heldByCommune = context.heldByCommune
        nextID = context.nextID
        nextOutboxSeq = context.nextOutboxSeq
        condition.lock()
        statsValue.commits += 1
        for job in batch {
            if case .report = job { statsValue.reports += 1 }
        }
        statsValue.escalations += context.outboxRecords
        let observer = outboxObserver
        let commitObserver = self.commitObserver
        condition.unlock()
        commitObserver?(batch.count, true)
        for completion in completions { completion() }
        if context.outboxRecords > 0 { observer?() }
        // Freeing a batch (thousands of jobs and their receipts) is not serial work: the last
        // references go to another thread, so the writer can start the next transaction.
        let garbage = Reclaimed((batch, completions, context))
        Self.reclaimer.async { withExtendedLifetime(garbage) {} }
    }

    /// Does one job inside the batch's transaction; returns what to call after the commit.
    private func process(_ job: WriterJob, _ db: SQLConnection, _ context: inout BatchContext) throws -> () -> Void {
        switch job {
        case let .report(job):
            let result = try intake(job, db, &context)
            return { job.completion(result) }
        case let .action(job):
            let result = try act(job, db, &context)
            // An operator's action is in the audit beside the reads (the history names them too).
            if case .success = result, let name = job.operatorName, let number = IncidentID.number(job.incident) {
                try Self.audit(
                    db, at: job.action.at, kind: "operator", actor: name, peer: nil, incident: number,
                    action: job.action.verb.lowercased(), shown: [])
            }
            return { job.completion(result) }
        case let .escalate(run):
            if let prepared = run.prepared {
                let (escalated, left) = try applyPrepared(prepared, at: run.now, db, &context)
                return { run.completion(.success((escalated, left > 0))) }
            }
            let result = try escalate(run, db, &context)
            return { run.completion(.success(result)) }
        case let .read(read):
            let result = try auditedRead(read, db)
            return { read.completion(result) }
        case let .testPause(seconds):
            Thread.sleep(forTimeInterval: seconds)
            return {}
        case let .erasePersonalData(closedBefore, auditBefore, now, completion):
            let erased = try db.execute(
                """
                UPDATE incident SET \(PersonalData.names.map { "\($0) = NULL" }.joined(separator: ", ")),
                    personal_erased_at = ?
                WHERE state = 'closed' AND closed_at <= ? AND personal_erased_at IS NULL
                """, now.seconds, closedBefore.seconds)
            // Audit records outlive the personal data they are about, up to their own period.
            if let auditBefore = auditBefore {
                try db.execute("DELETE FROM audit WHERE at < ?", auditBefore.seconds)
            }
            return { completion(.success(erased)) }
        case let .audit(entry):
            try Self.audit(
                db, at: entry.at, kind: entry.kind, actor: entry.actor, peer: entry.peer, incident: 0, action: entry.action, shown: [])
            return { entry.completion(.success(())) }
        case let .queueWritten(seq, hash):
            try db.execute("UPDATE queue_state SET last_seq = ?, last_hash = ? WHERE id = 1 AND last_seq < ?", seq, hash, seq)
            context.nextOutboxSeq = max(context.nextOutboxSeq, seq + 1)
            return {}
        }
    }

    /// How many incidents are stored.
    public func incidentCount() throws -> Int {
        try engine.read { db in try db.scalar("SELECT count(*) FROM incident") ?? 0 }
    }

    /// Shelter places currently held per facility (for tests and status).
    public func heldShelterPlaces() throws -> [String: Int] {
        try engine.read { db in try Self.fetchHeldPlaces(db).byShelter }
    }
}

/// Values handed to the reclaimer only to be released there; nothing reads them.
private final class Reclaimed: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}

struct StoreCorruption: Error, CustomStringConvertible {
    var reason: String
    var description: String { "stored data is not readable: \(reason)" }
}
