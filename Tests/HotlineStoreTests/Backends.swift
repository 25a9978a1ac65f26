import Foundation
import HotlineHarness
import HotlineStore
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The two storage backends the store's tests run on.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql
    var testDescription: String { rawValue }
}

/// One PostgreSQL server for the whole test run (a database per test), stopped when the test
/// process exits.
enum SharedPostgres {
    private static let state = Mutex<PostgresCluster?>(nil)

    static func cluster() throws -> PostgresCluster {
        try state.withLock { cluster in
            if let cluster { return cluster }
            let started = try PostgresCluster()
            cluster = started
            atexit { SharedPostgres.stopAtExit() }
            return started
        }
    }

    private static func stopAtExit() {
        state.withLock { $0 = nil }
    }

    /// A fresh, empty database on the shared server; its URL.
    static func newDatabase() throws -> String {
        let cluster = try cluster()
        let name = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try cluster.psql("CREATE DATABASE \(name)", database: "postgres")
        return "postgresql://postgres@127.0.0.1:\(cluster.port)/\(name)"
    }
}

/// A store on `backend` and how to open it again (a restart): the same SQLite file, or the
/// same PostgreSQL database.
func openStore(_ backend: Backend) throws -> (store: IncidentStore, reopen: @Sendable () throws -> IncidentStore) {
    switch backend {
    case .sqlite:
        let path = temporaryFolder() + "/h.sqlite"
        return (try IncidentStore(path: path), { try IncidentStore(path: path) })
    case .postgresql:
        let url = try SharedPostgres.newDatabase()
        let open: @Sendable () throws -> IncidentStore = {
            let engine = try PostgresEngine(
                location: try PostgresLocation(url: url), requireSynchronousCommit: true,
                logger: Logger(label: "test.postgres"), lockLost: { Issue.record("lock lost: \($0)") })
            return try IncidentStore(postgres: engine)
        }
        return (try open(), open)
    }
}
