import HotlineCore

/// A value bound to a statement or read from a row, in the types both backends store:
/// integers (booleans as 0 and 1, times as Unix seconds), doubles, text and null.
enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    case text(String)
    case null
}

/// Types a column is read as. Strict: a NULL where a value must be, or a value of another
/// type, is an error (`StoreCorruption`), never a silent 0 or "". The only conversions are
/// those both backends need: an integer read as a Double, a Bool from 0 or 1.
protocol SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption)
}

extension SQLValue {
    fileprivate func mismatch(_ type: String) -> StoreCorruption {
        let found: String
        switch self {
        case .int: found = "an integer"
        case .double: found = "a real number"
        case .text: found = "text"
        case .null: found = "NULL"
        }
        return StoreCorruption(reason: "a column read as \(type) holds \(found)")
    }
}

extension Int64: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) {
        guard case let .int(v) = sqlValue else { throw sqlValue.mismatch("an integer") }
        self = v
    }
}

extension Int: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) { self = Int(try Int64(sqlValue: sqlValue)) }
}

extension Bool: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) {
        switch sqlValue {
        case .int(0): self = false
        case .int(1): self = true
        default: throw sqlValue.mismatch("a flag (0 or 1)")
        }
    }
}

extension Double: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) {
        switch sqlValue {
        case let .int(v): self = Double(v)
        case let .double(v): self = v
        default: throw sqlValue.mismatch("a number")
        }
    }
}

extension String: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) {
        guard case let .text(t) = sqlValue else { throw sqlValue.mismatch("text") }
        self = t
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreCorruption) {
        if case .null = sqlValue { self = nil } else { self = try Wrapped(sqlValue: sqlValue) }
    }
}

/// One result row: its values by position or by column name. Reading a column the query did
/// not select, or a value of the wrong type, throws.
struct SQLRow {
    /// Column name → position, shared by the rows of one result.
    let columns: [String: Int]
    let values: [SQLValue]

    subscript<T: SQLDecodable>(_ index: Int) -> T {
        get throws(StoreCorruption) {
            guard index < values.count else { throw StoreCorruption(reason: "no column \(index) in the row") }
            return try T(sqlValue: values[index])
        }
    }

    subscript<T: SQLDecodable>(_ name: String) -> T {
        get throws(StoreCorruption) {
            guard let i = columns[name] else { throw StoreCorruption(reason: "no column \(name) in the row") }
            return try T(sqlValue: values[i])
        }
    }
}

/// Values bound in order, written as the statement's `?` placeholders.
protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension Int64: SQLBindable { var sqlValue: SQLValue { .int(self) } }
extension Int: SQLBindable { var sqlValue: SQLValue { .int(Int64(self)) } }
extension Bool: SQLBindable { var sqlValue: SQLValue { .int(self ? 1 : 0) } }
extension Double: SQLBindable { var sqlValue: SQLValue { .double(self) } }
extension String: SQLBindable { var sqlValue: SQLValue { .text(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// Which SQL a connection speaks where the two differ.
enum SQLDialect: Sendable {
    case sqlite
    case postgresql

    /// The larger of two values (`max(a, b)` in SQLite, `GREATEST` in PostgreSQL).
    func greatest(_ a: String, _ b: String) -> String {
        self == .sqlite ? "max(\(a), \(b))" : "GREATEST(\(a), \(b))"
    }

    /// The history table's insertion order.
    var historyOrder: String { self == .sqlite ? "rowid" : "id" }
}

/// A connection the store's logic runs its statements on, inside a transaction the engine
/// opened (writes) or on a reader. Statements use `?` placeholders on both backends.
protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs a statement; the number of rows it inserted, updated or deleted.
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int
    /// Runs a query; its rows.
    func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow]
}

extension SQLConnection {
    @discardableResult
    func execute(_ sql: String, _ values: any SQLBindable...) throws -> Int {
        try execute(sql, values.map(\.sqlValue))
    }

    func query(_ sql: String, _ values: any SQLBindable...) throws -> [SQLRow] {
        try query(sql, values.map(\.sqlValue))
    }

    func queryOne(_ sql: String, _ values: any SQLBindable...) throws -> SQLRow? {
        try query(sql, values.map(\.sqlValue)).first
    }

    /// The first column of the first row (nil when there is no row or it is NULL).
    func scalar<T: SQLDecodable>(_ sql: String, _ values: any SQLBindable...) throws -> T? {
        guard let row = try query(sql, values.map(\.sqlValue)).first, let v = row.values.first, v != .null else { return nil }
        return try T(sqlValue: v)
    }
}

/// Where the store's SQL runs: SQLite (one file, group commit) or PostgreSQL (a primary with
/// a synchronous standby). Writes are one transaction each, run by the store's writer thread
/// only; reads may come from any thread.
protocol StoreEngine: AnyObject, Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction and commits it; throws (rolled back) if anything fails,
    /// the commit included. Only the writer thread calls it.
    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T
    /// Runs `body` on a connection that sees every committed write.
    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T
    /// Stops background work and closes connections.
    func close()
}

/// A statement failed in a way the store cannot name better.
struct SQLFailure: Error, CustomStringConvertible {
    var description: String
}
