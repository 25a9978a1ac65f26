import Foundation
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
    }

    public init(path: String) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        chmod(path, 0o600)
        try queue.write { db in
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
        try queue.write { db in
            try db.execute(sql: "INSERT INTO spool (ref, body) VALUES (?, ?)", arguments: [ref, body.jsonText])
        }
        return body
    }

    public func pending() throws -> [Entry] { try entries(where: "state = 'pending'") }

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
            error: row["error"])
    }

    /// Sends every pending report in order (pipelined); stores receipts and refusals. Returns
    /// (delivered, refused, still pending).
    @discardableResult
    public func flush(_ client: GatewayClient) throws -> (delivered: Int, refused: Int, pending: Int) {
        let todo = try pending()
        guard !todo.isEmpty else { return (0, 0, 0) }
        let results = client.send(todo.map { "REPORT " + $0.body.jsonText })
        var delivered = 0, refused = 0, left = 0
        try queue.write { db in
            for (entry, result) in zip(todo, results) {
                switch result {
                case let .success(receipt):
                    try db.execute(
                        sql: "UPDATE spool SET state = 'delivered', receipt = ?, error = NULL WHERE ref = ?",
                        arguments: [receipt.jsonText, entry.ref])
                    delivered += 1
                case let .failure(error) where error.isTemporary:
                    try db.execute(sql: "UPDATE spool SET error = ? WHERE ref = ?", arguments: [error.description, entry.ref])
                    left += 1
                case let .failure(error):
                    try db.execute(
                        sql: "UPDATE spool SET state = 'refused', error = ? WHERE ref = ?",
                        arguments: [error.description, entry.ref])
                    refused += 1
                }
            }
        }
        return (delivered, refused, left)
    }
}
