import HotlineCore

/// Where a gateway connection sends the requests that must be durable before they are answered:
/// a REPORT, a case action, an audited STATUS. Each job carries its completion, called once,
/// from any thread, after the commit (or its failure). `IncidentStore` is the daemon's; tests of
/// the connection handler use one of their own, without a database.
public protocol RequestSink: Sendable {
    func submit(_ job: IntakeJob)
    func submit(_ job: CaseJob)
    func submit(_ read: AuditedRead)
}

extension IncidentStore: RequestSink {}
