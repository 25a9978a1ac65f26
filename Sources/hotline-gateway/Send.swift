import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

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
        if options.json {
            try printJSON(body, entry, flush, config)
            return
        }
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
