import Foundation
import HotlineCore
import HotlineStore
import NIOPosix

/// What the control socket does with each request, without blocking a thread that others
/// wait on: reads of the store run on NIO's thread pool; writes go through the store's writer
/// like a gateway's, naming the operator in the history, and are awaited, not waited for.
extension HotlineApp {
    func handleControl(_ request: Result<ControlRequest, HLPError>, user: String) async -> JSONObject {
        let now = state.clock.now()
        let snapshot = state.snapshot
        let parsed: OperatorRequest
        do throws(HLPError) {
            parsed = try OperatorRequest(request.get(), directory: snapshot.directory, now: now)
        } catch {
            return Self.failure(error.code, error.text)
        }
        do {
            return try await perform(parsed, user: user, now: now, snapshot: snapshot)
        } catch {
            return Self.failure(.unavailable, "the daemon is shutting down")
        }
    }

    /// A blocking read of the store, on the thread pool.
    private func read<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    private func perform(_ parsed: OperatorRequest, user: String, now: Timestamp, snapshot: ServerState.Snapshot)
        async throws -> JSONObject
    {
        let store = state.store
        switch parsed {
        case .status:
            return try await status(now: now)
        case let .incidents(openOnly, overdue, commune, district, limit):
            return try await read {
                do {
                    let list = try store.incidentList(
                        openOnly: openOnly, overdueAt: overdue ? now : nil, commune: commune, district: district,
                        limit: limit)
                    return ["incidents": .array(list.map { .object($0.object) })]
                } catch {
                    return Self.failure(.unavailable, "cannot read the store now")
                }
            }
        case let .show(id, personal):
            guard personal else {
                // Without --personal the survivor's details stay in the store, and nothing is audited.
                return try await read {
                    Self.outcome(store.operatorView(incident: id).map { $0.object(showingPersonalData: false) })
                }
            }
            return Self.outcome(await auditedRead(id, user: user, now: now).map { $0.object(showingPersonalData: true) })
        case let .audit(incident, actor, since, limit):
            return try await read {
                do {
                    let records = try store.auditRecords(incident: incident, actor: actor, since: since, limit: limit)
                    return ["audit": .array(records.map { .object($0.object) })]
                } catch {
                    return Self.failure(.unavailable, "cannot read the store now")
                }
            }
        case let .act(id, action):
            return await act(id, action, user: user)
        case let .stats(year):
            return try await read {
                do {
                    let (rows, escalations) = try store.annualRows(year: year)
                    let report = AnnualReport(year: year, rows: rows, escalations: escalations, directory: snapshot.directory)
                    var out = report.json
                    out["text_vi"] = .string(report.text(.vi))
                    out["text_en"] = .string(report.text(.en))
                    out["csv"] = .string(report.csv)
                    return out
                } catch {
                    return Self.failure(.unavailable, "cannot read the store now")
                }
            }
        case .reload:
            return try await read { self.reload() }
                ? ControlReply.Reloaded().object : Self.failure(.invalid, "reload failed; see the daemon's log")
        case let .backup(path):
            let logger = self.logger
            return try await read {
                do {
                    let b = try store.backup(to: path)
                    logger.notice(
                        "backup written",
                        metadata: ["operator": "\(user)", "backup.path": "\(path)", "backup.incidents": "\(b.incidents)"])
                    return ControlReply.Backup(path: b.path, incidents: b.incidents, queueSeq: b.queueSeq, bytes: Int64(b.bytes)).object
                } catch {
                    return Self.failure(.unavailable, "\(error)")
                }
            }
        }
    }

    private func status(now: Timestamp) async throws -> JSONObject {
        let connections = await server.connectionsByGateway()
        var open: [String: Int] = [:], overdue: [String: Int] = [:]
        let store = state.store
        if let counts = try await read({ try? store.openCounts(now: now) }) {
            for s in Severity.allCases {
                open[s.rawValue] = counts.open[s.rawValue] ?? 0
                overdue[s.rawValue] = counts.overdue[s.rawValue] ?? 0
            }
        }
        return ControlReply.Status(
            server: configuration.server.name, startedAt: scheduler.startedAt.rfc3339,
            uptimeSeconds: Int(now.seconds - scheduler.startedAt.seconds), connections: connections, open: open,
            overdue: overdue, queueSeq: queue.lastWrittenSeq
        ).object
    }

    /// An operator's read of personal data: recorded durably, then answered.
    private func auditedRead(_ id: String, user: String, now: Timestamp) async -> Result<IncidentView, StoreError> {
        let store = state.store
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<IncidentView, StoreError>, Never>) in
            store.submit(
                AuditedRead(incident: id, gateway: nil, peer: nil, operatorName: user, at: now) { result in
                    continuation.resume(returning: result)
                })
        }
        logger.notice("operator read personal data", metadata: ["operator": "\(user)", "incident": "\(id)"])
        return result
    }

    private func act(_ id: String, _ action: CaseAction, user: String) async -> JSONObject {
        let snapshot = state.snapshot
        let store = state.store
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<CaseOutcome, StoreError>, Never>) in
            store.submit(
                CaseJob(
                    incident: id, action: action, gateway: nil, operatorName: user, deadlines: snapshot.deadlines,
                    directory: snapshot.directory
                ) { result in
                    continuation.resume(returning: result)
                })
        }
        logger.notice("operator action", metadata: ["operator": "\(user)", "verb": "\(action.verb)", "incident": "\(id)"])
        return Self.outcome(result.map(\.object))
    }

    static func outcome(_ result: Result<JSONObject, StoreError>) -> JSONObject {
        switch result {
        case let .success(o): o
        case let .failure(e): failure(e.wire.code, e.wire.text)
        }
    }

    static func failure(_ code: ErrorCode, _ text: String) -> JSONObject {
        ControlReply.Failure(code, text).object
    }
}
