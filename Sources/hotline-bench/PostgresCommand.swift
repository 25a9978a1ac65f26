import ArgumentParser
import Foundation
import HotlineBench
import HotlineCore
import HotlineHarness

/// Intake on PostgreSQL beside pgbench on the same machine, without and with a synchronous
/// standby: each run on throwaway servers on loopback (`PostgresCluster`).
struct PostgresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Intake on PostgreSQL (64 x 16 and 143 x 1) beside pgbench, without and with a synchronous standby.",
        discussion: """
            pgbench runs a one-row and a 64-row transaction (64 INSERTs of a report-sized row, unique \
            (gateway, ref)) from 64 clients with synchronous_commit = on. Then hotlined (the build \
            next to this tool) on the same server, loaded by hotline-loadgen's generator. Release builds.
            """)
    @OptionGroup var paths: Paths
    @Option(help: "Transactions per pgbench client for the one-row run (the 64-row run does 1/40 of it).")
    var transactions = 2000
    @Option(help: "Reports per intake run.") var reports = 20_000

    func run() throws {
        print("mode        load                          figure")
        for standby in [false, true] {
            let primary = try PostgresCluster()
            var replica: PostgresCluster?
            if standby {
                replica = try PostgresCluster(standbyOf: primary)
                try primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
                try primary.psql("SELECT pg_reload_conf()")
                var waited = 0
                while try primary.psql("SELECT sync_state FROM pg_stat_replication") != "sync", waited < 300 {
                    usleep(100_000)
                    waited += 1
                }
            }
            let mode = standby ? "sync standby" : "one server  "
            try pgbench(primary, mode: mode)
            try intake(primary, mode: mode)
            withExtendedLifetime(replica) {}
        }
    }

    private func pgbench(_ cluster: PostgresCluster, mode: String) throws {
        try cluster.psql(
            "CREATE TABLE bench (id bigserial PRIMARY KEY, gateway text NOT NULL, ref text NOT NULL, body text NOT NULL, UNIQUE (gateway, ref))")
        let folder = Paths.temporary("pgbench")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let insert = "INSERT INTO bench (gateway, ref, body) VALUES ('HL-' || :client_id, md5(random()::text), repeat('x', 600));"
        try (insert + "\n").write(toFile: folder + "/one.sql", atomically: true, encoding: .utf8)
        try ("BEGIN;\n" + String(repeating: insert + "\n", count: 64) + "COMMIT;\n")
            .write(toFile: folder + "/batch.sql", atomically: true, encoding: .utf8)
        chmod(folder, 0o755)
        for (name, rows, count) in [("one", 1, transactions), ("batch", 64, max(1, transactions / 40))] {
            chmod(folder + "/\(name).sql", 0o644)
            let output = try DaemonProcess.run(command: [
                // -t, not -T: pgbench 15 ran on past -T here.
                "/usr/bin/pgbench", "-n", "-c", "64", "-j", "2", "-t", "\(count)", "-f", folder + "/\(name).sql",
                "-h", "127.0.0.1", "-p", "\(cluster.port)", "-U", "postgres", "hotline",
            ]).output
            let tps = output.split(separator: "\n").first { $0.hasPrefix("tps = ") }
                .flatMap { Double($0.dropFirst(6).prefix { $0 != " " }) } ?? 0
            let latency = output.split(separator: "\n").first { $0.hasPrefix("latency average = ") }.map { $0.dropFirst(18) } ?? "?"
            print(
                String(format: "%@ pgbench %2d-row tx x 64 clients    %8.0f tx/s = %8.0f rows/s (latency avg %@)", mode, rows, tps,
                    tps * Double(rows), String(latency)))
        }
    }

    private func intake(_ cluster: PostgresCluster, mode: String) throws {
        let folder = Paths.temporary("pgintake")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try cluster.psql("CREATE DATABASE intake", database: "postgres")
        let daemon = try DaemonProcess(
            files: .init(hotlined: paths.binary, directory: paths.absoluteDirectory, tokens: paths.absoluteTokens), folder: folder
        ) { c in
            DaemonProcess.unlimited(&c)
            c.storage.backend = .postgresql
            c.storage.url = "postgresql://postgres@127.0.0.1:\(cluster.port)/intake"
        }
        try daemon.start(arguments: ["--log-level", "notice"])
        defer { daemon.kill(SIGTERM) }
        let gateways = try paths.gateways()
        for (connections, pipeline) in [(64, 16), (143, 1)] {
            let cpuBefore = daemon.cpuMilliseconds
            let result = try LoadGenerator.run(
                .init(
                    host: "127.0.0.1", port: daemon.port, connections: connections, pipeline: pipeline, reports: reports,
                    gateways: gateways, tokenPrefix: "demo-", runID: String(UUID().uuidString.prefix(8))))
            let cpu = Double(daemon.cpuMilliseconds - cpuBefore) * 1000 / Double(max(1, result.receipts))
            print(
                String(
                    format: "%@ hotlined %3d x %-2d                 %8.0f receipts/s, p50 %.1f ms, p99 %.1f ms, %d errors, daemon %.0f µs CPU/receipt",
                    mode, connections, pipeline, result.perSecond, result.percentile(50) * 1000, result.percentile(99) * 1000,
                    result.errors, cpu))
        }
    }
}
