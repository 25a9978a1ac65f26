import HotlineHarness
import Foundation
import HotlineClient
import HotlineConfiguration
import HotlineCore
import HotlineLineClient
import HotlineServer
import Logging
import Testing

@Suite(.serialized)
struct TLSTests {
    static func tls(clientCA: Bool) -> (inout Configuration) -> Void {
        { c in
            var t = Configuration.TLS(
                certificate: TLSFixture.path("server.pem"), key: TLSFixture.path("server.key"))
            t.host = "127.0.0.1"
            t.port = 0
            if clientCA { t.clientCA = TLSFixture.path("ca.pem") }
            c.tls = t
        }
    }

    /// The gateway kit's client over TLS, trusting the test CA, optionally with a client certificate.
    static func client(_ port: Int, certificate: String? = nil) throws -> HLPConnection {
        try HLPConnection(
            host: "127.0.0.1", port: port,
            tls: TLSOptions(
                caFile: TLSFixture.path("ca.pem"), certificateFile: certificate.map { TLSFixture.path($0 + ".pem") },
                keyFile: certificate.map { TLSFixture.path($0 + ".key") }, serverName: "localhost"))
    }

    static func ok(_ reply: HLPReply) throws -> JSONObject {
        guard case let .ok(o) = reply else { throw LineClient.Failure(description: "not OK: \(reply)") }
        return o
    }

    @Test func aRealTLSClientReportsOverTLS() async throws {
        let server = try await TestServer(configure: Self.tls(clientCA: false))
        let port = try await server.tlsPort()
        let c = try Self.client(port)
        #expect(c.greeting == "HLP/1 test-hotline ready")
        #expect(try Self.ok(try c.request("AUTH HL-14320 demo-HL-14320"))["gateway"] == "HL-14320")
        let receipt = try Self.ok(try c.request(#"REPORT {"ref":"tls-1","severity":"low","forms":["economic"]}"#))
        #expect(receipt["duplicate"] == false)
        #expect(try c.request("QUIT") == .ok(["bye": true]))
        // Plain TCP on loopback keeps working beside it.
        let plain = try server.gateway()
        #expect(try okObject(try plain.request(#"REPORT {"ref":"tls-1","severity":"low","forms":["economic"]}"#))["duplicate"] == true)
        // A client speaking plain text to the TLS port gets no HLP service.
        let confused = try LineClient(port: port)
        try? confused.send("PING\n")
        #expect((try? confused.readLineOrEOF()) ?? nil == nil)
        try await server.stop()
    }

    @Test func mutualTLSBindsTheCertificateToItsGateway() async throws {
        let server = try await TestServer(configure: Self.tls(clientCA: true))
        let port = try await server.tlsPort()
        let c = try Self.client(port, certificate: "client-HL-14320")
        // The certificate names HL-14320: another gateway's valid token is refused.
        guard case let .err(code, _) = try c.request("AUTH HL-14323 demo-HL-14323") else {
            Issue.record("another gateway's token was accepted")
            return
        }
        #expect(code == "auth-failed")
        #expect(try Self.ok(try c.request("AUTH HL-14320 demo-HL-14320"))["gateway"] == "HL-14320")
        // Without a certificate, or with one from another CA, there is no session at all: not
        // even the greeting.
        #expect(throws: HLPClientError.self) { try Self.client(port) }
        #expect(throws: HLPClientError.self) { try Self.client(port, certificate: "rogue-HL-14320") }
        try await server.stop()
    }

    @Test func tlsConfigurationErrors() throws {
        let folder = temporaryFolder()
        let bad = folder + "/bad.toml"
        try "[server]\nlisten = \"0.0.0.0:7300\"\n[tls]\ncertificate = \"a.pem\"\nkey = \"a.key\"\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: bad) }
        let missing = folder + "/missing.toml"
        try "[tls]\ncertificate = \"nope.pem\"\nkey = \"nope.key\"\n".write(toFile: missing, atomically: true, encoding: .utf8)
        var c = try Configuration.load(path: missing)
        c.storage.dataDir = folder + "/data"
        c.directoryPath = Repository.sampleDirectory
        c.tokensPath = Repository.sampleTokens
        c.queueFile = folder + "/data/q.jsonl"
        #expect(throws: ConfigurationError.self) {
            try HotlineApp(configuration: c, logger: .init(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
    }
}
