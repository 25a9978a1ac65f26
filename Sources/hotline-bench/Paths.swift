import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore

/// Where the daemon binary and the sample files are.
struct Paths: ParsableArguments {
    @Option(help: "The hotlined binary (default: next to this one).") var hotlined: String?
    @Option(help: "The sample directory folder.") var directory = "Config/ninh-binh"
    @Option(help: "The sample token file (demo tokens).") var tokens = "Config/gateways.tokens"

    var binary: String {
        hotlined ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hotlined").path
    }
    var absoluteDirectory: String { URL(fileURLWithPath: directory).standardizedFileURL.path }
    var absoluteTokens: String { URL(fileURLWithPath: tokens).standardizedFileURL.path }

    func gateways() throws -> [(id: String, commune: String)] {
        try DirectoryLoader.load(folder: directory).hotlines.values.sorted { $0.id < $1.id }.map { ($0.id, $0.communeCode) }
    }

    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "hotline-\(name)-" + UUID().uuidString
    }
}
