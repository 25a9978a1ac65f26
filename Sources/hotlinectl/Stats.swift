import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The province's annual report: forms, districts, communes, measures, support, response times, escalations.")
    @OptionGroup var options: Options
    @Option(help: "The year (local time).") var year: Int
    @Option(help: "Language of the text: vi or en.") var lang = "vi"
    @Flag(help: "CSV for spreadsheets.") var csv = false

    func run() throws {
        guard AnnualReport.Language(rawValue: lang) != nil else { throw ValidationError("--lang takes vi or en") }
        var o = try options.ask(with(ControlRequest("stats")) { $0.year = year })
        if csv { return print(SafeText.escaped(o["csv"]?.stringValue ?? "", keepingLineFeeds: true), terminator: "") }
        if options.json {
            for k in ["text_vi", "text_en", "csv"] { o[k] = nil }
            return printJSON(o)
        }
        print(SafeText.escaped(o["text_\(lang)"]?.stringValue ?? "", keepingLineFeeds: true), terminator: "")
    }
}
