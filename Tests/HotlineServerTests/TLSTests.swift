import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineServer
import Logging
import Testing

@Suite(.serialized)
struct TLSTests {
    static func tls(clientCA: Bool) -> (inout Configuration) -> Void {
        { c in
            var t = Configuration.TLS(
                certificate: TLSTestClient.fixture("server.pem"), key: TLSTestClient.fixture("server.key"))
            t.host = "127.0.0.1"
            t.port = 0
            if clientCA { t.clientCA = TLSTestClient.fixture("ca.pem") }
            c.tls = t
        }
    }

    @Test func aRealTLSClientReportsOverTLS() async throws {
        let server = try await TestServer(configure: Self.tls(clientCA: false))
        let port = try await server.tlsPort()
        let c = try TLSTestClient(port: port)
        #expect(try c.readLine() == "HLP/1 test-hotline ready")
        #expect(try okObject(try c.request("AUTH HL-14320 demo-HL-14320"))["gateway"] == "HL-14320")
        let receipt = try okObject(try c.request(#"REPORT {"ref":"tls-1","severity":"low","forms":["economic"]}"#))
        #expect(receipt["duplicate"] == false)
        #expect(try c.request("QUIT") == #"OK {"bye":true}"#)
        // Plain TCP on loopback keeps working beside it.
        let plain = try server.gateway()
        #expect(try okObject(try plain.request(#"REPORT {"ref":"tls-1","severity":"low","forms":["economic"]}"#))["duplicate"] == true)
        // A client speaking plain text to the TLS port gets no HLP service.
        let confused = try TestClient(port: port)
        try? confused.send("PING\n")
        #expect((try? confused.readLineOrEOF()) ?? nil == nil)
        try await server.stop()
    }

    @Test func mutualTLSBindsTheCertificateToItsGateway() async throws {
        let server = try await TestServer(configure: Self.tls(clientCA: true))
        let port = try await server.tlsPort()
        let c = try TLSTestClient(port: port, clientCertificate: "client-HL-14320")
        _ = try c.readLine()
        // The certificate names HL-14320: another gateway's valid token is refused.
        #expect(errCode(try c.request("AUTH HL-14323 demo-HL-14323")) == "auth-failed")
        #expect(try okObject(try c.request("AUTH HL-14320 demo-HL-14320"))["gateway"] == "HL-14320")
        // Without a certificate, or with one from another CA, there is no session at all.
        let anonymous = try TLSTestClient(port: port)
        #expect((try? anonymous.readLineOrEOF()) ?? nil == nil)
        let rogue = try TLSTestClient(port: port, clientCertificate: "rogue-HL-14320")
        #expect((try? rogue.readLineOrEOF()) ?? nil == nil)
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
