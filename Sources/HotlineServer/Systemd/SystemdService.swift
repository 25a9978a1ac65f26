import Foundation
import HotlineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Talks to systemd (Type=notify): `READY=1` once the listener is bound and the store open,
/// `STATUS=` with connections and open incidents every 10 s, `WATCHDOG=1` at half of
/// `WATCHDOG_USEC` only while every event loop and the store's writer have shown progress
/// within `WATCHDOG_USEC` (a stuck loop or a writer hung in a commit stops the pings, and
/// systemd restarts the daemon), `STOPPING=1` when shutdown begins. Silent without
/// `NOTIFY_SOCKET`.
public final class SystemdService: Service, Sendable {
    public let serviceName = "systemd-notify"
    private let app: HotlineApp
    private let notifier: SystemdNotifier
    private let watchdog: Duration?
    private let logger: Logger

    public init(app: HotlineApp, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.app = app
        self.logger = logger
        self.notifier = SystemdNotifier(environment: environment)
        self.watchdog = SystemdNotifier.watchdogInterval(environment: environment)
    }

    /// One human-readable status line.
    public func statusLine() -> String {
        let connections = app.server.connectionCount
        let open = (try? app.state.store.openCounts(now: app.state.clock.now()).open.values.reduce(0, +)) ?? 0
        return "\(connections) connections, \(open) open incidents"
    }

    public func run() async throws {
        guard notifier.isActive else {
            try? await gracefulShutdown()
            return
        }
        guard (try? await app.server.listeningPort()) != nil else { return }
        notifier.notify("READY=1\nSTATUS=\(statusLine())")
        logger.info("notified systemd: ready")
        var beats: [RepeatedTask] = []
        var pinger: WatchdogPinger?
        if let watchdog {
            let nanoseconds = watchdog.components.seconds * 1_000_000_000 + watchdog.components.attoseconds / 1_000_000_000
            // Each event loop proves itself by running a task every half interval.
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            let progress = LoopProgress(count: loops.count)
            for (i, loop) in loops.enumerated() {
                beats.append(loop.scheduleRepeatedTask(initialDelay: .zero, delay: .nanoseconds(nanoseconds)) { _ in
                    progress.beat(i)
                })
            }
            let notifier = self.notifier
            let store = app.state.store
            let logger = self.logger
            let limit = UInt64(2 * nanoseconds)  // WATCHDOG_USEC
            // A thread of its own, not a task: the pings must not wait for a cooperative
            // thread (two on two cores) that other work holds; what they vouch for is the
            // event loops and the writer, checked above.
            pinger = WatchdogPinger(interval: nanoseconds) {
                let now = DispatchTime.now().uptimeNanoseconds
                let stuckLoops = progress.stale(now: now, limit: limit)
                let written = store.writerProgress
                let writerStuck = written < now && now - written > limit
                if stuckLoops.isEmpty && !writerStuck {
                    notifier.notify("WATCHDOG=1")
                    return nil
                }
                return ["stuck.loops": "\(stuckLoops)", "stuck.writer": "\(writerStuck)"]
            } silenced: { stuck in
                logger.error("not pinging the watchdog: no progress", metadata: stuck)
            }
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                if Task.isCancelled { break }
                self.notifier.notify("STATUS=\(self.statusLine())")
            }
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping: finishing what is being committed")
        pinger?.stop()
        for beat in beats { beat.cancel() }
    }
}

/// When each event loop last ran its heartbeat task (monotonic nanoseconds).
final class LoopProgress: Sendable {
    private let beats: NIOLockedValueBox<[UInt64]>

    init(count: Int) { beats = NIOLockedValueBox(Array(repeating: DispatchTime.now().uptimeNanoseconds, count: count)) }

    func beat(_ loop: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        beats.withLockedValue { $0[loop] = now }
    }

    /// The loops whose last beat is older than `limit`.
    func stale(now: UInt64, limit: UInt64) -> [Int] {
        beats.withLockedValue { beats in beats.indices.filter { beats[$0] < now && now - beats[$0] > limit } }
    }
}

/// Runs `ping` every `interval` on a thread of its own until `stop`. `ping` returns nil when it
/// pinged, or what is stuck; `silenced` hears that once each time the pings stop.
final class WatchdogPinger: Sendable {
    private let stopped = ConditionLock(value: false)

    init(
        interval nanoseconds: Int64, ping: @escaping @Sendable () -> Logger.Metadata?,
        silenced: @escaping @Sendable (Logger.Metadata) -> Void
    ) {
        let stopped = self.stopped
        let seconds = Double(nanoseconds) / 1e9
        let thread = Thread {
            var silent = false
            while true {
                if let stuck = ping() {
                    if !silent { silenced(stuck) }
                    silent = true
                } else {
                    silent = false
                }
                if stopped.lock(whenValue: true, timeoutSeconds: seconds) {
                    stopped.unlock()
                    return
                }
            }
        }
        thread.name = "watchdog"
        thread.start()
    }

    func stop() {
        stopped.lock()
        stopped.unlock(withValue: true)
    }
}
