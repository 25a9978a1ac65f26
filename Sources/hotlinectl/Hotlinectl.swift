import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

@main
struct Main {
    /// `hotlinectl --config FILE <command> …`: options given before the command are moved after
    /// it, so they work in either place.
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        var moved: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if args[i] == "--config", i + 1 < args.count {
                moved += args[i...(i + 1)]
                args.removeSubrange(i...(i + 1))
            } else if args[i].hasPrefix("--config=") || args[i] == "--json" {
                moved.append(args.remove(at: i))
            } else {
                i += 1
            }
        }
        Hotlinectl.main(args + moved)
    }
}

struct Hotlinectl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotlinectl",
        abstract: "Operator tool for the Hotline daemon: incidents, the escalation queue, the directory, reports, tokens.",
        discussion: "Finds the daemon's control socket and files through its configuration file (--config).",
        subcommands: [
            Status.self, Incidents.self, Show.self, Reassign.self, Ack.self, Attend.self, Close.self, Tail.self,
            VerifyQueue.self, DirectoryCommand.self, Stats.self, Token.self, Reload.self, Audit.self, Backup.self,
        ])
}

struct Options: ParsableArguments {
    @Option(name: .long, help: "The daemon's configuration file.")
    var config = "/etc/hotline/hotlined.toml"

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func load() throws -> HotlineConfiguration.Configuration {
        do {
            return try HotlineConfiguration.Configuration.load(path: config)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Sends a control request and returns the answer (errors become exit code 1 with the reason).
    func ask(_ request: JSONObject) throws -> JSONObject {
        do {
            return try ControlClient.request(socket: load().controlSocket, request)
        } catch let error as ControlClient.Failure {
            complain(error.description)
            throw ExitCode.failure
        }
    }
}

func printJSON(_ o: JSONObject) { print(o.jsonText) }

/// A value for human output: every control character (C0, C1, DEL) and bidirectional
/// override escaped, so that text a gateway sent (caller, summary, notes, reasons) cannot drive
/// the operator's terminal or forge a line. `--json` prints values exactly instead.
func text(_ v: JSONValue?) -> String {
    switch v {
    case let .string(s)?: SafeText.escaped(s)
    case let .number(n)?: JSONValue.number(n).jsonText
    case let .bool(b)?: b ? "yes" : "no"
    case .null?, nil: "-"
    case let v?: SafeText.escaped(v.jsonText)
    }
}

/// Writes `hotlinectl: <message>` to standard error, made safe for the terminal.
func complain(_ message: String) {
    FileHandle.standardError.write(Data("hotlinectl: \(SafeText.escaped(message))\n".utf8))
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Uptime, connections per gateway, open and overdue incidents by severity.")
    @OptionGroup var options: Options

    func run() throws {
        let s = try options.ask(["cmd": "status"])
        if options.json { return printJSON(s) }
        let up = s["uptime_s"]?.integerValue ?? 0
        print("\(text(s["server"])): up \(up / 3600) h \(up % 3600 / 60) min (since \(text(s["started_at"]))), escalation queue at seq \(text(s["queue_seq"]))")
        let connections = s["connections"]?.objectValue?.members ?? []
        let total = connections.reduce(0) { $0 + ($1.value.integerValue ?? 0) }
        print("connections: \(total)" + (connections.isEmpty ? "" : " (" + connections.map { "\(SafeText.escaped($0.key)) \(text($0.value))" }.joined(separator: ", ") + ")"))
        let open = s["open"]?.objectValue, overdue = s["overdue"]?.objectValue
        let rows = Severity.allCases.reversed().map { [$0.rawValue, text(open?[$0.rawValue]), text(overdue?[$0.rawValue])] }
        print(Table.render(["SEVERITY", "OPEN", "OVERDUE"], rows), terminator: "")
    }
}

struct Incidents: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List incidents, newest first.")
    @OptionGroup var options: Options
    @Flag(help: "Only incidents not closed.") var open = false
    @Flag(help: "Only open incidents past their watched deadline.") var overdue = false
    @Option(help: "Only this commune (GSO code).") var commune: String?
    @Option(help: "Only this district (code).") var district: String?
    @Option(help: "At most this many.") var limit = 100

    func run() throws {
        var request: JSONObject = ["cmd": "incidents", "open": .bool(open), "overdue": .bool(overdue), "limit": JSONValue(limit)]
        if let commune { request["commune"] = .string(commune) }
        if let district { request["district"] = .string(district) }
        let answer = try options.ask(request)
        if options.json { return printJSON(answer) }
        let rows = (answer["incidents"]?.arrayValue ?? []).compactMap(\.objectValue).map { i in
            [text(i["incident"]), text(i["severity"]), text(i["state"]) + (i["review"] == true ? "*" : ""), text(i["level"]),
             text(i["commune"]), text(i["assigned"]), text(i["callback"]).uppercased(), text(i["reported_at"]), text(i["next_due"])]
        }
        print(Table.render(["INCIDENT", "SEVERITY", "STATE", "LEVEL", "COMMUNE", "ASSIGNED", "CALLBACK", "REPORTED", "DUE"], rows), terminator: "")
        if rows.contains(where: { $0[2].hasSuffix("*") }) { print("* flagged for review (retracted)") }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One incident, with its history.")
    @OptionGroup var options: Options
    @Argument(help: "The incident id (INC-000001).") var incident: String
    @Flag(help: "Also show caller, summary, close note and retraction reason; the read is recorded in the audit.")
    var personal = false

    func run() throws {
        let o = try options.ask(["cmd": "show", "incident": .string(incident), "personal": .bool(personal)])
        if options.json { return printJSON(o) }
        for (key, value) in o.members where key != "history" && key != "backups" {
            if case let .object(r) = value {
                print("\(SafeText.escaped(key)): \(text(r["id"])) \(text(r["name"])) \(text(r["phone"]))")
            } else {
                print("\(SafeText.escaped(key)): \(text(value))")
            }
        }
        for b in o["backups"]?.arrayValue ?? [] { print("backup: \(text(b.objectValue?["id"])) \(text(b.objectValue?["name"]))") }
        print("history:")
        for h in (o["history"]?.arrayValue ?? []).compactMap(\.objectValue) {
            let rest = h.members.filter { $0.key != "at" && $0.key != "event" }.map { "\(SafeText.escaped($0.key))=\(text($0.value))" }
            print("  \(text(h["at"]))  \(text(h["event"]))  \(rest.joined(separator: " "))")
        }
    }
}

/// Prints the answer of an operator action.
func report(_ o: JSONObject, _ options: Options) {
    if options.json { return printJSON(o) }
    print(o.members.map { "\(SafeText.escaped($0.key)): \(text($0.value.objectValue?["id"] ?? $0.value))" }.joined(separator: ", "))
}

struct Reassign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand an incident to another prevention group or trusted address (a fresh acknowledgement window if open).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Argument(help: "The responder id (PG-14638-02).") var responder: String

    func run() throws {
        report(try options.ask(["cmd": "reassign", "incident": .string(incident), "responder": .string(responder)]), options)
    }
}

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Acknowledge for a responder (recorded with your user name).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(help: "The responder who took the case.") var responder: String?

