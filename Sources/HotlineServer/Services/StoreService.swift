import HotlineStore
import Logging
import ServiceLifecycle

/// Keeps the store open for the life of the service group; on shutdown (after the intake
/// server has stopped) commits what is queued and stops the writer.
public struct StoreService: Service {
    public let serviceName = "incident-store"
    let store: IncidentStore
    let logger: Logger

    public func run() async throws {
        try? await gracefulShutdown()
        store.close()
        logger.info("store closed", metadata: ["store.commits": "\(store.stats.commits)"])
    }
}
