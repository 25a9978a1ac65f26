import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// The PostgreSQL engine: the store's statements on a primary whose commits wait for a
/// synchronous standby, for two `hotlined` nodes of which one serves at a time.
///
/// - The writer's connection holds a session-level advisory lock: only the daemon holding it
///   writes, and the lock goes with the connection (a daemon killed, or cut off, frees it).
/// - Several hosts: the writable one is the primary (`pg_is_in_recovery()` false). A write
///   that fails on a broken connection fails its batch (`ERR unavailable`); the next write
///   finds the primary again (after a failover, the promoted standby) and takes the lock
///   again. If another daemon holds it by then, this one has stopped serving: `onLockLost`.
/// - Statements are sent with `?` turned into `$n`, values bound as int8, float8 or text.
public final class PostgresEngine: StoreEngine, @unchecked Sendable {
    // @unchecked: `writer` and `lastAttempt` are used by the writer thread only (and by `open`
    // before it starts); the reader is guarded by `readerLock`.
    public let location: PostgresLocation
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    private var writer: PostgresSession?
    private var lastAttempt: UInt64 = 0
    private let readerLock = NSLock()
    private var reader: PostgresSession?
    private let lockLost: @Sendable (String) -> Void
    var dialect: SQLDialect { .postgresql }

    /// The advisory lock's key: one per database ("Hotline" in ASCII).
    static let lockKey: Int64 = 0x486F_746C_696E_65
    /// Settings of `synchronous_commit` under which a commit has returned only once the
    /// standby has the transaction on disk (or applied).
    public static let durableCommitSettings: Set<String> = ["on", "remote_apply"]
    /// Every session's settings, sent when it starts. The server ends a session whose daemon
    /// it can no longer reach (keepalives unanswered for 5 + 2 × 3 s, or data unacknowledged
    /// for 10 s) instead of after the system's two hours: a daemon cut off by the network
    /// frees the serving lock, and the other node takes over, within about 15 s. The name
    /// shows in `pg_stat_activity`.
    static let sessionSettings: [(String, String)] = [
        ("application_name", "hotlined"),
        ("tcp_keepalives_idle", "5"), ("tcp_keepalives_interval", "2"), ("tcp_keepalives_count", "3"),
        ("tcp_user_timeout", "10000"),
    ]
    /// Between two attempts to reach a primary, while none answers.
    static let reconnectInterval: UInt64 = 500_000_000

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to the primary, checks `synchronous_commit`, migrates the schema and takes the
    /// serving lock, waiting (and calling `waiting` every few seconds) while another daemon
    /// holds it. Throws if no host is a primary, or the setting is not durable and
    /// `requireSynchronousCommit` is set.
    public init(
        location: PostgresLocation, requireSynchronousCommit: Bool = true, logger: Logger,
        waiting: (String) -> Void = { _ in }, lockLost: @escaping @Sendable (String) -> Void
    ) throws {
        self.location = location
        self.logger = logger
        self.lockLost = lockLost
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var session = try connectPrimary()
            let setting: String = try session.scalar("SHOW synchronous_commit") ?? ""
            if !Self.durableCommitSettings.contains(setting) {
                guard !requireSynchronousCommit else {
                    throw Unavailable(
                        description: "synchronous_commit is '\(setting)' on \(session.address): a receipt would not wait for the disk; set it to on (or [storage] require_synchronous_commit = false)")
                }
                logger.warning("synchronous_commit is not on: receipts do not wait for the disk", metadata: ["pg.synchronous_commit": "\(setting)"])
            }
            let standbys: String = try session.scalar("SHOW synchronous_standby_names") ?? ""
            if standbys.isEmpty {
                logger.warning(
                    "no synchronous standby (synchronous_standby_names is empty): a receipt means one server's disk",
                    metadata: ["pg.host": "\(session.address)"])
            }
            var waited = 0
            while try !(session.scalar("SELECT pg_try_advisory_lock(?)", Self.lockKey) as Bool? ?? false) {
                if waited % 5 == 0 { waiting("another hotlined serves this database; waiting for its lock") }
                waited += 1
                Thread.sleep(forTimeInterval: 1)
                if !session.isUsable { session = try connectPrimaryWaiting(waiting) }
            }
            do { try PostgresSchema.migrate(session) } catch {
                session.close()
                throw Unavailable(description: "cannot migrate the schema on \(session.address): \(PostgresSession.describe(error))")
            }
            writer = session
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Keeps trying the hosts until one is a primary (the standby daemon waits through a
    /// failover too).
    private func connectPrimaryWaiting(_ waiting: (String) -> Void) throws -> PostgresSession {
        while true {
            do { return try connectPrimary() } catch {
                waiting("no primary: \(error)")
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    /// The first host that answers and is not in recovery.
    func connectPrimary() throws -> PostgresSession {
        var problems: [String] = []
        for (host, port) in location.hosts {
            var configuration = PostgresConnection.Configuration(
                host: host, port: port, username: location.user, password: location.password, database: location.database,
                tls: .disable)
            configuration.options.connectTimeout = .seconds(2)
            configuration.options.additionalStartupParameters = Self.sessionSettings
            do {
                let connection = try PostgresConnection.connect(
                    on: group.next(), configuration: configuration, id: 1, logger: logger
                ).wait()
                let session = PostgresSession(connection: connection, address: "\(host):\(port)", logger: logger)
                let row = try session.queryOne("SELECT pg_is_in_recovery(), pg_backend_pid()")
                session.backendPID = try row?[1]
                if try row?[0] as Bool? == false { return session }
                problems.append("\(host):\(port) is a standby")
                session.close()
            } catch {
                problems.append("\(host):\(port): \(PostgresSession.describe(error))")
            }
        }
        throw Unavailable(description: "no writable PostgreSQL primary reached among \(location.description): " + problems.joined(separator: "; "))
    }

    func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        let session = try writerSession()
        do {
            try session.execute("BEGIN")
            let result = try body(session)
            try session.execute("COMMIT")
            return result
        } catch {
            // Only an error the server sent leaves the connection fit for a ROLLBACK; after any
            // other (the connection failing), the connection is dropped at once: a ROLLBACK
            // queued on a connection that was closing could wait out the statement limit.
            let serverSaid = (error as? PSQLError)?.serverInfo != nil
            if !session.isUsable || !serverSaid {
                logger.error(
                    "lost the PostgreSQL primary",
                    metadata: ["pg.host": "\(session.address)", "error": "\(PostgresSession.describe(error))"])
                session.close()
                writer = nil
            } else if (try? session.execute("ROLLBACK")) == nil {
                session.close()
                writer = nil
            }
            throw error
        }
    }

    /// The writer's connection, found again after a failure: on the primary, holding the lock.
    private func writerSession() throws -> PostgresSession {
        if let writer, writer.isUsable { return writer }
        let previousPID = writer?.backendPID
        writer?.close()
        writer = nil
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastAttempt >= Self.reconnectInterval || lastAttempt == 0 else {
            throw Unavailable(description: "no PostgreSQL primary (retrying)")
        }
        lastAttempt = now
        let session = try connectPrimary()
        var held = try session.scalar("SELECT pg_try_advisory_lock(?)", Self.lockKey) as Bool? == true
        if !held, let previousPID {
            // This daemon's own earlier connection may outlive it on the server (a COMMIT that
            // was waiting for the standby when we gave up): end it, and its lock with it.
            for _ in 0..<20 where !held {
                _ = try? session.execute("SELECT pg_terminate_backend(?::integer)", previousPID)
                Thread.sleep(forTimeInterval: 0.1)
                held = try session.scalar("SELECT pg_try_advisory_lock(?)", Self.lockKey) as Bool? == true
            }
        }
        guard held else {
            session.close()
            let message = "another hotlined took the serving lock on \(session.address) while this one was disconnected"
            lockLost(message)
            throw Unavailable(description: message)
        }
        logger.notice("writing to the PostgreSQL primary", metadata: ["pg.host": "\(session.address)"])
        writer = session
        return session
    }

    func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        readerLock.lock()
        defer { readerLock.unlock() }
        for attempt in 0..<2 {
            if reader == nil || !reader!.isUsable {
                reader?.close()
                reader = try connectPrimary()
            }
            do {
                return try body(reader!)
            } catch {
                guard !reader!.isUsable, attempt == 0 else { throw error }
                reader = nil
            }
        }
        throw Unavailable(description: "cannot read from PostgreSQL")
    }

    /// The writer's server (for tests and status).
    public var writerAddress: String? { writer?.address }

    /// Closes the writer's connection (the serving lock goes with it). Reads still work (the
    /// queue file drains after the writer stops), until the engine is released.
    public func close() {
        writer?.close()
        writer = nil
    }

    deinit {
        reader?.close()
        reader = nil
        try? group.syncShutdownGracefully()
    }
}

/// One PostgreSQL connection run synchronously from a thread of its own.
final class PostgresSession: SQLConnection {
    let connection: PostgresConnection
    let address: String
    let logger: Logger
    private var translated: [String: String] = [:]
    var dialect: SQLDialect { .postgresql }

    init(connection: PostgresConnection, address: String, logger: Logger) {
        self.connection = connection
        self.address = address
        self.logger = logger
        // The statement waiting when the connection closes is told at once (no polling).
        let pending = self.pending
        connection.closeFuture.whenComplete { _ in pending.withLockedValue { $0.closed = true; $0.answer?.connectionClosed() } }
    }

    /// The answer this session's thread waits for, and whether the connection has closed.
    private let pending = NIOLockedValueBox<(answer: Answer?, closed: Bool)>((nil, false))

    func close() {
        if !connection.isClosed { try? connection.close().wait() }
    }

    deinit { close() }

    /// `?` placeholders as `$1, $2, …` (outside quoted text). Byte by byte: the multi-row
    /// INSERTs are long, and walking them as Characters showed in the intake profile (4 % of
    /// the daemon's samples).
    func translate(_ sql: String) -> String {
        if let t = translated[sql] { return t }
        let result = Self.numberedPlaceholders(sql)
        if translated.count < 512 { translated[sql] = result }
        return result
    }

    static func numberedPlaceholders(_ sql: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + sql.utf8.count / 2)
        var n = 0
        var quoted = false
        for b in sql.utf8 {
            if b == UInt8(ascii: "'") { quoted.toggle() }
            if b == UInt8(ascii: "?") && !quoted {
                n += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(n).utf8)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The longest wait for one statement's answer (a COMMIT waiting for a synchronous standby
    /// included). Past it the connection is closed and the statement fails: a server that
    /// died without closing its sockets, or a standby that stopped confirming, does not hold
    /// the writer (and its watchdog) forever. A commit cut off this way was not acknowledged;
    /// the gateway's retry finds it, or stores it, by its ref.
    static let answerTimeout: Double = 10
    /// Set when a statement timed out: the connection is being closed.
    private(set) var broken = false
    /// The server process of this connection (to end it if it outlives this side).
    var backendPID: Int64?

    var isUsable: Bool { !broken && !connection.isClosed }

    private func run(_ sql: String, _ values: [SQLValue]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case let .int(i): binds.append(i)
            case let .double(d): binds.append(d)
            case let .text(t): binds.append(t)
            case .null: binds.appendNull()
            }
        }
        return try run(PostgresQuery(unsafeSQL: translate(sql), binds: binds))
    }

    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        guard !broken else { throw PostgresEngine.Unavailable(description: "connection to \(address) was given up") }
        let answer = Answer()
        // A statement handed to the connection as it was closing (the server gone) is never
        // answered nor failed by postgres-nio: the wait also ends when the channel closes.
        let closedAlready = pending.withLockedValue { p -> Bool in
            p.answer = answer
            return p.closed
        }
        if closedAlready { answer.connectionClosed() }
        connection.query(query, logger: logger).whenComplete { answer.set($0) }
        defer { pending.withLockedValue { $0.answer = nil } }
        guard let result = answer.wait(seconds: Self.answerTimeout) else {
            broken = true
            let closed = connection.isClosed
            connection.close().whenComplete { _ in }
            throw PostgresEngine.Unavailable(
                description: closed
                    ? "the connection to \(address) closed" : "no answer from \(address) in \(Int(Self.answerTimeout)) s")
        }
        return try result.get()
    }

    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int {
        try run(sql, values).metadata.rows ?? 0
    }

    /// Stands for NULL in a text array (`NULLIF(…, chr(1))`): no stored text can hold it (the
    /// validators refuse control characters other than TAB, LF and CR; identifiers are ASCII).
    static let nullText = "\u{1}"

    /// `INSERT INTO table (columns) SELECT … FROM unnest($1::int8[], $2::text[], …)`: any number
    /// of rows in one statement of one parameter per column, whose text (and plan) does not
    /// grow with the batch, instead of a VALUES list of rows × columns parameters. Nil, without
    /// sending anything, when a column cannot be typed so (a NULL where a number is).
    func insertUnnest(into table: String, columns: [String], rows: ArraySlice<[SQLValue]>, suffix: String) throws -> Int? {
        guard let first = rows.first, first.count == columns.count else { return nil }
        enum Kind { case int, double, text }
        var kinds: [Kind] = []
        for c in columns.indices {
            var kind: Kind?
            for row in rows {
                switch row[c] {
                case .int: kind = kind ?? .int; if kind != .int { return nil }
                case .double: kind = kind ?? .double; if kind != .double { return nil }
                case let .text(t): kind = kind ?? .text; if kind != .text || t == Self.nullText { return nil }
                case .null: break
                }
            }
            kinds.append(kind ?? .text)
        }
        /// One column's values as an array, nil if a value cannot be read as `T`.
        func array<T: PostgresArrayEncodable & PostgresNonThrowingEncodable>(_ c: Int, _ read: (SQLValue) -> T?) -> [T]? {
            var values: [T] = []
            values.reserveCapacity(rows.count)
            for row in rows {
                guard let v = read(row[c]) else { return nil }
                values.append(v)
            }
            return values
        }
        var binds = PostgresBindings(capacity: columns.count)
        var selects: [String] = []
        var casts: [String] = []
        for (c, kind) in kinds.enumerated() {
            let name = "c\(c)"
            switch kind {
            case .int:
                guard let values = array(c, { (v: SQLValue) -> Int64? in if case let .int(x) = v { x } else { nil } }) else { return nil }
                binds.append(values)
                casts.append("$\(c + 1)::int8[]")
                selects.append(name)
            case .double:
                guard let values = array(c, { (v: SQLValue) -> Double? in if case let .double(x) = v { x } else { nil } }) else { return nil }
                binds.append(values)
                casts.append("$\(c + 1)::float8[]")
                selects.append(name)
            case .text:
                binds.append(array(c, { (v: SQLValue) -> String? in if case let .text(x) = v { x } else { Self.nullText } }) ?? [])
                casts.append("$\(c + 1)::text[]")
                selects.append("NULLIF(\(name), chr(1))")
            }
        }
        let sql =
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT \(selects.joined(separator: ", ")) FROM unnest("
            + casts.joined(separator: ", ") + ") AS t(" + kinds.indices.map { "c\($0)" }.joined(separator: ", ") + ") " + suffix
        return try run(PostgresQuery(unsafeSQL: sql, binds: binds)).metadata.rows ?? 0
    }

    func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, values)
        var columns: [String: Int] = [:]
        var rows: [SQLRow] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows {
            var values: [SQLValue] = []
            for (i, cell) in row.enumerated() {
                if rows.isEmpty, columns[cell.columnName] == nil { columns[cell.columnName] = i }
                values.append(try Self.value(cell))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .int(try cell.decode(Int64.self))
        case .float8, .float4: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// Whether the server refused a statement for a duplicate key (SQLSTATE 23505).
    static func isUniqueViolation(_ error: Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// An error's text: PostgreSQL's own message when the server sent one.
    static func describe(_ error: Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            switch e.code {
            case .authMechanismRequiresPassword: return "the server asks for a password: set [storage] password_file"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method this client does not support"
            case .connectionError: return "cannot connect (\(e.underlying.map { "\($0)" } ?? "no answer"))"
            default: return "\(e.code)"
            }
        }
        return "\(error)"
    }
}

/// One statement's answer, handed from the event loop to the waiting thread, which sleeps
/// until the answer comes, the connection closes, or the time is up — no polling.
private final class Answer: @unchecked Sendable {
    // @unchecked: `result` and `closed` are guarded by `condition`.
    private let condition = NSCondition()
    private var result: Result<PostgresQueryResult, Error>?
    private var closed = false

    func set(_ r: Result<PostgresQueryResult, Error>) {
        condition.lock()
        result = r
        condition.broadcast()
        condition.unlock()
    }

    func connectionClosed() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The answer, or nil after `seconds` or once the connection has closed without one.
    func wait(seconds: Double) -> Result<PostgresQueryResult, Error>? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while result == nil, !closed {
            if !condition.wait(until: deadline) { break }
        }
        if result == nil, closed {
            // A closing channel may still deliver the answer it had: one short grace.
            _ = condition.wait(until: Date().addingTimeInterval(0.05))
        }
        return result
    }
}
