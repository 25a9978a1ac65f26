import HotlineCore

/// One REPORT waiting for the group commit.
public struct IntakeJob: Sendable {
    /// The report with its triage and receipt worked out ahead of the writer.
    public var report: PreparedReport
    public var request: ReportRequest { report.request }
    public var gateway: Hotline
    /// The directory and deadlines in force when the line was read.
    public var directory: Directory
    public var deadlines: DeadlineTable
    public var receivedAt: Timestamp
    /// Shelter places one commune may hold at once; beyond, no place is held and the
    /// province is alerted.
    public var shelterCap: Int
    /// Called once, on the writer thread, after the commit (or its failure).
    public var completion: @Sendable (Result<IntakeReceipt, StoreError>) -> Void

    public init(
        request: ReportRequest, gateway: Hotline, directory: Directory, deadlines: DeadlineTable,
        receivedAt: Timestamp, shelterCap: Int = .max,
        completion: @escaping @Sendable (Result<IntakeReceipt, StoreError>) -> Void
    ) {
        self.report = PreparedReport(request, directory: directory, deadlines: deadlines)
        self.gateway = gateway
        self.directory = directory
        self.deadlines = deadlines
        self.receivedAt = receivedAt
        self.shelterCap = shelterCap
        self.completion = completion
    }
}
