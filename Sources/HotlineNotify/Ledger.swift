import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// The notifier's durable state (SQLite, `synchronous = FULL`): the cursor (last seq handled
/// and its line's hash), one row per (seq, recipient) and per digest with its state, the
/// incoming messages handled, and the last problem that stopped the notifier.
///
/// Message states: `queued` (in the gateway's spool), `sent`, `retry` (failed, to be sent
/// again at `next_try`), `gave_up` (failed `max_attempts` times), `undeliverable` (no dialable
/// number), `digest` (above the rate: waiting for the next digest), `digested` (in one).
public final class Ledger {
    let queue: DatabaseQueue
    public let path: String

    public init(folder: String, readOnly: Bool = false) throws {
        path = folder + "/notify.sqlite"
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.readonly = readOnly
        if !readOnly {
            config.prepareDatabase { db in
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        guard !readOnly else { return }
        chmod(path, 0o600)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
                    INSERT INTO cursor VALUES (1, 0, '');
                    CREATE TABLE message (
                        name TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL,
                        recipient TEXT NOT NULL,
                        role TEXT NOT NULL,
                        party TEXT NOT NULL,
                        incident TEXT,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_try INTEGER,
                        record_at INTEGER NOT NULL,
                        spooled_ms INTEGER,
                        handled_ms INTEGER NOT NULL DEFAULT 0,
                        parts INTEGER NOT NULL DEFAULT 0,
                        body TEXT NOT NULL DEFAULT '',
                        fail_reason TEXT,
                        digest TEXT,
                        commune TEXT,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE UNIQUE INDEX message_once ON message(seq, recipient) WHERE seq > 0;
                    CREATE INDEX message_open ON message(state) WHERE state IN ('queued', 'retry', 'digest');
                    CREATE TABLE recipient_rate (
                        recipient TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL,
                        digests INTEGER NOT NULL DEFAULT 0, last_digest INTEGER NOT NULL DEFAULT 0);
                    CREATE TABLE incoming (name TEXT PRIMARY KEY, at INTEGER NOT NULL, outcome TEXT NOT NULL);
                    CREATE TABLE problem (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL, text TEXT NOT NULL);
                    """)
        }
        try migrator.migrate(queue)
        // GRDB may set synchronous after prepareDatabase; make sure it is FULL.
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    public func synchronous() throws -> Int {
        try queue.inDatabase { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func cursor() throws -> (seq: Int64, hash: String) {
        try queue.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM cursor WHERE id = 1")
            return (row?["seq"] ?? 0, row?["hash"] ?? "")
        }
    }

    /// Runs `body` in one write transaction, committed when it returns.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.write(body)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }

    /// What `hotline-notify status` shows.
    public struct Summary: Sendable, Equatable, Codable {
        public var lastSeq: Int64
        public var states: [String: Int]
        public var replies: [String: Int]
        public var problem: String?
        public var oldestPendingSeconds: Int64?

        enum CodingKeys: String, CodingKey {
            case lastSeq = "last_seq", states, replies, problem, oldestPendingSeconds = "oldest_pending_s"
        }
    }

    /// Lag in milliseconds from each record's `at` (whole seconds) to the commit that handled it,
    /// and to its file for those spooled at once: what `hotline-bench notify` reports.
    public func lags() throws -> (handled: [Int64], spooled: [Int64]) {
        try queue.read { db in
            let handled = try Int64.fetchAll(db, sql: "SELECT handled_ms - record_at * 1000 FROM message WHERE seq > 0 ORDER BY 1")
            let spooled = try Int64.fetchAll(
                db, sql: "SELECT spooled_ms - record_at * 1000 FROM message WHERE seq > 0 AND spooled_ms IS NOT NULL AND attempts = 1 ORDER BY 1")
            return (handled, spooled)
        }
    }

    public func summary(now: Int64) throws -> Summary {
        try queue.read { db in
            var states: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM message GROUP BY state") {
                states[row["state"]] = row["n"]
            }
            var replies: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT outcome, count(*) AS n FROM incoming GROUP BY outcome") {
                replies[row["outcome"]] = row["n"]
            }
            let problem = try String.fetchOne(db, sql: "SELECT text FROM problem WHERE id = 1")
            let oldest = try Int64.fetchOne(
                db, sql: "SELECT min(record_at) FROM message WHERE state IN ('queued', 'retry', 'digest')")
            return Summary(
                lastSeq: try Int64.fetchOne(db, sql: "SELECT seq FROM cursor WHERE id = 1") ?? 0, states: states,
                replies: replies, problem: problem, oldestPendingSeconds: oldest.map { max(0, now - $0) })
        }
    }

    /// Records (or clears, with nil) what stopped the notifier, for `status`.
    public func setProblem(_ text: String?, at: Int64) throws {
        try queue.write { db in
            if let text {
                try db.execute(sql: "INSERT OR REPLACE INTO problem VALUES (1, ?, ?)", arguments: [at, text])
            } else {
                try db.execute(sql: "DELETE FROM problem")
            }
        }
    }
}
