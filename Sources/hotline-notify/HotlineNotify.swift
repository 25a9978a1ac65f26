import ArgumentParser
import Foundation
import HotlineNotify
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

@main
struct HotlineNotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotline-notify",
        abstract: "Send every escalation of hotlined's queue by SMS through smstools, exactly once per record and number.",
        subcommands: [Run.self, Status.self, Check.self], defaultSubcommand: Run.self)
}

struct ConfigOption: ParsableArguments {
    @Option(help: "The notifier's configuration file.") var config = "/etc/hotline/notify.toml"

    func load() throws -> NotifyConfiguration {
        do {
            return try NotifyConfiguration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("hotline-notify: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

private let stopRequested = Atomic<Bool>(false)

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Follow the queue and send (the unit's command).")
    @OptionGroup var options: ConfigOption
    @Flag(help: "Log each batch of records (debug level).") var verbose = false

    func run() throws {
        let c = try options.load()
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "hotline-notify")
        // A parent may hand down a mask that blocks SIGTERM (a test runner's thread does): the
        // notifier must stop on it whoever started it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        do {
            let notifier = try Notifier(configuration: c, logger: logger)
            try notifier.run { stopRequested.load(ordering: .relaxed) }
            logger.info("stopped")
        } catch {
            FileHandle.standardError.write(Data("hotline-notify: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Last seq read, messages pending, sent, failed; replies; what stopped it.")
    @OptionGroup var options: ConfigOption
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        let c = try options.load()
        let summary: Ledger.Summary
        do {
            let ledger = try Ledger(folder: c.stateDir, readOnly: true)
            summary = try ledger.summary(now: Int64(Date().timeIntervalSince1970))
        } catch {
            FileHandle.standardError.write(Data("hotline-notify: \(c.stateDir)/notify.sqlite: \(error) (has the notifier run? run as root or its user)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(summary), as: UTF8.self))
            return
        }
        print(StatusText.render(summary))
        if summary.problem != nil { throw ExitCode(1) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the configuration, directory, contacts and spool folders, then exit.")
    @OptionGroup var options: ConfigOption

    func run() throws {
        let c = try options.load()
        do {
            let report = try NotifierCheck.run(c)
            print(report)
        } catch {
            FileHandle.standardError.write(Data("hotline-notify: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
