import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

@main
struct HotlineGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-gateway",
        abstract: "A commune hotline's gateway to the province's Hotline daemon: reports are spooled before they are sent.",
        discussion: """
            Exit codes of send, new and flush: 0 accepted (receipt printed), 65 refused by the daemon (the reason \
            is printed), 74 the report could not be saved in the spool, 75 saved for later (no connection, the \
            daemon is busy, or another process is sending this spool's reports; run flush), 77 saved, waiting for a \
            valid token (the daemon refused the gateway's token, or its token file cannot be read: fix it, then \
            flush), 78 configuration error.
            """,
        subcommands: [Send.self, New.self, Pending.self, Flush.self, Status.self, Ack.self, Attend.self, Close.self, Retract.self])
}

struct GatewayOptions: ParsableArguments {
    @Option(name: .long, help: "The gateway's configuration file.") var config = "/etc/hotline/gateway.toml"

    func load() throws -> GatewayConfiguration {
        do {
            return try GatewayConfiguration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("hotline-gateway: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

enum Outcome {
    static let accepted: Int32 = 0
    static let refused: Int32 = 65  // EX_DATAERR
    static let cannotSave: Int32 = 74  // EX_IOERR
    static let spooled: Int32 = 75  // EX_TEMPFAIL
    static let credentials: Int32 = 77  // EX_NOPERM
}

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
    guard let folder = config.directoryPath, let directory = try? DirectoryLoader.load(folder: folder),
        let receipt = OfflineTriage.receipt(for: body, gateway: config.gateway, directory: directory, now: nowTimestamp())
    else { return nil }
    if let ref = body["ref"]?.stringValue, let assigned = receipt["assigned"]?.objectValue?["id"]?.stringValue {
        try? Spool(path: config.spoolPath).setLocalAssignment(ref: ref, responder: assigned)
    }
    let taker = CallTaker(language: english ? .en : .vi, villages: [], read: { nil }, write: { _ in })
    return taker.instructions(receipt, now: nowTimestamp(), localTime: config.localTime)
}

/// Says why a saved report is waiting for a valid token, and exits 77.
func credentialsProblem(_ why: String, ref: String) -> ExitCode {
    FileHandle.standardError.write(Data("hotline-gateway: \(why)\n".utf8))
    print("saved, not sent: \(ref) waits for a valid token; fix the gateway's token, then run: hotline-gateway flush")
    return ExitCode(Outcome.credentials)
}

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report an incident, from flags or from a JSON object on standard input (--stdin).")
    @OptionGroup var options: GatewayOptions
    @Flag(help: "Read the report as one JSON object from standard input (for telephone and SMS systems).") var stdin = false
    @Option(help: "critical, high, normal or low.") var severity: String?
    @Option(name: .customLong("form"), help: "physical, psychological, sexual, economic (repeat).") var forms: [String] = []
    @Option var village: String?
    @Option var lat: Double?
    @Option var lon: Double?
    @Option var victims: Int?
    @Option var children: Int?
    @Flag var vulnerable = false
    @Flag var injured = false
    @Flag var weapon = false
    @Flag var needsShelter = false
    @Option var caller: String?
    @Option(help: "May a responder phone the caller back: safe, unsafe or unknown (the abuser may hold the phone).")
    var callback: String?
    @Option var summary: String?
    @Option(help: "The idempotency key; default: a new one.") var ref: String?

    func run() throws {
        let config = try options.load()
        var report = JSONObject()
        if stdin {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard case let .object(o)? = try? JSONParser.parse(Array(data)) else {
                print("refused: standard input is not one JSON object")
                throw ExitCode(Outcome.refused)
            }
            report = o
        } else {
            guard let severity, !forms.isEmpty else { throw ValidationError("give --severity and at least one --form, or --stdin") }
            report["severity"] = .string(severity)
            report["forms"] = .array(forms.map { .string($0) })
            if let village { report["village"] = .string(village) }
            if let lat, let lon {
                report["lat"] = .number(lat)
                report["lon"] = .number(lon)
            }
            if let victims { report["victims"] = JSONValue(victims) }
            if let children { report["children"] = JSONValue(children) }
            if vulnerable { report["vulnerable"] = true }
            if injured { report["injured"] = true }
            if weapon { report["weapon"] = true }
            if needsShelter { report["needs_shelter"] = true }
            if let caller { report["caller"] = .string(caller) }
            if let callback { report["callback"] = .string(callback) }
            if let summary { report["summary"] = .string(summary) }
        }
        if let ref { report["ref"] = .string(ref) }
        let (body, entry, flush) = try saveAndSend(report, config)
        let ref = body["ref"]?.stringValue ?? ""
        switch entry?.state {
        case "delivered":
            print(entry?.receipt?.jsonText ?? "{}")
            if entry?.receipt?["callback"] == "unsafe" {
                FileHandle.standardError.write(Data("hotline-gateway: DO NOT CALL THE CALLER BACK: callback is unsafe\n".utf8))
            }
        case "refused":
            print("refused: \(entry?.error ?? "?") (ref \(ref))")
            throw ExitCode(Outcome.refused)
        default:
            if let why = flush?.credentials { throw credentialsProblem(why, ref: ref) }
            print("spooled: \(ref) will be sent when the daemon can be reached (\(entry?.error ?? "another process is sending; not sent yet"))")
            if let offline = offlineInstructions(body, config, english: true) { print(offline, terminator: "") }
            throw ExitCode(Outcome.spooled)
        }
    }
}

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a call interactively (Vietnamese by default), then show whom to call now.")
    @OptionGroup var options: GatewayOptions
    @Flag(help: "Ask in English.") var english = false

    func run() throws {
        let config = try options.load()
        var villages: [Village] = []
        if let folder = config.directoryPath, let directory = try? DirectoryLoader.load(folder: folder),
            let commune = directory.hotlines[config.gateway]?.communeCode
        {
            villages = directory.villages.values.filter { $0.communeCode == commune }
        }
        let taker = CallTaker(
            language: english ? .en : .vi, villages: villages, read: { readLine() },
            write: { text in
                FileHandle.standardOutput.write(Data(text.utf8))
            })
        guard let report = taker.interview() else { throw ExitCode.failure }
        let (body, entry, flush) = try saveAndSend(report, config)
        switch entry?.state {
        case "delivered":
            print("\n" + taker.instructions(entry?.receipt ?? JSONObject(), now: nowTimestamp(), localTime: config.localTime), terminator: "")
        case "refused":
            print(english ? "Refused: \(entry?.error ?? "?")" : "Bị từ chối: \(entry?.error ?? "?")")
            throw ExitCode(Outcome.refused)
        default:
            print(english ? "\nSaved; it will be sent when the province server can be reached."
                : "\nĐã lưu; sẽ gửi khi kết nối được máy chủ tỉnh.")
            if let offline = offlineInstructions(body, config, english: english) {
                print(offline, terminator: "")
            } else {
                print(english ? "Call the commune's responders directly." : "Hãy gọi trực tiếp tổ phản ứng của xã.")
            }
            if let why = flush?.credentials { throw credentialsProblem(why, ref: body["ref"]?.stringValue ?? "") }
            throw ExitCode(Outcome.spooled)
        }
    }
}

struct Pending: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports in the spool not yet receipted.")
    @OptionGroup var options: GatewayOptions

