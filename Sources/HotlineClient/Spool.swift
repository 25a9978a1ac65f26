import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import HotlineCore

/// The gateway's durable spool: every report is written here (SQLite, synchronous=FULL)
/// with its `ref` and `reported_at` before any send, and stays until its receipt (new or
/// duplicate) is stored. After a crash, an outage or a restart, `flush` sends what is pending,
/// in order; the daemon's idempotency makes the resend safe.
public final class Spool: Sendable {
    let queue: DatabaseQueue

    public struct Entry: Sendable, Equatable {
        public var ref: String
        public var body: JSONObject
        public var state: String
        public var receipt: JSONObject?
        public var error: String?
        /// Whom the gateway named offline, if it had to.
        public var localAssigned: String?
    }

    public let path: String

    /// Opens the spool, creating it in WAL mode the first time. Many processes may use one
    /// spool at once (a telephone system starts one per call): each waits up to 30 s for the
    /// write lock, which is held only for a row's insert or a batch's outcome.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // Switching to WAL needs the database to itself: only when it is not WAL yet, and
            // again if another process held it at that moment (SQLite does not wait for this).
            var attempts = 0
            while try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                do {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                    attempts += 1
                    guard attempts < 600 else { throw error }
                    usleep(50_000)
                }
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        chmod(path, 0o600)
        try writeImmediate { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS spool (
                        seq INTEGER PRIMARY KEY,
                        ref TEXT NOT NULL UNIQUE,
                        body TEXT NOT NULL,
                        state TEXT NOT NULL DEFAULT 'pending',
                        receipt TEXT,
                        error TEXT
                    )
                    """)
            // Reports an earlier version marked refused because the gateway's token was refused
            // were never refused by the daemon: they are pending again.
            try db.execute(sql: "UPDATE spool SET state = 'pending' WHERE state = 'refused' AND error LIKE 'auth-failed:%'")
            // Whom the gateway told the call-taker to call while the province could not be reached.
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(spool)").map { $0["name"] as String }
            if !columns.contains("local_assigned") {
                try db.execute(sql: "ALTER TABLE spool ADD COLUMN local_assigned TEXT")
            }
        }
    }

    /// Stores a report before it is sent: gives it a `ref` if it has none and `reported_at` =
    /// `now` (the time of the call) if it has none. Returns the stored body.
    public func add(_ report: JSONObject, now: Date = Date()) throws -> JSONObject {
        var body = report
        if body["ref"] == nil {
            body["ref"] = .string("gw-" + UUID().uuidString.lowercased())
        }
        if body["reported_at"] == nil {
            body["reported_at"] = .string(Timestamp(seconds: Int64(now.timeIntervalSince1970)).rfc3339)
        }
        guard let ref = body["ref"]?.stringValue else { throw HLPClientError.refused(code: "invalid", text: "field \"ref\" must be a string") }
        try writeImmediate { db in
            try db.execute(sql: "INSERT INTO spool (ref, body) VALUES (?, ?)", arguments: [ref, body.jsonText])
        }
        return body
    }

    public func pending() throws -> [Entry] { try entries(where: "state = 'pending'") }

    /// A write transaction that takes the write lock at its start (BEGIN IMMEDIATE), so that
    /// with many processes it waits its turn through the busy timeout instead of failing when
    /// it upgrades from reading (SQLite answers that with "database is locked" at once).
    func writeImmediate<T>(_ updates: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try updates(db)
                return .commit
            }
            return result!
        }
    }

    /// Records whom the gateway's own triage named for a report not yet delivered.
    public func setLocalAssignment(ref: String, responder: String) throws {
        try writeImmediate { db in
            try db.execute(sql: "UPDATE spool SET local_assigned = ? WHERE ref = ?", arguments: [responder, ref])
        }
    }

    /// Delivered reports whose province assignee differs from the one the gateway named
    /// offline: the call-taker must know the province chose someone else.
    public func changedAssignments() throws -> [Entry] {
        try entries(where: "state = 'delivered' AND local_assigned IS NOT NULL").filter {
            $0.receipt?["assigned"]?.objectValue?["id"]?.stringValue != $0.localAssigned
        }
    }

    public func entry(ref: String) throws -> Entry? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM spool WHERE ref = ?", arguments: [ref]).map(Self.entry)
        }
    }

    /// Entries matching an SQL condition on the spool table, in order (for tools and tests).
    public func entries(where condition: String) throws -> [Entry] {
        try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM spool WHERE \(condition) ORDER BY seq").map(Self.entry) }
    }

    static func entry(_ row: Row) -> Entry {
        Entry(
            ref: row["ref"], body: (try? JSONParser.parse(row["body"] as String))?.objectValue ?? JSONObject(),
            state: row["state"], receipt: (row["receipt"] as String?).flatMap { try? JSONParser.parse($0).objectValue },
            error: row["error"], localAssigned: row["local_assigned"])
    }

    /// What a flush did.
    public struct FlushOutcome: Sendable, Equatable {
        public var delivered = 0
        public var refused = 0
        public var pending = 0
        /// Set when the gateway's credentials stopped the flush (its reports stay pending).
        public var credentials: String?
    }

    /// Sends every pending report in order (pipelined) and stores receipts and refusals, as
    /// the only flusher of this spool (other processes wait for the lock, up to `wait`
    /// seconds; then their reports stay pending for the next flush). Reports that come in
    /// while it sends are sent in the same turn.
    @discardableResult
    public func flush(_ client: Result<GatewayClient, HLPClientError>, wait: TimeInterval = 60) throws -> FlushOutcome {
        guard let lock = FlushLock(path + ".flush-lock", wait: wait) else {
            return FlushOutcome(pending: try pending().count)
        }
        defer { lock.release() }
        var outcome = FlushOutcome()
        var sent: Set<String> = []
        while true {
            let todo = try pending().filter { !sent.contains($0.ref) }
            if todo.isEmpty { break }
            let results: [Result<JSONObject, HLPClientError>]
            switch client {
            case let .success(client): results = client.send(todo.map { "REPORT " + $0.body.jsonText })
            case let .failure(error): results = todo.map { _ in .failure(error) }
            }
            try writeImmediate { db in
                for (entry, result) in zip(todo, results) {
                    sent.insert(entry.ref)
                    switch result {
                    case let .success(receipt):
                        try db.execute(
                            sql: "UPDATE spool SET state = 'delivered', receipt = ?, error = NULL WHERE ref = ?",
                            arguments: [receipt.jsonText, entry.ref])
                        outcome.delivered += 1
                    case let .failure(error) where error.keepsReport:
                        try db.execute(sql: "UPDATE spool SET error = ? WHERE ref = ?", arguments: [error.description, entry.ref])
                        outcome.pending += 1
                        if case .credentials = error { outcome.credentials = error.description }
                    case let .failure(error):
                        try db.execute(
                            sql: "UPDATE spool SET state = 'refused', error = ? WHERE ref = ?",
                            arguments: [error.description, entry.ref])
                        outcome.refused += 1
                    }
                }
            }
            if outcome.pending > 0 { break }  // the daemon or the token is not there: later
        }
        return outcome
    }
}

/// One flusher per spool: an exclusive `flock` on a file beside it, waited for with a limit.
final class FlushLock {
    private let fd: Int32

    init?(_ path: String, wait: TimeInterval) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(fd)
                return nil
            }
            usleep(20_000)
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
