import Foundation
import HotlineCore
import HotlineHarness
@testable import HotlineStore
import Logging
import Testing

/// What only the PostgreSQL engine does, against the shared throwaway server: the durability
/// check at start, the session settings, the password from the file.
@Suite struct PostgresEngineTests {
    private static let logger = Logger(label: "test.postgres")

    private static func engine(_ url: String, password: String? = nil, require: Bool = true) throws -> PostgresEngine {
        try PostgresEngine(
            location: try PostgresLocation(url: url, password: password), requireSynchronousCommit: require,
            logger: logger, lockLost: { Issue.record("lock lost: \($0)") })
    }

    private static func databaseName(_ url: String) -> String { String(url.split(separator: "/").last ?? "") }

    /// The store's `?` placeholders become `$1, $2, …`, except inside quoted text.
    @Test func placeholdersAreNumberedOutsideQuotes() {
        #expect(
            PostgresSession.numberedPlaceholders("SELECT '?', ? FROM t WHERE a = ? AND b = 'x?y' AND c IN (?, ?)")
                == "SELECT '?', $1 FROM t WHERE a = $2 AND b = 'x?y' AND c IN ($3, $4)")
        let many = "VALUES " + Array(repeating: "(?, 'é?', ?)", count: 600).joined(separator: ", ")
        #expect(PostgresSession.numberedPlaceholders(many).hasSuffix("($1199, 'é?', $1200)"))
    }

    /// A receipt must mean the disk: with `synchronous_commit = off` the engine refuses to
    /// start, saying why and how to override it; overridden, it runs.
    @Test func synchronousCommitOffIsRefusedUnlessAllowed() throws {
        let url = try PostgresCluster.newDatabase()
        try PostgresCluster.shared().psql("ALTER DATABASE \(Self.databaseName(url)) SET synchronous_commit = off", database: "postgres")
        do {
            _ = try Self.engine(url)
            Issue.record("an engine opened with synchronous_commit = off")
        } catch {
            #expect("\(error)".contains("synchronous_commit is 'off'"), "\(error)")
            #expect("\(error)".contains("require_synchronous_commit = false"), "\(error)")
        }
        let store = try IncidentStore(postgres: try Self.engine(url, require: false))
        #expect(try store.incidentCount() == 0)
        store.close()
    }

    /// Every session names itself and asks the server to drop it when the daemon stops
    /// answering (the serving lock is freed within seconds of a network cut, not hours).
    @Test func sessionsNameThemselvesAndKeepAlive() throws {
        let url = try PostgresCluster.newDatabase()
        let engine = try Self.engine(url)
        let settings = try engine.read { db in
            try ["tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout", "application_name"]
                .map { (try db.scalar("SHOW \($0)") as String?) ?? "" }
        }
        #expect(settings == ["5", "2", "3", "10000", "hotlined"])
        let names = try PostgresCluster.shared().psql(
            "SELECT application_name FROM pg_stat_activity WHERE datname = '\(Self.databaseName(url))' ORDER BY 1", database: "postgres")
        #expect(names.split(separator: "\n").allSatisfy { $0 == "hotlined" } && !names.isEmpty, "\(names)")
        engine.close()
    }

    /// A run's escalations go to PostgreSQL in multi-row statements; should one outbox row
    /// collide with a recorded one (same incident, level, reason and due), the run writes them
    /// one by one instead: the collision is skipped, the others recorded, `seq` gapless.
    @Test func anOutboxCollisionIsSkippedAndSeqStaysGapless() async throws {
        let cluster = try PostgresCluster.shared()
        let url = try PostgresCluster.newDatabase()
        let database = Self.databaseName(url)
        let store = try IncidentStore(postgres: try Self.engine(url))
        defer { store.close() }
        for ref in ["c1", "c2", "c3"] {
            _ = try await store.submit(StoreFixtures.request(#"{"ref":"\#(ref)","severity":"high","forms":["physical"]}"#)).get()
        }
        let before = Int(try cluster.psql("SELECT count(*) FROM outbox", database: database)) ?? -1
        try cluster.psql(
            """
            INSERT INTO outbox (seq, incident, level, reason, due, at, record, assigned, catch_up)
            SELECT 1000, id, 1, 'ack_overdue', ack_due, 0, '', 'null', 0 FROM incident WHERE ref = 'c2'
            """, database: database)
        let due = StoreFixtures.now.adding(seconds: DeadlineTable.defaults[.high].ack)
        #expect(await store.escalate(at: due) == 3)
        let seqs = try cluster.psql("SELECT seq FROM outbox ORDER BY seq", database: database).split(separator: "\n").map { Int($0)! }
        #expect(seqs == Array(1...(before + 2)) + [1000], "\(seqs)")
        let perRef = try cluster.psql(
            "SELECT i.ref || ':' || count(*) FROM outbox o JOIN incident i ON i.id = o.incident WHERE o.level = 1 GROUP BY i.ref ORDER BY i.ref",
            database: database)
        #expect(perRef == "c1:1\nc2:1\nc3:1")
        // Every incident moved on: level 1, the next deadline set.
        #expect(try cluster.psql("SELECT count(*) FROM incident WHERE level = 1 AND next_due > \(due.seconds)", database: database) == "3")
        // And the next run numbers on from there.
        #expect(await store.escalate(at: due.adding(seconds: DeadlineTable.defaults[.high].ack)) == 3)
        let after = try cluster.psql("SELECT seq FROM outbox WHERE seq < 1000 ORDER BY seq", database: database).split(separator: "\n").map { Int($0)! }
        #expect(after == Array(1...(before + 5)), "\(after)")
    }

    /// The password comes from `password_file` (never the URL); a wrong one is refused with
    /// PostgreSQL's reason.
    @Test func thePasswordAuthenticatesAndAWrongOneIsRefused() throws {
        let cluster = try PostgresCluster.shared()
        let url = try PostgresCluster.newDatabase()
        let role = "pw" + UUID().uuidString.prefix(8).lowercased()
        try cluster.addPasswordRole(role, password: "right horse battery")
        let roleURL = url.replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://\(role)@")
        let store = try IncidentStore(postgres: try Self.engine(roleURL, password: "right horse battery"))
        #expect(try store.incidentCount() == 0)
        store.close()
        do {
            _ = try Self.engine(roleURL, password: "wrong")
            Issue.record("a wrong password was accepted")
        } catch {
            #expect("\(error)".contains("password authentication failed for user \"\(role)\""), "\(error)")
        }
        do {
            _ = try Self.engine(roleURL)
            Issue.record("no password was accepted")
        } catch {
            #expect("\(error)".contains("the server asks for a password: set [storage] password_file"), "\(error)")
        }
    }
}
