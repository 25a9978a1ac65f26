import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineServer
import Logging
import Testing

struct ConfigurationRenderTests {
    @Test func aRenderedConfigurationReadsBackEqual() throws {
        var c = Configuration()
        c.server.host = "::1"
        c.server.port = 7301
        c.server.name = "render-test"
        c.storage.dataDir = "/var/lib/hotline"
        c.storage.backend = .postgresql
        c.storage.url = "postgresql://hotline@10.0.0.1:5432,10.0.0.2:5433/hotline"
        c.storage.passwordFile = "/etc/hotline/pg.password"
        c.storage.requireSynchronousCommit = false
        c.directoryPath = "/etc/hotline/ninh \"binh\""
        c.tokensPath = "/etc/hotline/gateways.tokens"
        c.queueFile = "/var/lib/hotline/escalations.jsonl"
        c.controlSocket = "/run/hotline/control.sock"
        c.deadlines.windows[.critical] = DeadlineWindows(ack: 61, attend: 3601)
        c.ladder = EscalationLadder(ackLevels: [1, 3, 5], attendFromLevel: 4)
        c.limits.rate = 2.5
        c.limits.maxUnauthenticatedPerPeer = 3
        c.limits.controlTimeout = 7
        c.maxShelterPerCommune = 4
        c.metricsListen = ("127.0.0.1", 9301)
        c.personalDataRetention = 90 * 86_400
        var read = try Configuration.parse(c.tomlText, baseDirectory: "/", name: "rendered")
        read.sourcePath = c.sourcePath
        #expect(read == c, "\(c.tomlText)")
    }

    @Test func storageBackendIsReadAndChecked() throws {
        let pg = try Configuration.parse(
            "[storage]\nbackend = \"postgresql\"\nurl = \"postgresql://hotline@a:5432,b/hotline\"\npassword_file = \"pg.pw\"\n",
            baseDirectory: "/etc/hotline", name: "x")
        #expect(pg.storage.backend == .postgresql)
        #expect(pg.storage.passwordFile == "/etc/hotline/pg.pw")
        #expect(pg.storage.requireSynchronousCommit)
        #expect(try Configuration.parse("", baseDirectory: "/", name: "x").storage.backend == .sqlite)
        for (bad, says) in [
            ("[storage]\nbackend = \"mysql\"\n", "storage.backend must be"),
            ("[storage]\nbackend = \"postgresql\"\n", "needs storage.url"),
            ("[storage]\nurl = \"postgresql://h@a/b\"\n", "is for backend"),
            ("[storage]\nbackend = \"postgresql\"\nurl = \"postgresql://h:secret@a/b\"\n", "must not hold a password"),
            ("[storage]\nrequire_synchronous_commit = \"no\"\n", "true or false"),
        ] {
            #expect {
                try Configuration.parse(bad, baseDirectory: "/", name: "x")
            } throws: { error in
                "\(error)".contains(says)
            }
        }
    }

    @Test func shelterCapIsReadAndChecked() throws {
        #expect(try Configuration.parse("", baseDirectory: "/", name: "x").maxShelterPerCommune == 10)
        #expect(try Configuration.parse("[triage]\nmax_shelter_per_commune = 3\n", baseDirectory: "/", name: "x").maxShelterPerCommune == 3)
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse("[triage]\nmax_shelter_per_commune = -1\n", baseDirectory: "/", name: "x")
        }
    }
}

struct SafeLogHandlerTests {
    final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var all: [String] = []
        func add(_ s: String) { lock.withLock { all.append(s) } }
    }

    @Test func aLogLineCannotBeForgedOrColoured() {
        let lines = Lines()
        var logger = Logger(label: "t") { label in
            SafeLogHandler(label: label, limiter: RepeatLimiter(burst: 100, windowSeconds: 10)) { lines.add($0) }
        }
        logger.logLevel = .info
        logger.notice("operator action", metadata: ["incident": "INC-1\nFORGED line \u{1B}[31m", "operator": "root"])
        #expect(lines.all.count == 1)
        let line = lines.all[0]
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().allSatisfy { $0 != "\n" })
        #expect(line.contains(#"incident=INC-1\nFORGED line \x1B[31m"#))
        #expect(line.contains("operator=root"))
    }

    @Test func repeatedLinesAreCountedNotWritten() {
        let lines = Lines()
        let clock = Lines()  // its count is the time
        let limiter = RepeatLimiter(burst: 3, windowSeconds: 10) { Int64(clock.all.count) }
        let logger = Logger(label: "t") { label in SafeLogHandler(label: label, limiter: limiter) { lines.add($0) } }
        for _ in 0..<100 { logger.warning("connection refused") }
        logger.warning("something else")
        #expect(lines.all.count == 4)
        for _ in 0..<10 { clock.add("tick") }
        logger.warning("connection refused")
        #expect(lines.all.count == 6)
        #expect(lines.all[4].contains("log.suppressed=97"))
        #expect(lines.all[4].contains("earlier: connection refused"))
    }
}