    func run() throws {
        var r: JSONObject = ["cmd": "ack", "incident": .string(incident)]
        if let responder { r["responder"] = .string(responder) }
        report(try options.ask(r), options)
    }
}

struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record attendance for a responder.")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(help: "The responder who attended.") var responder: String?

    func run() throws {
        var r: JSONObject = ["cmd": "attend", "incident": .string(incident)]
        if let responder { r["responder"] = .string(responder) }
        report(try options.ask(r), options)
    }
}

struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Close an incident with the measures taken and the support given.",
        discussion: "Measures: \(OffenderMeasure.allCases.map(\.rawValue).joined(separator: ", ")).\nSupport: \(VictimSupport.allCases.map(\.rawValue).joined(separator: ", ")).")
    @OptionGroup var options: Options
    @Argument var incident: String
    @Option(name: .customLong("measure"), help: "An offender measure (repeat for several).") var measures: [String] = []
    @Option(name: .customLong("support"), help: "Support given to the victim (repeat for several).") var support: [String] = []
    @Option(help: "A note (personal data: stored, never logged).") var note: String?

    func run() throws {
        var r: JSONObject = [
            "cmd": "close", "incident": .string(incident), "offender_measures": .array(measures.map { .string($0) }),
            "victim_support": .array(support.map { .string($0) }),
        ]
        if let note { r["note"] = .string(note) }
        report(try options.ask(r), options)
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A consistent copy of the running daemon's store (0600), written by the daemon to FILE.",
        discussion: """
            The daemon writes the file, so it must be somewhere the service may write (under systemd: \
            /var/lib/hotline). To restore: stop the daemon, replace the store's hotline.sqlite with the backup \
            (and remove hotline.sqlite-wal and -shm), start it; the escalation queue continues after its last \
            record (a store_restored record says so).
            """)
    @OptionGroup var options: Options
    @Argument(help: "The backup file (absolute, or relative to the current folder).") var file: String

    func run() throws {
        let path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        let o = try options.ask(["cmd": "backup", "path": .string(path)])
        if options.json { return printJSON(o) }
        print("backup: \(text(o["path"])): \(text(o["incidents"])) incidents, escalation queue at seq \(text(o["queue_seq"])), \(text(o["bytes"])) bytes")
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who read personal data and who acted on cases, newest first.")
    @OptionGroup var options: Options
    @Option(help: "Only this incident.") var incident: String?
    @Option(name: .customLong("operator"), help: "Only this operator (Unix user) or gateway id.") var actor: String?
    @Option(help: "Only records at or after this RFC 3339 time.") var since: String?
    @Option(help: "At most this many.") var limit = 100

    func run() throws {
        var request: JSONObject = ["cmd": "audit", "limit": JSONValue(limit)]
        if let incident { request["incident"] = .string(incident) }
        if let actor { request["operator"] = .string(actor) }
        if let since { request["since"] = .string(since) }
        let answer = try options.ask(request)
        if options.json { return printJSON(answer) }
        let rows = (answer["audit"]?.arrayValue ?? []).compactMap(\.objectValue).map { r in
            [text(r["at"]), text(r["actor_kind"]), text(r["actor"]), text(r["peer"]), text(r["incident"]), text(r["action"]),
             (r["shown"]?.arrayValue ?? []).compactMap(\.stringValue).map { SafeText.escaped($0) }.joined(separator: ",")]
        }
        print(Table.render(["AT", "KIND", "WHO", "PEER", "INCIDENT", "ACTION", "SHOWN"], rows), terminator: "")
    }
}

struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the escalation queue across rotation, one readable line per record.")
    @OptionGroup var options: Options
    @Option(help: "Start at this seq (older records from rotated files too); default: the last 10.") var fromSeq: Int64?
    @Flag(inversion: .prefixedNo, help: "Keep following new records.") var follow = true

    func run() throws {
        let path = try options.load().queueFile
        do {
            try QueueReader.tail(path, fromSeq: fromSeq, follow: follow) { line, record in
                if options.json { print(line) } else { print(SafeText.escaped(record.map(QueueReader.describe) ?? line)) }
                fflush(nil)
            }
        } catch {
            complain(error.description)
            throw ExitCode.failure
        }
    }
}

struct VerifyQueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-queue",
        abstract: "Check seq continuity and the SHA-256 chain; exit 1 on a break.",
        discussion: "Without FILEs: the configured queue file and its rotated files, oldest first.")
    @OptionGroup var options: Options
    @Argument(help: "Queue files, oldest first.") var files: [String] = []

    func run() throws {
        let list: [String]
        do {
            list = files.isEmpty ? try QueueReader.files(try options.load().queueFile) : files
        } catch let error as QueueReader.Failure {
            complain(error.description)
            throw ExitCode.failure
        }
        let result = QueueReader.verify(list)
        if options.json {
            var o: JSONObject = ["files": .array(list.map { .string($0) }), "records": JSONValue(result.count), "ok": .bool(result.problem == nil)]
            o["last_seq"] = result.lastSeq.map { JSONValue(Int($0)) } ?? .null
            if let p = result.problem { o["break"] = .string(p) }
            printJSON(o)
        } else if let problem = result.problem {
            print("BROKEN: \(SafeText.escaped(problem))")
        } else {
            print("ok: \(result.count) records in \(list.count) file(s), last seq \(result.lastSeq.map(String.init) ?? "-")")
        }
        if result.problem != nil { throw ExitCode.failure }
    }
}

