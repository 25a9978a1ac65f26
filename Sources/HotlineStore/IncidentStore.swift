import Foundation
import GRDB
import HotlineCore

/// The durable incident store: SQLite in WAL mode with `synchronous = FULL`, written by one
/// thread that commits every report waiting at the time in a single transaction (group
/// commit). A report's completion runs only after its transaction is committed and synced,
/// or failed as a whole.
public final class IncidentStore: @unchecked Sendable {
    // @unchecked: `pending`, `stopping` and `stopped` are guarded by `condition`; the remaining
    // mutable state (`heldPlaces`, `nextID`) is touched only by the writer thread.
    public let path: String
    let pool: DatabasePool
    private let condition = NSCondition()
    private var pending: [IntakeJob] = []
    private var stopping = false
    private var stopped = false
    private var heldPlaces: [String: Int] = [:]
    private var nextID: Int64 = 1
    private var thread: Thread?

    /// Largest number of reports in one transaction.
    public static let maxBatch = 4096

    /// Statistics for benchmarks and logs.
    public struct Stats: Sendable {
        public var commits = 0
        public var reports = 0
        public var failedCommits = 0
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
        var config = Configuration()
        config.label = "hotline.store"
        config.maximumReaderCount = 4
        config.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: config)
        // DatabasePool sets synchronous=NORMAL when it enables WAL; acknowledgements need FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Schema.migrator.migrate(pool)
        for suffix in ["", "-wal", "-shm"] {
            chmod(path + suffix, 0o600)
        }
        self.pool = pool
        try pool.read { db in
            nextID = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM incident") ?? 0) + 1
            let rows = try Row.fetchAll(
                db, sql: "SELECT shelter, count(*) AS n FROM incident WHERE state != 'closed' AND shelter IS NOT NULL GROUP BY shelter")
            for row in rows { heldPlaces[row["shelter"]] = row["n"] }
        }
        let thread = Thread { [unowned self] in self.writerLoop() }
        thread.name = "hotline-writer"
        self.thread = thread
        thread.start()
    }

    /// `PRAGMA synchronous` of the writing connection (2 means FULL).
    public func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Queues a report for the next group commit. After `close()`, fails at once with
    /// `unavailable`.
    public func submit(_ job: IntakeJob) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.completion(.failure(HLPError(.unavailable, "server is shutting down; retry later")))
            return
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Commits what is queued, then stops the writer. Reads still work until deinit.
    public func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    /// Test hook: limit the database's size in pages, to simulate a full disk.
    public func setMaximumPageCount(_ pages: Int) throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
    }

    private func writerLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopping { condition.wait() }
            if pending.isEmpty && stopping {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = Array(pending.prefix(Self.maxBatch))
            pending.removeFirst(batch.count)
            condition.unlock()
            commit(batch)
        }
    }

    private func commit(_ batch: [IntakeJob]) {
        var held = heldPlaces
        var next = nextID
        var results: [Result<JSONObject, HLPError>] = []
        results.reserveCapacity(batch.count)
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    results.removeAll(keepingCapacity: true)
                    held = heldPlaces
                    next = nextID
                    var seen: [String: Int] = [:]  // "gateway\u{0}ref" -> index in results, within this batch
                    for job in batch {
                        let key = job.gateway.id + "\u{0}" + job.request.ref
                        if let earlier = seen[key] {
                            results.append(Self.repeatOutcome(results[earlier], batch[earlier].request, job.request))
                            continue
                        }
                        let outcome = try insert(job, db, &held, &next)
                        if case .success = outcome { seen[key] = results.count }
                        results.append(outcome)
                    }
                    return .commit
                }
            }
        } catch {
            condition.lock()
            statsValue.failedCommits += 1
            condition.unlock()
            let failure = HLPError(.unavailable, "cannot store the report now; retry later")
            for job in batch { job.completion(.failure(failure)) }
            return
        }
        heldPlaces = held
        nextID = next
        condition.lock()
        statsValue.commits += 1
        statsValue.reports += batch.count
        condition.unlock()
        for (job, result) in zip(batch, results) { job.completion(result) }
    }

    /// A second report with a ref already used earlier in the same batch.
    private static func repeatOutcome(
        _ first: Result<JSONObject, HLPError>, _ original: ReportRequest, _ again: ReportRequest
    ) -> Result<JSONObject, HLPError> {
        guard case var .success(receipt) = first else { return first }
        guard original.contentHash == again.contentHash else {
            return .failure(HLPError(.conflict, "ref \(again.ref) was already used with other content"))
        }
        receipt["duplicate"] = .bool(true)
        return .success(receipt)
    }

    private func insert(_ job: IntakeJob, _ db: Database, _ held: inout [String: Int], _ next: inout Int64) throws
        -> Result<JSONObject, HLPError>
    {
        let r = job.request
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT content_hash, receipt FROM incident WHERE gateway = ? AND ref = ?"),
            arguments: [job.gateway.id, r.ref])
        {
            let hash: String = row["content_hash"]
            guard hash == r.contentHash else {
                return .failure(HLPError(.conflict, "ref \(r.ref) was already used with other content"))
            }
            return .success(try Self.decodeReceipt(row["receipt"], duplicate: true))
        }
        let triage = Triage.triage(
            directory: job.directory, at: r.location, time: r.reportedAt, needsShelter: r.wantsShelter,
            heldPlaces: held)
        let windows = job.deadlines[r.severity]
        let number = next
        next += 1
        let receipt = Receipt(
            incident: IncidentID.text(number), ref: r.ref, duplicate: false, severity: r.severity, triage: triage,
            ackDue: r.reportedAt.adding(seconds: windows.ack), attendDue: r.reportedAt.adding(seconds: windows.attend))
        if let shelter = triage.shelter { held[shelter.responder.id, default: 0] += 1 }
        let district = job.directory.communes[r.commune]?.districtCode ?? ""
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO incident (id, gateway, ref, content_hash, commune, district, village, severity,
                    requested_severity, forms, lat, lon, victims, children, vulnerable, injured, weapon, needs_shelter,
                    caller, summary, reported_at, received_at, assigned, assigned_json, backups_json, shelter,
                    shelter_json, ack_due, attend_due, receipt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let values: [(any DatabaseValueConvertible)?] = [
            number, job.gateway.id, r.ref, r.contentHash, r.commune, district, r.village, r.severity.rawValue,
            r.requestedSeverity.rawValue, r.forms.map(\.rawValue).joined(separator: ","), r.location.lat,
            r.location.lon, r.victims, r.children, r.vulnerable, r.injured, r.weapon, r.needsShelter, r.caller,
            r.summary, r.reportedAt.seconds, job.receivedAt.seconds, triage.assigned?.responder.id,
            (triage.assigned?.json ?? .null).jsonText, JSONValue.array(triage.backups.map(\.json)).jsonText,
            triage.shelter?.responder.id, (triage.shelter?.json ?? .null).jsonText, receipt.ackDue.seconds,
            receipt.attendDue.seconds, receipt.json.jsonText,
        ]
        try statement.execute(arguments: StatementArguments(values))
        var detail: JSONObject = ["severity": .string(r.severity.rawValue)]
        detail["assigned"] = triage.assigned.map { .string($0.responder.id) } ?? .null
        if let shelter = triage.shelter { detail["shelter"] = .string(shelter.responder.id) }
        try db.cachedStatement(sql: "INSERT INTO history (incident, at, event, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [number, r.reportedAt.seconds, "reported", detail.jsonText])
        return .success(receipt.json)
    }

    /// The stored receipt (our own JSON), with the duplicate flag set.
    static func decodeReceipt(_ text: String, duplicate: Bool) throws -> JSONObject {
        guard case var .object(o) = try JSONParser.parse(text) else { throw StoreCorruption(reason: "receipt") }
        o["duplicate"] = .bool(duplicate)
        return o
    }

    /// Shelter places currently held per facility (for tests and status).
    public func heldShelterPlaces() throws -> [String: Int] {
        try pool.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT shelter, count(*) AS n FROM incident WHERE state != 'closed' AND shelter IS NOT NULL GROUP BY shelter")
            {
                out[row["shelter"]] = row["n"]
            }
            return out
        }
    }
}

struct StoreCorruption: Error, CustomStringConvertible {
    var reason: String
    var description: String { "stored data is not readable: \(reason)" }
}
