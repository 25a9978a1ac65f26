import Foundation
import HotlineCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Talks to systemd (Type=notify): `READY=1` once the listener is bound and the store open,
/// `STATUS=` with connections and open incidents every 10 s, `WATCHDOG=1` at half of
/// `WATCHDOG_USEC` from an event loop of the server (a stuck loop stops the pings and systemd
/// restarts the daemon), `STOPPING=1` when shutdown begins. Silent without `NOTIFY_SOCKET`.
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
        let open = (try? app.state.store.openCounts(now: app.state.clock()).open.values.reduce(0, +)) ?? 0
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
        var pings: RepeatedTask?
        if let watchdog {
            let notifier = self.notifier
            let nanoseconds = watchdog.components.seconds * 1_000_000_000 + watchdog.components.attoseconds / 1_000_000_000
            pings = MultiThreadedEventLoopGroup.singleton.next().scheduleRepeatedTask(
                initialDelay: .zero, delay: .nanoseconds(nanoseconds)
            ) { _ in
                notifier.notify("WATCHDOG=1")
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
        pings?.cancel()
    }
}
