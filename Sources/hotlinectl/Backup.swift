import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

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
        let answer = try options.ask(with(ControlRequest("backup")) { $0.path = path })
        if options.json { return printJSON(answer) }
        let b = try options.decode(ControlReply.Backup.self, answer)
        print("backup: \(SafeText.escaped(b.path)): \(b.incidents) incidents, escalation queue at seq \(b.queueSeq), \(b.bytes) bytes")
    }
}
