import Foundation
import GRDB
import GRDBSQLite

/// The SQLite engine: a GRDB pool in WAL mode with `synchronous = FULL`; writes in
/// `BEGIN IMMEDIATE` transactions, reads on the pool's readers.
final class SQLiteEngine: StoreEngine, @unchecked Sendable {
    // @unchecked: GRDB's pool is thread-safe; the checkpointer is set once, stopped once.
    let pool: DatabasePool
    private let checkpointer: Checkpointer
    var dialect: SQLDialect { .sqlite }

    /// Opens (creating if needed) the database at `path` mode 0600, with `synchronous = FULL`,
    /// migrates it, and starts the WAL checkpointer.
    init(path: String) throws {
        var config = Configuration()
        config.label = "hotline.store"
        config.maximumReaderCount = 4
        config.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: config)
        // DatabasePool sets synchronous=NORMAL when it enables WAL; acknowledgements need FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Erased personal data is overwritten with zeros, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        try Schema.migrator.migrate(pool)
        for suffix in ["", "-wal", "-shm"] {
            chmod(path + suffix, 0o600)
        }
        checkpointer = try Checkpointer(path: path)
    }

    /// `PRAGMA synchronous` of the writing connection (2 means FULL).
    func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Limits the database's size in pages (a test's full disk).
    func setMaximumPageCount(_ pages: Int) throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
    }

    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteConnection(db))
                return .commit
            }
            return result!
        }
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteConnection(db)) }
    }

    func close() { checkpointer.stop() }
}

/// Statements through SQLite's C API on GRDB's cached statements: typed bindings, no boxing
/// per value beyond `SQLValue`.
final class SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    init(_ db: Database) { self.db = db }

    private func prepared(_ sql: String, _ values: [SQLValue]) throws -> OpaquePointer {
        let statement = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case let .int(v): sqlite3_bind_int64(statement, index, v)
            case let .double(v): sqlite3_bind_double(statement, index, v)
            case .null: sqlite3_bind_null(statement, index)
            case let .text(v):
                // SQLITE_TRANSIENT: SQLite copies the text before this returns.
                _ = v.utf8CString.withUnsafeBufferPointer { p in
                    sqlite3_bind_text(
                        statement, index, p.baseAddress, Int32(p.count - 1), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                }
            }
        }
        return statement
    }

    private func failure(_ code: Int32) -> Error {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int {
        let statement = try prepared(sql, values)
        defer { sqlite3_reset(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else { throw failure(code) }
        return Int(sqlite3_changes(db.sqliteConnection))
    }

    func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let statement = try prepared(sql, values)
        defer { sqlite3_reset(statement) }
        let count = sqlite3_column_count(statement)
        var columns: [String: Int] = [:]
        for i in 0..<count {
            let name = String(cString: sqlite3_column_name(statement, i))
            if columns[name] == nil { columns[name] = Int(i) }
        }
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw failure(code) }
            var row: [SQLValue] = []
            row.reserveCapacity(Int(count))
            for i in 0..<count {
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(statement, i)))
                case SQLITE_FLOAT: row.append(.double(sqlite3_column_double(statement, i)))
                case SQLITE_NULL: row.append(.null)
                default:
                    let bytes = Int(sqlite3_column_bytes(statement, i))
                    if let text = sqlite3_column_text(statement, i) {
                        row.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: bytes), as: UTF8.self)))
                    } else {
                        row.append(.text(""))
                    }
                }
            }
            rows.append(SQLRow(columns: columns, values: row))
        }
        return rows
    }
}