struct DirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory", abstract: "Check or search a directory.", subcommands: [Check.self, Find.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the four CSV files of a folder; exit 1 with file:line: reason.")
        @OptionGroup var options: Options
        @Argument(help: "The folder.") var folder: String
        var json: Bool { options.json }

        func run() throws {
            do {
                let d = try DirectoryLoader.load(folder: folder)
                let kinds = Dictionary(grouping: d.responders, by: \.kind).mapValues(\.count)
                if json {
                    var counts = JSONObject()
                    for k in ResponderKind.allCases { counts[k.rawValue] = JSONValue(kinds[k] ?? 0) }
                    printJSON([
                        "ok": true, "communes": JSONValue(d.communes.count), "villages": JSONValue(d.villages.count),
                        "hotlines": JSONValue(d.hotlines.count), "responders": .object(counts),
                    ])
                } else {
                    print("ok: \(d.communes.count) communes, \(d.villages.count) villages, \(d.hotlines.count) hotlines, " +
                        ResponderKind.allCases.map { "\(kinds[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
                }
            } catch {
                if json { printJSON(["ok": false, "error": .string(error.description)]) } else { print(error.description) }
                throw ExitCode.failure
            }
        }
    }

    struct Find: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find communes, villages, responders and hotlines by name, with or without diacritics.")
        @OptionGroup var options: Options
        @Option(help: "Search this folder instead of the configured directory.") var folder: String?
        @Argument(help: "Words to find (\"an hoa\" finds \"Ân Hòa\").") var text: String

        func run() throws {
            let d = try DirectoryLoader.load(folder: folder ?? options.load().directoryPath)
            var rows: [[String]] = []
            for c in d.communes.values.sorted(by: { $0.code < $1.code }) where TextFolding.matches(text, in: c.name) {
                rows.append(["commune", c.code, c.name, c.district])
            }
            for v in d.villages.values.sorted(by: { $0.id < $1.id }) where TextFolding.matches(text, in: v.name + " " + (d.communes[v.communeCode]?.name ?? "")) {
                rows.append(["village", v.id, v.name, d.communes[v.communeCode]?.name ?? v.communeCode])
            }
            for r in d.responders where TextFolding.matches(text, in: r.name) {
                rows.append([r.kind.rawValue, r.id, r.name, r.phone])
            }
            for h in d.hotlines.values.sorted(by: { $0.id < $1.id }) where TextFolding.matches(text, in: h.name) {
                rows.append(["hotline", h.id, h.name, h.phone])
            }
            if options.json {
                printJSON(["matches": .array(rows.map { r in .object(["kind": .string(r[0]), "id": .string(r[1]), "name": .string(r[2]), "detail": .string(r[3])]) })])
            } else {
                print(Table.render(["KIND", "ID", "NAME", "DETAIL"], rows), terminator: "")
            }
            if rows.isEmpty { throw ExitCode.failure }
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The province's annual report: forms, districts, communes, measures, support, response times, escalations.")
    @OptionGroup var options: Options
    @Option(help: "The year (local time).") var year: Int
    @Option(help: "Language of the text: vi or en.") var lang = "vi"
    @Flag(help: "CSV for spreadsheets.") var csv = false

    func run() throws {
        guard AnnualReport.Language(rawValue: lang) != nil else { throw ValidationError("--lang takes vi or en") }
        var o = try options.ask(["cmd": "stats", "year": JSONValue(year)])
        if csv { return print(SafeText.escaped(o["csv"]?.stringValue ?? "", keepingLineFeeds: true), terminator: "") }
        if options.json {
            for k in ["text_vi", "text_en", "csv"] { o[k] = nil }
            return printJSON(o)
        }
        print(SafeText.escaped(o["text_\(lang)"]?.stringValue ?? "", keepingLineFeeds: true), terminator: "")
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reload the directory, tokens and deadlines (like SIGHUP, without rotating the queue).")
    @OptionGroup var options: Options

    func run() throws {
        let o = try options.ask(["cmd": "reload"])
        if options.json { return printJSON(o) }
        print("reloaded")
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue or revoke gateway tokens (the daemon picks changes up on SIGHUP).",
        subcommands: [Issue.self, Revoke.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new token for a gateway, print it once, store only its SHA-256.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway id, as in hotlines.csv (HL-14638).") var gateway: String

        func run() throws {
            let token = try TokenCommands.issue(gateway: gateway, configuration: options.load())
            if options.json { printJSON(["gateway": .string(gateway), "token": .string(token)]) } else { print(token) }
            FileHandle.standardError.write(
                Data("hotlinectl: new token for \(gateway) written as its hash; give it to the gateway, then reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a gateway's token; on reload its open connections are closed.")
        @OptionGroup var options: Options
        @Argument(help: "The gateway id.") var gateway: String

        func run() throws {
            try TokenCommands.revoke(gateway: gateway, configuration: options.load())
            if options.json { printJSON(["gateway": .string(gateway), "revoked": true]) }
            FileHandle.standardError.write(
                Data("hotlinectl: token of \(gateway) removed; reload the daemon (systemctl reload hotlined)\n".utf8))
        }
    }
}
