import Foundation
import HotlineCore
import HotlineHarness

#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands on its fd 3, answers on its fd 4, each JSON message
/// ended by a NUL byte). One page, attached in flat mode.
final class Chromium {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static var binary: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { access($0, X_OK) == 0 }
    }

    private let pid: pid_t
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private let profile: String
    private var nextID = 1
    private var buffer: [UInt8] = []
    private var session: String = ""

    init() throws {
        guard let binary = Self.binary else {
            throw Failure(description: "chromium is not installed (apt-get install chromium): the dashboard's browser test needs it")
        }
        profile = NSTemporaryDirectory() + "hotline-chromium-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        var commands: [Int32] = [0, 0], answers: [Int32] = [0, 0]
        guard pipe(&commands) == 0, pipe(&answers) == 0 else { throw Failure(description: "pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, commands[0], 3)
        posix_spawn_file_actions_adddup2(&actions, answers[1], 4)
        var arguments = [
            binary, "--headless=new", "--remote-debugging-pipe", "--user-data-dir=\(profile)", "--no-first-run",
            "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
            "--window-size=1280,1000", "about:blank",
        ]
        if geteuid() == 0 { arguments.insert("--no-sandbox", at: 1) }  // Chromium's sandbox refuses root
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        close(commands[0])
        close(answers[1])
        guard spawned == 0 else { throw Failure(description: "cannot start \(binary): \(String(cString: strerror(spawned)))") }
        self.pid = pid
        toBrowser = commands[1]
        fromBrowser = answers[0]
        // One page target, attached in flat mode: its commands carry the session id.
        let targets = try call("Target.getTargets", [:], session: nil)
        let page = targets["targetInfos"]?.arrayValue?.compactMap(\.objectValue).first { $0["type"] == "page" }
        let targetID: String
        if let id = page?["targetId"]?.stringValue {
            targetID = id
        } else {
            targetID = try call("Target.createTarget", ["url": "about:blank"], session: nil)["targetId"]?.stringValue ?? ""
        }
        session = try call("Target.attachToTarget", ["targetId": .string(targetID), "flatten": true], session: nil)["sessionId"]?.stringValue ?? ""
        _ = try call("Page.enable")
        _ = try call("Runtime.enable")
    }

    deinit {
        _ = try? call("Browser.close", [:], session: nil)
        close(toBrowser)
        close(fromBrowser)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Sends a command and returns its result (events in between are skipped).
    @discardableResult
    func call(_ method: String, _ params: JSONObject = [:], session: String?? = .none) throws -> JSONObject {
        let id = nextID
        nextID += 1
        var message: JSONObject = ["id": JSONValue(id), "method": .string(method), "params": .object(params)]
        let target = session ?? self.session
        if let target, !target.isEmpty { message["sessionId"] = .string(target) }
        var bytes = Array(message.jsonText.utf8)
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write to chromium failed") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(60)
        while true {
            let reply = try readMessage(until: deadline)
            guard reply["id"] == JSONValue(id) else { continue }
            if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
            return reply["result"]?.objectValue ?? [:]
        }
    }

    private func readMessage(until deadline: Date) throws -> JSONObject {
        while true {
            if let nul = buffer.firstIndex(of: 0) {
                let text = Array(buffer[..<nul])
                buffer.removeFirst(nul + 1)
                return try JSONParser.parse(text).objectValue ?? [:]
            }
            var p = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard wait > 0, poll(&p, 1, wait) > 0 else { throw Failure(description: "no answer from chromium") }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "chromium closed its pipe") }
            buffer += chunk[..<n]
        }
    }

    /// Evaluates an expression in the page (promises awaited) and returns its value.
    func evaluate(_ expression: String) throws -> JSONValue {
        let r = try call("Runtime.evaluate", ["expression": .string(expression), "returnByValue": true, "awaitPromise": true])
        if let e = r["exceptionDetails"] { throw Failure(description: "\(expression): \(e)") }
        return r["result"]?.objectValue?["value"] ?? .null
    }

    func navigate(_ url: String) throws {
        _ = try call("Page.navigate", ["url": .string(url)])
        try waitFor("document.readyState === 'complete' && location.href.startsWith(\(JSONValue.string(url).jsonText))")
    }

    /// Polls `condition` (a JavaScript expression) until true, up to 30 s.
    func waitFor(_ condition: String, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? evaluate("!!(\(condition))")) == .bool(true) { return }
            usleep(100_000)
        }
        throw Failure(description: "timed out waiting for \(condition) at \((try? evaluate("location.href")) ?? .null)")
    }

    func screenshot(to path: String) throws {
        let r = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let data = r["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { throw Failure(description: "no screenshot") }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
