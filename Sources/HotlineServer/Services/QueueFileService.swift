import HotlineStore
import Logging
import ServiceLifecycle

/// Keeps the escalation queue file written while the daemon runs; on shutdown (after the
/// store has committed its last batch) writes the remaining records and closes the file.
public struct QueueFileService: Service {
    public let serviceName = "escalation-queue"
    let queue: EscalationQueueFile
    let logger: Logger

    public func run() async throws {
        queue.start()
        try? await gracefulShutdown()
        queue.close()
        logger.info("escalation queue closed", metadata: ["queue.seq": "\(queue.lastWrittenSeq)"])
    }
}
