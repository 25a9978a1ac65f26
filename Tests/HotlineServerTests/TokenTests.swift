import HotlineHarness
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore
import HotlineServer
import Testing

@Suite(.serialized)
struct TokenTests {
    @Test func issueReloadRevokeClosesConnections() async throws {
        let folder = temporaryFolder()
        let tokens = folder + "/gateways.tokens"
        try FileManager.default.copyItem(atPath: Repository.sampleTokens, toPath: tokens)
        ServiceIdentity.own(folder)  // the token file is the service's, as in deployment
        let configPath = try TestServer.writeConfigFile(folder: folder, tokens: tokens)
        let config = try Configuration.load(path: configPath)
        let token = try TokenCommands.issue(gateway: "HL-14638", configuration: config)
        #expect(token.count == 43)
        let text = try String(contentsOfFile: tokens, encoding: .utf8)
        #expect(!text.contains(token))
        #expect(text.contains("HL-14638 sha256:\(SHA256.hexHash(Array(token.utf8)))"))
        #expect(text.components(separatedBy: "\nHL-14638 ").count == 2)  // replaced, not added
        #expect(text.hasPrefix("# Gateway tokens"))  // comments kept

        let server = try await TestServer(folder: folder, configFile: configPath)
        let c = try server.client()
        _ = try c.readLine()
        #expect(errCode(try c.request("AUTH HL-14638 demo-HL-14638")) == "auth-failed")
        #expect(try okObject(try c.request("AUTH HL-14638 \(token)"))["gateway"] == "HL-14638")
        let bystander = try server.gateway("14320")

        // Revoke, reload: the gateway's open connection is closed, others stay.
        try TokenCommands.revoke(gateway: "HL-14638", configuration: config)
        #expect(try server.reload())
        #expect(try c.readLineOrEOF() == nil)
        #expect(try bystander.request("PING") == #"OK {"pong":true}"#)
        let again = try server.client()
        _ = try again.readLine()
        #expect(errCode(try again.request("AUTH HL-14638 \(token)")) == "auth-failed")
        #expect(throws: TokenCommands.Failure.self) { try TokenCommands.revoke(gateway: "HL-14638", configuration: config) }
        #expect(throws: TokenCommands.Failure.self) { try TokenCommands.issue(gateway: "HL-00000", configuration: config) }

        // A broken token file on reload: the old tokens stay in force.
        try "HL-14320 sha256:nothex\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        #expect(try !server.reload())
        let still = try server.gateway("14323")
        #expect(try still.request("PING") == #"OK {"pong":true}"#)
        try await server.stop()
    }

    /// A token file that does not exist yet takes the group of its folder (the service's, as
    /// tmpfiles makes /etc/hotline), not a group named `hotline` nor the caller's.
    @Test func aNewTokenFileTakesItsFoldersGroup() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let etc = folder + "/etc"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        // The service's group: nogroup when the tests run as root (the daemon's), else ours.
        let group = ServiceIdentity.account?.gid ?? getegid()
        chown(etc, 0, group)
        chmod(etc, 0o750)
        var config = Configuration()
        config.tokensPath = etc + "/gateways.tokens"
        config.directoryPath = Repository.sampleDirectory
        _ = try TokenCommands.issue(gateway: "HL-14638", configuration: config)
        var st = stat()
        #expect(stat(config.tokensPath, &st) == 0)
        #expect(st.st_gid == group)
        #expect(st.st_mode & 0o777 == 0o640)
        // The service user reads it through that group.
        if ServiceIdentity.account != nil {
            #expect(ServiceIdentity.run(ServiceIdentity.launcher + ["/usr/bin/test", "-r", config.tokensPath]) == 0)
        }
    }
}
