import Foundation
import HotlineCore
import HotlineStore

/// What the control socket does with each request. Reads go to the store's readers; writes go
/// through the store's writer like a gateway's, naming the operator in the history.
extension HotlineApp {
    func handleControl(_ request: JSONObject, user: String) -> JSONObject {
        let now = state.clock()
        let snapshot = state.snapshot
        let parsed: OperatorRequest
        do throws(HLPError) {
            parsed = try OperatorRequest.parse(request, directory: snapshot.directory, now: now)
        } catch {
            return Self.failure(error.code, error.text)
        }
        switch parsed {
        case .status:
            return status(now: now)
        case let .incidents(openOnly, overdue, commune, district, limit):
            do {
                let list = try state.store.incidentList(
                    openOnly: openOnly, overdueAt: overdue ? now : nil, commune: commune, district: district,
                    limit: limit)
                return ["incidents": .array(list.map { .object($0) })]
            } catch {
                return Self.failure(.unavailable, "cannot read the store now")
            }
        case let .show(id, personal):
            guard personal else {
                // Without --personal the survivor's details stay in the store, and nothing is audited.
                return Self.outcome(state.store.operatorView(incident: id).map { object in
                    var o = object
                    for field in IncidentStore.personalFields where o[field] != nil && o[field] != .null {
                        o[field] = .string("(hidden; --personal shows it, and the read is recorded)")
                    }
                    return o
                })
            }
            return Self.outcome(auditedRead(id, user: user, now: now))
        case let .audit(incident, actor, since, limit):
            do {
                let records = try state.store.auditRecords(incident: incident, actor: actor, since: since, limit: limit)
                return ["audit": .array(records.map { .object($0.json) })]
            } catch {
                return Self.failure(.unavailable, "cannot read the store now")
            }
        case let .act(id, action):
            return act(id, action, user: user)
        case let .stats(year):
            do {
                let (rows, escalations) = try state.store.annualRows(year: year)
                let report = AnnualReport(year: year, rows: rows, escalations: escalations, directory: snapshot.directory)
                var out = report.json
                out["text_vi"] = .string(report.text(.vi))
                out["text_en"] = .string(report.text(.en))
                out["csv"] = .string(report.csv)
                return out
            } catch {
                return Self.failure(.unavailable, "cannot read the store now")
            }
        case .reload:
            return reload() ? ["reloaded": true] : Self.failure(.invalid, "reload failed; see the daemon's log")
        case let .backup(path):
            do {
                let b = try state.store.backup(to: path)
                logger.notice("backup written", metadata: ["operator": "\(user)", "backup.path": "\(path)", "backup.incidents": "\(b.incidents)"])
                return [
                    "path": .string(b.path), "incidents": JSONValue(b.incidents), "queue_seq": JSONValue(Int(b.queueSeq)),
                    "bytes": JSONValue(Int(b.bytes)),
                ]
            } catch {
                return Self.failure(.unavailable, "\(error)")
            }
        }
    }

    private func status(now: Timestamp) -> JSONObject {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<[String: Int]>()
        let server = self.server
        Task {
            box.value = await server.connectionsByGateway()
            semaphore.signal()
        }
        semaphore.wait()
        var connections = JSONObject()
        for (gateway, n) in (box.value ?? [:]).sorted(by: { $0.key < $1.key }) { connections[gateway] = JSONValue(n) }
        var open = JSONObject(), overdue = JSONObject()
        if let counts = try? state.store.openCounts(now: now) {
            for s in Severity.allCases.reversed() {
                open[s.rawValue] = JSONValue(counts.open[s.rawValue] ?? 0)
                overdue[s.rawValue] = JSONValue(counts.overdue[s.rawValue] ?? 0)
            }
        }
        return [
            "server": .string(configuration.server.name), "started_at": .string(scheduler.startedAt.rfc3339),
            "uptime_s": JSONValue(Int(now.seconds - scheduler.startedAt.seconds)),
            "connections": .object(connections), "open": .object(open), "overdue": .object(overdue),
            "queue_seq": JSONValue(Int(queue.lastWrittenSeq)),
        ]
    }

    /// An operator's read of personal data: recorded durably, then answered.
    private func auditedRead(_ id: String, user: String, now: Timestamp) -> Result<JSONObject, HLPError> {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<Result<JSONObject, HLPError>>()
        state.store.submit(
            AuditedRead(incident: id, gateway: nil, peer: nil, operatorName: user, at: now) { result in
                box.value = result
                semaphore.signal()
            })
        semaphore.wait()
        logger.notice("operator read personal data", metadata: ["operator": "\(user)", "incident": "\(id)"])
        return box.value ?? .failure(HLPError(.internal, "no result"))
    }

    private func act(_ id: String, _ action: CaseAction, user: String) -> JSONObject {
        let snapshot = state.snapshot
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<Result<JSONObject, HLPError>>()
        state.store.submit(
            CaseJob(
                incident: id, action: action, gateway: nil, operatorName: user, deadlines: snapshot.deadlines,
                directory: snapshot.directory
            ) { result in
                box.value = result
                semaphore.signal()
            })
        semaphore.wait()
        logger.notice("operator action", metadata: ["operator": "\(user)", "verb": "\(action.verb)", "incident": "\(id)"])
        return Self.outcome(box.value ?? .failure(HLPError(.internal, "no result")))
    }

    static func outcome(_ result: Result<JSONObject, HLPError>) -> JSONObject {
        switch result {
        case let .success(o): o
        case let .failure(e): failure(e.code, e.text)
        }
    }

    static func failure(_ code: ErrorCode, _ text: String) -> JSONObject {
        ["error": .string(text), "code": .string(code.rawValue)]
    }
}

/// A value handed from a callback to a waiting thread (the semaphore orders the accesses).
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
