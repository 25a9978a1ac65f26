import HotlineConfiguration
import HotlineCore
import HotlineStore
import Logging
import NIOConcurrencyHelpers
import NIOSSL

extension HotlineApp {
    /// The dashboard of `[dashboard]`, if configured: its sessions on the daemon's clock, its
    /// data from the store (read at most every 5 s, whatever the number of open pages), its
    /// audit records through the store's writer, TLS with `[tls]`'s certificate off loopback.
    static func makeDashboard(_ configuration: Configuration, state: ServerState, logger: Logger) throws -> DashboardServer? {
        guard let d = configuration.dashboard else { return nil }
        var tls: NIOSSLContext?
        if !Configuration.isLoopback(d.host), let t = configuration.tls {
            tls = try makeTLS(Configuration.TLS(certificate: t.certificate, key: t.key)).context
        }
        do {
            let operators = try OperatorPasswords.parse(
                try ProtectedFile.read(d.operatorsPath, what: "dashboard operator file", secret: true))
            if operators.entries.isEmpty {
                logger.warning("dashboard: no operators yet; add one with hotlinectl operator add NAME", metadata: ["file": "\(d.operatorsPath)"])
            }
        } catch {
            logger.warning("dashboard: nobody can log in until the operator file is usable (hotlinectl operator add NAME creates it): \(error)")
        }
        let clock = state.clock
        let store = state.store
        let sessions = DashboardSessions(idleTimeout: d.idleTimeout, maxAge: d.maxAge, now: { clock.now().seconds })
        let cache = NIOLockedValueBox<(at: Int64, data: DashboardData, report: AnnualReport)?>(nil)
        let backend = DashboardBackend(
            sessions: sessions,
            operators: {
                try OperatorPasswords.parse(try ProtectedFile.read(d.operatorsPath, what: "dashboard operator file", secret: true))
            },
            data: { name, csrf in
                let now = clock.now()
                let month = now.vietnamMonth
                let directory = state.snapshot.directory
                let fresh = cache.withLockedValue { c in c.flatMap { now.seconds - $0.at < 5 ? $0 : nil } }
                let (data, report): (DashboardData, AnnualReport)
                if let fresh {
                    (data, report) = (fresh.data, fresh.report)
                } else {
                    data = try store.dashboardData(monthStart: month.start)
                    let (rows, escalations) = try store.annualRows(year: now.vietnamYear)
                    report = AnnualReport(year: now.vietnamYear, rows: rows, escalations: escalations, directory: directory)
                    cache.withLockedValue { $0 = (now.seconds, data, report) }
                }
                let json = DashboardView.json(
                    data, directory: directory, report: report, now: now, month: month.name, operatorName: name, csrf: csrf)
                return Array(json.jsonText.utf8)
            },
            audit: { actor, peer, action, done in
                store.submit(
                    AuditEntry(at: clock.now(), kind: "dashboard", actor: actor, peer: peer, action: action) { result in
                        if case .success = result { done(true) } else { done(false) }
                    })
            })
        return DashboardServer(host: d.host, port: d.port, tls: tls, backend: backend, logger: logger)
    }
}
