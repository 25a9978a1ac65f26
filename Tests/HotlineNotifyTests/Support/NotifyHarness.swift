import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineHarness
import HotlineLineClient
import HotlineNotify

#if canImport(Glibc)
import Glibc
#endif

enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let sampleDirectory = root + "/Config/ninh-binh"
    static let sampleTokens = root + "/Config/gateways.tokens"

    static var products: String { BuildProducts.folder }
}

func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "hotline-notify-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, 0o755)
    return path
}

/// Who the notifier runs as: started by root, another unprivileged user than the daemon's
/// (`daemon`), with the daemon's group as a supplementary group (the unit's `hotline` group),
/// no capabilities, no new privileges.
enum NotifierIdentity {
    static let account: (uid: uid_t, gid: gid_t)? = {
        guard geteuid() == 0 else { return nil }
        return (getpwnam("daemon")?.pointee.pw_uid ?? 1, getpwnam("daemon")?.pointee.pw_gid ?? 1)
    }()

    static var name: String {
        if account != nil { return "daemon" }
        return String(cString: getpwuid(geteuid())!.pointee.pw_name)
    }

    static var launcher: [String] {
        guard let account, let service = ServiceIdentity.account else { return [] }
        return ServiceIdentity.launcher(uid: account.uid, gid: account.gid, groups: [service.gid])
    }

    static func own(_ path: String) {
        guard let account else { return }
        ServiceIdentity.own(path, uid: account.uid, gid: account.gid)
    }
}

/// A daemon (as its unit runs it), and the notifier beside it (as its unit runs it), on a
/// folder with the dialable test directory, a contacts file and smstools' spool folders.
final class NotifyRig {
    let folder: String
    let daemon: DaemonProcess
    let directory: Directory
    let spool: SmstoolsSpool
    let notifyConfig: String
    let stateDir: String
    private(set) var notifier: Process?
    let notifierLog: String

    init(notify: String = "", configure: (inout HotlineConfiguration.Configuration) -> Void = { _ in }) throws {
        folder = temporaryFolder()
        let source = try DialableDirectory.make(from: Repository.sampleDirectory, in: folder)
        directory = try DirectoryLoader.load(folder: source)
        let files = DaemonProcess.Files(
            hotlined: Repository.products + "/hotlined", directory: source, tokens: Repository.sampleTokens)
        // The daemon's folder (the harness gives it to the daemon's user at every start), with
        // the queue's folder as the unit makes it (StateDirectoryMode=0750): the group may read.
        try FileManager.default.createDirectory(atPath: folder + "/daemon/data", withIntermediateDirectories: true)
        chmod(folder + "/daemon/data", 0o750)
        daemon = try DaemonProcess(files: files, folder: folder + "/daemon", configure: configure)
        try FileManager.default.removeItem(atPath: source)
        spool = SmstoolsSpool(root: folder + "/spool")
        for f in ["", "/outgoing", "/checked", "/sent", "/failed", "/incoming"] {
            try FileManager.default.createDirectory(atPath: spool.root + f, withIntermediateDirectories: true)
            chmod(spool.root + f, 0o770)
        }
        stateDir = folder + "/notify-state"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        chmod(stateDir, 0o700)
        try DialableDirectory.contacts(directory).write(toFile: folder + "/contacts.csv", atomically: true, encoding: .utf8)
        chmod(folder + "/contacts.csv", 0o644)
        notifyConfig = folder + "/notify.toml"
        let text = """
            daemon_config = "daemon/hotlined.toml"
            state_dir = "notify-state"
            contacts = "contacts.csv"
            [smstools]
            spool = "spool"
            \(notify)
            """
        try text.write(toFile: notifyConfig, atomically: true, encoding: .utf8)
        chmod(notifyConfig, 0o644)
        notifierLog = folder + "/notify.log"
        FileManager.default.createFile(atPath: notifierLog, contents: nil)
        NotifierIdentity.own(spool.root)
        NotifierIdentity.own(stateDir)
        NotifierIdentity.own(notifierLog)
    }

    var notifyBinary: String { ServiceIdentity.executable(Repository.products + "/hotline-notify") }

