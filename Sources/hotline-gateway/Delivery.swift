import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

/// Saves a report in the spool (exit 74 if it cannot be), then sends what is pending.
/// Returns the stored body and the report's entry after the attempt.
func saveAndSend(_ report: JSONObject, _ config: GatewayConfiguration) throws -> (body: JSONObject, entry: Spool.Entry?, flush: Spool.FlushOutcome?) {
    let spool: Spool
    let body: JSONObject
    do {
        spool = try Spool(path: config.spoolPath)
        body = try spool.add(report)
    } catch {
        FileHandle.standardError.write(Data("hotline-gateway: cannot save the report in \(config.spoolPath): \(error)\n".utf8))
        throw ExitCode(Outcome.cannotSave)
    }
    let ref = body["ref"]?.stringValue ?? ""
    // The report is safe in the spool: whatever happens now, it is not lost.
    let flush = try? spool.flush(config.client())
    return (body, try? spool.entry(ref: ref), flush)
}

/// The current time, as the daemon counts it.
func nowTimestamp() -> Timestamp { Timestamp(seconds: Int64(Date().timeIntervalSince1970)) }

/// When the province cannot be reached: whom to call, from the gateway's own triage on its
/// directory copy (nil without a directory). Remembers the assignee, so that a different
/// choice by the province is shown when the report is delivered.
func offlineInstructions(_ body: JSONObject, _ config: GatewayConfiguration, english: Bool) -> String? {
    guard let receipt = offlineReceipt(body, config) else { return nil }
    let taker = CallTaker(language: english ? .en : .vi, villages: [], read: { nil }, write: { _ in })
    return taker.instructions(receipt, now: nowTimestamp(), localTime: config.localTime)
}

/// The gateway's own triage of a report the province has not receipted (nil without a directory).
func offlineReceipt(_ body: JSONObject, _ config: GatewayConfiguration) -> JSONObject? {
    guard let folder = config.directoryPath, let directory = try? DirectoryLoader.load(folder: folder),
        let receipt = OfflineTriage.receipt(for: body, gateway: config.gateway, directory: directory, now: nowTimestamp())
    else { return nil }
    if let ref = body["ref"]?.stringValue, let assigned = receipt["assigned"]?.objectValue?["id"]?.stringValue {
        try? Spool(path: config.spoolPath).setLocalAssignment(ref: ref, responder: assigned)
    }
    return receipt
}

/// `send --json`, `new --json`: the report's fate as one object, with the exit code of the text form.
func printJSON(_ body: JSONObject, _ entry: Spool.Entry?, _ flush: Spool.FlushOutcome?, _ config: GatewayConfiguration) throws {
    let delivered = entry?.state == "delivered" || entry?.state == "refused"
    let o = GatewayJSON.report(
        ref: body["ref"]?.stringValue ?? "", entry: entry, credentials: flush?.credentials,
        offline: delivered ? nil : offlineReceipt(body, config))
    print(o.jsonText)
    switch o["state"]?.stringValue {
    case "delivered": return
    case "refused": throw ExitCode(Outcome.refused)
    case "waiting_for_token": throw ExitCode(Outcome.credentials)
    default: throw ExitCode(Outcome.spooled)
    }
}

/// Says why a saved report is waiting for a valid token, and exits 77.
func credentialsProblem(_ why: String, ref: String) -> ExitCode {
    FileHandle.standardError.write(Data("hotline-gateway: \(why)\n".utf8))
    print("saved, not sent: \(ref) waits for a valid token; fix the gateway's token, then run: hotline-gateway flush")
    return ExitCode(Outcome.credentials)
}
