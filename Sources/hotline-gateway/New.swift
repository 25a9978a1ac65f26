import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

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
            write: { [json = options.json] text in
                // With --json the questions go to standard error: standard output is the object.
                (json ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
            })
        guard let report = taker.interview() else { throw ExitCode.failure }
        let (body, entry, flush) = try saveAndSend(report, config)
        if options.json {
            try printJSON(body, entry, flush, config)
            return
        }
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
