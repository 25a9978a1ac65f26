import Foundation
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
