import Foundation
import GRDB

/// Copies the write-ahead log back into the database from its own connection, so that the
/// copying does not run inside the writer's commit: SQLite's automatic checkpoint runs in the
/// commit that crosses 1,000 WAL pages and copied them all there (one commit in a thousand
/// waited for it). This runs `wal_checkpoint(PASSIVE)` every `interval`, which neither waits
/// for nor blocks the writer; the writer's own automatic checkpoint is kept, because only a
/// checkpoint at the start of the writer's transaction can rewind the WAL (the writer is in a
/// transaction almost all the time under load), and it now finds the pages already copied.
final class Checkpointer: @unchecked Sendable {
    // @unchecked: `stopped` is guarded by `condition`; `queue` is used by the thread only.
    private let queue: DatabaseQueue
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopped = false
    private var finished = false

    init(path: String, interval: TimeInterval = 1) throws {
        var config = Configuration()
        config.label = "hotline.checkpoint"
        config.busyMode = .timeout(1)
        queue = try DatabaseQueue(path: path, configuration: config)
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "hotline-checkpoint"
        thread.start()
    }

    private func run() {
        condition.lock()
        while !stopped {
            condition.wait(until: Date().addingTimeInterval(interval))
            if stopped { break }
            condition.unlock()
            _ = try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            condition.lock()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread (after a checkpoint in progress).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
