import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

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
