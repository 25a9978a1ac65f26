import Foundation

/// Where the built executables are when the tests run: next to the test bundle, in the build
/// folder's `debug` or `release`.
public enum BuildProducts {
    public static var folder: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        do {
            while url.lastPathComponent != "debug" && url.lastPathComponent != "release" && url.path != "/" {
                url.deleteLastPathComponent()
            }
        }
        return url.path
    }
}
