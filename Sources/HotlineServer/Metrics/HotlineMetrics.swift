import CoreMetrics
import HotlineCore
import Prometheus

/// The daemon's metrics in a Prometheus registry of its own (no global bootstrap, so several
/// daemons can live in one test process). Labels carry codes only, never personal data.
public final class HotlineMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    let reportsStored: CoreMetrics.Counter
    let reportsDuplicate: CoreMetrics.Counter
    let reportsRefused: CoreMetrics.Counter
    let receiptLatency: CoreMetrics.Timer
    let commits: CoreMetrics.Counter
    let failedCommits: CoreMetrics.Counter
    let batchSize: CoreMetrics.Recorder
    let connectionsAccepted: CoreMetrics.Counter
    let connectionsRefused: CoreMetrics.Counter

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
        self.factory = factory
        reportsStored = CoreMetrics.Counter(label: "hotline_reports_total", dimensions: [("outcome", "stored")], factory: factory)
        reportsDuplicate = CoreMetrics.Counter(label: "hotline_reports_total", dimensions: [("outcome", "duplicate")], factory: factory)
        reportsRefused = CoreMetrics.Counter(label: "hotline_reports_total", dimensions: [("outcome", "refused")], factory: factory)
        receiptLatency = CoreMetrics.Timer(label: "hotline_receipt_seconds", factory: factory)
        commits = CoreMetrics.Counter(label: "hotline_commits_total", dimensions: [("outcome", "ok")], factory: factory)
        failedCommits = CoreMetrics.Counter(label: "hotline_commits_total", dimensions: [("outcome", "failed")], factory: factory)
        batchSize = CoreMetrics.Recorder(label: "hotline_commit_batch_size", aggregate: true, factory: factory)
        connectionsAccepted = CoreMetrics.Counter(label: "hotline_connections_total", dimensions: [("outcome", "accepted")], factory: factory)
        connectionsRefused = CoreMetrics.Counter(label: "hotline_connections_total", dimensions: [("outcome", "refused")], factory: factory)
    }

    func report(outcome result: Result<IntakeReceipt, StoreError>, nanoseconds: Int64) {
        switch result {
        case let .success(receipt):
            (receipt.duplicate ? reportsDuplicate : reportsStored).increment()
            receiptLatency.recordNanoseconds(nanoseconds)
        case .failure:
            reportsRefused.increment()
        }
    }

    func escalation(level: Int, reason: String) {
        CoreMetrics.Counter(label: "hotline_escalations_total", dimensions: [("level", String(level)), ("reason", reason)], factory: factory)
            .increment()
    }

    /// Values read at scrape time.
    func gauges(connections: Int, open: [String: Int], overdue: [String: Int], queueSeq: Int64, queueLag: Int64) {
        CoreMetrics.Gauge(label: "hotline_connections", factory: factory).record(connections)
        for s in Severity.allCases {
            CoreMetrics.Gauge(label: "hotline_open_incidents", dimensions: [("severity", s.rawValue)], factory: factory)
                .record(open[s.rawValue] ?? 0)
            CoreMetrics.Gauge(label: "hotline_overdue_incidents", dimensions: [("severity", s.rawValue)], factory: factory)
                .record(overdue[s.rawValue] ?? 0)
        }
        CoreMetrics.Gauge(label: "hotline_queue_written_seq", factory: factory).record(queueSeq)
        CoreMetrics.Gauge(label: "hotline_queue_lag_records", factory: factory).record(queueLag)
    }
}