    /// Starts `hotline-notify run` as its own user.
    func startNotifier(_ arguments: [String] = []) throws {
        let p = Process()
        let command = NotifierIdentity.launcher + [notifyBinary, "run", "--config", notifyConfig] + arguments
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: notifierLog))
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = log
        try p.run()
        notifier = p
    }

    func stopNotifier(_ signal: Int32 = SIGTERM) {
        guard let p = notifier else { return }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        notifier = nil
    }

    /// `hotline-notify <arguments>` as its user, to its end.
    func notify(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try DaemonProcess.run(command: NotifierIdentity.launcher + [notifyBinary] + arguments + ["--config", notifyConfig])
    }

    func status() throws -> JSONObject {
        let r = try notify(["status", "--json"])
        guard case let .object(o)? = try? JSONParser.parse(Array(r.output.utf8.prefix { $0 != 0x0A })) else {
            throw LineClient.Failure(description: "status: \(r.output)")
        }
        return o
    }

    var log: String { (try? String(contentsOfFile: notifierLog, encoding: .utf8)) ?? "" }

    /// Queue records as the daemon wrote them (current file and rotated ones, in order).
    func queueRecords() -> [JSONObject] {
        let path = folder + "/daemon/data/escalations.jsonl"
        var files = [path]
        var i = 1
        while FileManager.default.fileExists(atPath: "\(path).\(i)") {
            files.insert("\(path).\(i)", at: 0)
            i += 1
        }
        return files.flatMap { f in
            (FileManager.default.contents(atPath: f) ?? Data()).split(separator: 0x0A).compactMap {
                (try? JSONParser.parse(Array($0)))?.objectValue
            }
        }
    }

    func cleanUp() {
        stopNotifier()
        daemon.kill(SIGTERM)
        if ProcessInfo.processInfo.environment["HOTLINE_KEEP_TEST_FOLDERS"] != nil { return }
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Plays smstools' part in its folders, as smsd does: a file in `outgoing/` is moved under its
/// own name to `checked/`, then to `sent/` (with `Sent:` and `Message_id:` headers put first)
/// or `failed/` (with `Failed:` and `Fail_reason:`).
struct GatewayPlayer {
    let spool: SmstoolsSpool

    func outgoing() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool.outgoing)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @discardableResult
    func deliver(fail: (String) -> Bool = { _ in false }) -> [String] {
        var done: [String] = []
        for name in outgoing() {
            let src = spool.outgoing + "/" + name
            let checked = spool.checked + "/" + name
            guard rename(src, checked) == 0, let data = FileManager.default.contents(atPath: checked) else { continue }
            let failed = fail(name)
            let headers = failed
                ? "Failed: 26-12-04 21:00:00\nFail_reason: +CMS ERROR: 500 Unknown error\n"
                : "Sent: 26-12-04 21:00:00\nMessage_id: \(done.count + 1)\n"
            let target = (failed ? spool.failed : spool.sent) + "/" + name
            FileManager.default.createFile(atPath: target, contents: Data(headers.utf8) + data)
            unlink(checked)
            done.append(name)
        }
        return done
    }

    /// A received message as smsd writes it in `incoming/`.
    func receive(from: String, text: String, ucs2: Bool = false) -> String {
        let name = "GSM1." + UUID().uuidString.prefix(6)
        var body = Data()
        if ucs2 {
            for u in text.utf16 { body.append(contentsOf: [UInt8(u >> 8), UInt8(u & 0xFF)]) }
        } else {
            body = Data(text.utf8)
        }
        let head = "From: \(from)\nFrom_SMSC: 84900000000\nSent: 26-12-04 21:00:00\nReceived: 26-12-04 21:00:02\nSubject: GSM1\nAlphabet: \(ucs2 ? "UCS2" : "ISO")\n\n"
        let tmp = spool.incoming + "/." + name
        FileManager.default.createFile(atPath: tmp, contents: Data(head.utf8) + body)
        chmod(tmp, 0o644)
        rename(tmp, spool.incoming + "/" + name)
        return name
    }
}

/// Parses a spool file: headers and text.
func spoolFile(_ path: String) -> (headers: [String: String], text: String)? {
    guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8),
        let blank = s.range(of: "\n\n")
    else { return nil }
    var headers: [String: String] = [:]
    for line in s[..<blank.lowerBound].split(separator: "\n") {
        if let c = line.firstIndex(of: ":") { headers[String(line[..<c])] = String(line[line.index(after: c)...].dropFirst()) }
    }
    return (headers, String(s[blank.upperBound...]))
}