    func run() throws {
        let spool = try Spool(path: try options.load().spoolPath)
        let pending = try spool.pending()
        for e in pending {
            print("\(e.ref)  \(e.body["reported_at"]?.stringValue ?? "-")  \(e.body["severity"]?.stringValue ?? "-")  \(e.error ?? "not sent yet")")
        }
        print("\(pending.count) pending")
        printChangedAssignments(spool)
    }
}

struct Flush: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send every pending report, in order.")
    @OptionGroup var options: GatewayOptions

    func run() throws {
        let config = try options.load()
        let spool = try Spool(path: config.spoolPath)
        let r = try spool.flush(config.client())
        print("delivered \(r.delivered), refused \(r.refused), still pending \(r.pending)")
        printChangedAssignments(spool)
        if let why = r.credentials {
            FileHandle.standardError.write(Data("hotline-gateway: \(why)\n".utf8))
            throw ExitCode(Outcome.credentials)
        }
        if r.pending > 0 { throw ExitCode(Outcome.spooled) }
        if r.refused > 0 { throw ExitCode(Outcome.refused) }
    }
}

/// Reports delivered after the gateway named someone offline, where the province chose another.
func printChangedAssignments(_ spool: Spool) {
    for e in (try? spool.changedAssignments()) ?? [] {
        let assigned = e.receipt?["assigned"]?.objectValue
        print(
            "province assigned \(e.receipt?["incident"]?.stringValue ?? "?") (ref \(e.ref)) to \(assigned?["id"]?.stringValue ?? "nobody") \(assigned?["name"]?.stringValue ?? "") \(assigned?["phone"]?.stringValue ?? ""), not \(e.localAssigned ?? "?") as shown offline"
        )
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "An incident as the daemon sees it.")
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String

    func run() throws {
        try show(options.load().client().flatMap { $0.status(incident) })
    }
}

/// ACK, ATTEND, CLOSE or RETRACT with an optional JSON body.
func act(_ options: GatewayOptions, _ verb: String, _ incident: String, _ body: String?) throws {
    var object: JSONObject?
    if let body {
        guard case let .object(o)? = try? JSONParser.parse(body) else { throw ValidationError("the body must be a JSON object") }
        object = o
    }
    try show(options.load().client().flatMap { $0.act(verb, incident, object) })
}

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: #"Acknowledge: ack <incident> ['{"responder":"PG-…"}']."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String?
    func run() throws { try act(options, "ACK", incident, body) }
}

struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record attendance: attend <incident> [JSON].")
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String?
    func run() throws { try act(options, "ATTEND", incident, body) }
}

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: #"Close: close <incident> '{"offender_measures":[…],"victim_support":[…]}'."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String
    func run() throws { try act(options, "CLOSE", incident, body) }
}

struct Retract: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: #"Retract: retract <incident> '{"reason":"…"}'."#)
    @OptionGroup var options: GatewayOptions
    @Argument var incident: String
    @Argument var body: String
    func run() throws { try act(options, "RETRACT", incident, body) }
}

func show(_ result: Result<JSONObject, HLPClientError>) throws {
    switch result {
    case let .success(o):
        print(o.jsonText)
    case let .failure(.credentials(why)):
        print("not sent: waiting for a valid token: \(why)")
        throw ExitCode(Outcome.credentials)
    case let .failure(e):
        print("\(e.isTemporary ? "unavailable" : "refused"): \(e)")
        throw ExitCode(e.isTemporary ? Outcome.spooled : Outcome.refused)
    }
}
