// libFuzzer harness for the HLP/1 line parser, the session and the field validators.
// Build and run (see README, "Fuzzing"):
//   swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --product hotline-fuzz
//   SWIFT_BACKTRACE=enable=no .build-fuzz/debug/hotline-fuzz -max_total_time=60 Tests/FuzzCorpus
#if FUZZING
import CFuzzerDriver
import Foundation
import HotlineFuzzing

guard let target = FuzzTarget.named(ProcessInfo.processInfo.environment["HOTLINE_FUZZ_TARGET"]) else {
    FileHandle.standardError.write(Data(
        "HOTLINE_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
    exit(2)
}
let selected = target

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    selected.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
#else
import HotlineFuzzing
// Without -DFUZZING this runs the target once over each file given, as a smoke test.
import Foundation
var count = 0
for path in CommandLine.arguments.dropFirst() {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: path)).map { $0.map { path + "/" + $0 } } ?? [path]
    for file in files {
        if let data = FileManager.default.contents(atPath: file) {
            FuzzTarget.run(Array(data))
            count += 1
        }
    }
}
print("hotline-fuzz: ran \(count) inputs once (build with -DFUZZING and -sanitize=fuzzer to fuzz)")
#endif
