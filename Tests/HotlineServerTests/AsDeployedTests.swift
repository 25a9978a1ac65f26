import HotlineHarness
import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineLineClient
import HotlineServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon as the unit runs it: an unprivileged user without capabilities, on files that
/// user owns, and the files an administrator prepares by README's "Under systemd".
@Suite(.serialized)
struct AsDeployedTests {
    /// `Name:\tvalue` lines of /proc/<pid>/status.
    static func procStatus(_ pid: Int32) -> [String: String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    @Test func greetsTakesAReportAndAnswersStatusAsTheServiceUser() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let pid = try #require(daemon.process?.processIdentifier)
        let status = Self.procStatus(pid)
        if let account = ServiceIdentity.account {
            // Real, effective, saved and file-system uid are all the service user's.
            #expect(status["Uid"]?.split(separator: "\t").allSatisfy { $0 == "\(account.uid)" } == true, "\(status)")
            #expect(status["CapEff"] == "0000000000000000")
            #expect(status["CapBnd"] == "0000000000000000")
            #expect(status["NoNewPrivs"] == "1")
        }
        let c = try LineClient(port: daemon.port)
        #expect(try c.readLine() == "HLP/1 test-hotline ready")
        #expect(try okObject(try c.request("AUTH HL-14320 demo-HL-14320"))["gateway"] == "HL-14320")
        let receipt = try okObject(try c.request(#"REPORT {"ref":"deployed-1","severity":"high","forms":["physical"]}"#))
        let id = try #require(receipt["incident"]?.stringValue)
        #expect(try okObject(try c.request("STATUS \(id)"))["state"] == "open")
        // Its files are its own and private.
        var st = stat()
        #expect(stat(daemon.folder + "/data/hotline.sqlite", &st) == 0)
        #expect(st.st_mode & 0o077 == 0)
        // Owned by the service user (or by the test's own user when it cannot switch).
        #expect(st.st_uid == (ServiceIdentity.account?.uid ?? getuid()))
        #expect(!daemon.log.contains("could not be set up"))
    }

    /// `hotlined --check-config` as the service user.
    static func check(_ config: String) throws -> (Int32, String) {
        try DaemonProcess.runHotlined(["--config", config, "--check-config"])
    }

    @Test func tokenAndConfigurationFilesAreCheckedLikeSSHDsStrictModes() throws {
        let daemon = try DaemonProcess()
        ServiceIdentity.own(daemon.folder)
        let tokens = daemon.folder + "/gateways.tokens"
        #expect(try Self.check(daemon.configPath).0 == 0)

        // A token file the service user cannot read says so (not "not UTF-8").
        if ServiceIdentity.account != nil {
            chown(tokens, 0, 0)
            chmod(tokens, 0o600)
        } else {
            chmod(tokens, 0o000)
        }
        let (code, text) = try Self.check(daemon.configPath)
        #expect(code == 78)
        #expect(text.contains("gateways.tokens (gateway token file): permission denied for user"), "\(text)")
        #expect(!text.contains("UTF-8"))

        // Writable by its group or by everyone: refused, with the fix.
        ServiceIdentity.own(daemon.folder)
        chmod(tokens, 0o660)
        let (groupCode, groupText) = try Self.check(daemon.configPath)
        #expect(groupCode == 78)
        #expect(groupText.contains("mode 660 lets its group change it; refusing it (run: chmod go-w"), "\(groupText)")
        chmod(tokens, 0o646)
        #expect(try Self.check(daemon.configPath).1.contains("lets every user change it"))
        chmod(tokens, 0o640)
        chmod(daemon.configPath, 0o666)
        let (configCode, configText) = try Self.check(daemon.configPath)
        #expect(configCode == 78)
        #expect(configText.contains("(configuration): mode 666"), "\(configText)")
        chmod(daemon.configPath, 0o644)
        #expect(try Self.check(daemon.configPath).0 == 0)
    }

    @Test func tokenIssueWritesTheFileForTheServiceGroupOnly() throws {
        let daemon = try DaemonProcess()
        ServiceIdentity.own(daemon.folder)
        let tokens = daemon.folder + "/gateways.tokens"
        chmod(tokens, 0o666)  // as a careless copy left it
        var before = stat()
        stat(tokens, &before)
        let (status, output) = try daemon.hotlinectl(["token", "issue", "HL-14638"])
        #expect(status == 0, "\(output)")
        var after = stat()
        stat(tokens, &after)
        #expect(after.st_mode & 0o777 == 0o640)
        #expect(after.st_uid == before.st_uid && after.st_gid == before.st_gid)
        // The daemon, as the service user, reads it and takes the new token.
        #expect(try Self.check(daemon.configPath).0 == 0)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let token = try #require(output.split(separator: "\n").first { !$0.hasPrefix("hotlinectl:") }.map(String.init))
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        #expect(try okObject(try c.request("AUTH HL-14638 \(token)"))["gateway"] == "HL-14638")
    }

    @Test func demoTokensRefuseEveryNonLoopbackListener() throws {
        // A TLS listener on every address.
        let folder = temporaryFolder()
        let fixtures = TLSFixture.path("server.pem")
        let daemon = try DaemonProcess(folder: folder) { c in
            var t = Configuration.TLS(certificate: fixtures, key: TLSFixture.path("server.key"))
            t.host = "0.0.0.0"
            t.port = 0
            c.tls = t
        }
        let (code, text) = try Self.check(daemon.configPath)
        #expect(code == 78)
        #expect(text.contains("refusing to listen on 0.0.0.0"), "\(text)")

        // A socket passed by systemd, bound to every address.
        let plain = try DaemonProcess()
        let port = DaemonProcess.freePort()
        try plain.start(launcher: ["/usr/bin/systemd-socket-activate", "-l", "0.0.0.0:\(port)"])
        defer { if plain.process?.isRunning == true { plain.kill(SIGKILL) } }
        // The first connection starts the daemon, which must refuse the socket and exit.
        let client = Wait.value(seconds: 10, every: 0.05) { try LineClient(port: port, timeoutSeconds: 10) }
        _ = try? client?.readLineOrEOF()
        Wait.until(seconds: 10) { plain.log.contains("refusing") }
        let log = plain.log
        #expect(log.contains("refusing to listen on 0.0.0.0"), "\(log)")
        #expect(!log.contains("] listening"))
    }

    @Test func queueToolsSayWhyTheyCannotReadTheQueue() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        let c = try daemon.gateway()
        _ = try okObject(try c.request(#"REPORT {"ref":"q-1","severity":"critical","forms":["physical"]}"#))
        daemon.kill(SIGTERM)
        // An operator who may not read the queue is told so, and the tools fail.
        var asOther: [String] = []
        if ServiceIdentity.account != nil {
            asOther = ["/usr/bin/setpriv", "--reuid", "1", "--regid", "1", "--clear-groups"]
        } else {
            chmod(daemon.folder + "/data/escalations.jsonl", 0)
        }
        let ctl = (Repository.hotlined as NSString).deletingLastPathComponent + "/hotlinectl"
        for arguments in [["tail", "--no-follow"], ["verify-queue"]] {
            let (status, output) = try DaemonProcess.run(command: asOther + [ctl, "--config", daemon.configPath] + arguments)
            #expect(status != 0, "\(arguments): \(output)")
            #expect(output.contains("Permission denied"), "\(arguments): \(output)")
            #expect(!output.contains("ok: 0 records"))
        }
        // A queue file that does not exist is not "0 records" either.
        try FileManager.default.removeItem(atPath: daemon.folder + "/data/escalations.jsonl")
        let (status, output) = try daemon.hotlinectl(["verify-queue"])
        #expect(status != 0)
        #expect(output.contains("no such file"), "\(output)")
    }
}
