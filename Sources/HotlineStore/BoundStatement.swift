import GRDB
import GRDBSQLite

/// A cached statement run with typed bindings straight through SQLite's C API: for the
/// statements the writer runs once per report or escalation, where GRDB's
/// `[any DatabaseValueConvertible]` arguments (boxing, a binding closure per value) showed in
/// the profile. Values are bound in order; `run()` steps to completion and resets.
struct BoundStatement {
    private let statement: SQLiteStatement
    private var index: Int32 = 0

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(statement, index, value)
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: Double) {
        index += 1
        sqlite3_bind_double(statement, index, value)
    }

    mutating func bind(_ value: String?) {
        index += 1
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        // SQLITE_TRANSIENT: SQLite copies the text before this returns.
        _ = value.utf8CString.withUnsafeBufferPointer { p in
            sqlite3_bind_text(statement, index, p.baseAddress, Int32(p.count - 1), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    /// Runs the statement; throws with SQLite's message on failure.
    func run(_ db: Database) throws {
        let code = sqlite3_step(statement)
        defer { sqlite3_reset(statement) }
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}
