import Foundation
import HotlineCore

/// The sample directory shipped in Config/ninh-binh, loaded once.
enum Fixtures {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let sampleFolder = repositoryRoot + "/Config/ninh-binh"

    static let directory: Directory = {
        do {
            return try DirectoryLoader.load(folder: sampleFolder)
        } catch {
            fatalError("sample directory does not load: \(error)")
        }
    }()

    static func tokens(for gateways: [String]) -> GatewayTokens {
        GatewayTokens(hashes: Dictionary(uniqueKeysWithValues: gateways.map { ($0, SHA256.hash(Array("secret-\($0)".utf8))) }))
    }
}

/// A small deterministic generator (SplitMix64), so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
