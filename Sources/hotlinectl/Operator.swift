import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

#if canImport(Glibc)
import Glibc
#endif

struct Operator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Add, remove or list the dashboard's operators (scrypt password hashes in [dashboard] operators).",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an operator, or set a new password (asked twice on the terminal, or one line with --password-stdin).")
        @OptionGroup var options: Options
        @Argument(help: "The operator's name (letters, digits, '.', '_', '-'), as the audit will show it.") var name: String
        @Flag(help: "Read the password as one line from standard input.") var passwordStdin = false

        func run() throws {
            let password: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
                password = line
            } else {
                guard let first = getpass("Password for \(name): ").map({ String(cString: $0) }),
                    let second = getpass("Again: ").map({ String(cString: $0) })
                else { throw ValidationError("no terminal to ask the password on; use --password-stdin") }
                guard first == second else { throw ValidationError("the two passwords differ") }
                password = first
            }
            try OperatorCommands.add(name: name, password: password, configuration: options.load())
            if options.json { printJSON(["operator": .string(name), "added": true]) }
            FileHandle.standardError.write(Data("hotlinectl: \(name) may log in to the dashboard (no reload needed)\n".utf8))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an operator (their open pages lose their session at the next refresh).")
        @OptionGroup var options: Options
        @Argument var name: String

        func run() throws {
            try OperatorCommands.remove(name: name, configuration: options.load())
            if options.json { printJSON(["operator": .string(name), "removed": true]) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The operators' names.")
        @OptionGroup var options: Options

        func run() throws {
            let names = try OperatorCommands.list(configuration: options.load())
            if options.json { printJSON(["operators": .array(names.map { .string($0) })]) } else { names.forEach { print($0) } }
        }
    }
}
