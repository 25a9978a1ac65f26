import Foundation
import HotlineHarness
import HotlineStore
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

typealias Backend = StoreBackend

/// A store on `backend` and how to open it again (a restart): the same SQLite file, or the
/// same PostgreSQL database.
func openStore(_ backend: Backend) throws -> (store: IncidentStore, reopen: @Sendable () throws -> IncidentStore) {
    switch backend {
    case .sqlite:
        let path = temporaryFolder() + "/h.sqlite"
        return (try IncidentStore(path: path), { try IncidentStore(path: path) })
    case .postgresql:
        let url = try PostgresCluster.newDatabase()
        let open: @Sendable () throws -> IncidentStore = {
            let engine = try PostgresEngine(
                location: try PostgresLocation(url: url), requireSynchronousCommit: true,
                logger: Logger(label: "test.postgres"), lockLost: { Issue.record("lock lost: \($0)") })
            return try IncidentStore(postgres: engine)
        }
        return (try open(), open)
    }
}
