import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reload the directory, tokens and deadlines (like SIGHUP, without rotating the queue).")
    @OptionGroup var options: Options

    func run() throws {
        let answer = try options.ask(ControlRequest("reload"))
        if options.json { return printJSON(answer) }
        _ = try options.decode(ControlReply.Reloaded.self, answer)
        print("reloaded")
    }
}
