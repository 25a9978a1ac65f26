import Foundation
import HotlineConfiguration
import HotlineHarness

/// The harness (`HotlineHarness.DaemonProcess`) with this repository's built daemon, sample
/// directory and demo tokens.
extension DaemonProcess.Files {
    static let repository = DaemonProcess.Files(
        hotlined: Repository.hotlined, directory: Repository.sampleDirectory, tokens: Repository.sampleTokens)
}

extension DaemonProcess {
    convenience init(
        folder: String = temporaryFolder(), port: Int = 0, backend: StoreBackend = .sqlite,
        configure: (inout HotlineConfiguration.Configuration) -> Void = { _ in }
    ) throws {
        let storage = try Self.storage(backend, folder: folder)
        try self.init(files: .repository, folder: folder, port: port) { c in
            storage(&c)
            configure(&c)
        }
    }

    convenience init(folder: String, configFile: String) throws {
        try self.init(files: .repository, folder: folder, configFile: configFile)
    }

    static func provision(_ folder: String) throws { try provision(folder, .repository) }

    static func runHotlined(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runHotlined(.repository, arguments)
    }

    /// Runs a tool built next to `hotlined`, or any absolute path, to its end.
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try run(command: [tool.hasPrefix("/") ? tool : Files.repository.tool(tool)] + arguments, stdin: stdin)
    }
}

extension ServiceIdentity {
    /// The built `hotlined`, runnable by the service user.
    static var hotlined: String { executable(Repository.hotlined) }
}

