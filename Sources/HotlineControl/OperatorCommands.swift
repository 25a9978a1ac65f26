import Foundation
import HotlineConfiguration
import HotlineCore

/// Adds and removes the dashboard's operators in the file `[dashboard] operators` names. The
/// daemon reads the file at each login: no reload is needed.
public enum OperatorCommands {
    /// The operator file of the configuration (its default when there is no `[dashboard]`).
    public static func path(_ configuration: Configuration) -> String {
        configuration.dashboard?.operatorsPath
            ?? ((configuration.sourcePath.map { ($0 as NSString).deletingLastPathComponent } ?? ".") + "/operators")
    }

    /// Sets `name`'s password (adding the operator, or replacing the password).
    public static func add(name: String, password: String, configuration: Configuration) throws {
        guard OperatorPasswords.isValidName(name) else {
            throw TokenCommands.Failure("operator names are letters, digits, '.', '_' and '-', at most 64: \(name)")
        }
        guard password.count >= 12 else { throw TokenCommands.Failure("a password has at least 12 characters") }
        guard password.count <= 1024 else { throw TokenCommands.Failure("a password has at most 1,024 characters") }
        let line = try OperatorPasswords.line(name: name, password: password)
        try TokenCommands.edit(path(configuration), what: "dashboard operator file") { text in
            OperatorPasswords.set(text, name: name, line: line).text
        }
    }

    /// Removes `name`; fails if there is no such operator.
    public static func remove(name: String, configuration: Configuration) throws {
        var found = false
        try TokenCommands.edit(path(configuration), what: "dashboard operator file") { text in
            let r = OperatorPasswords.set(text, name: name, line: nil)
            found = r.found
            return r.text
        }
        if !found { throw TokenCommands.Failure("no operator \(name) in \(path(configuration))") }
    }

    /// The operators' names.
    public static func list(configuration: Configuration) throws -> [String] {
        let file = path(configuration)
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        do {
            return try OperatorPasswords.parse(ProtectedFile.read(file, what: "dashboard operator file", allowGroupWritable: true))
                .entries.keys.sorted()
        } catch {
            throw TokenCommands.Failure("\(error)")
        }
    }
}
