import Foundation
import GRDB
import HotlineCore
import HotlineHarness
import HotlineStore

/// Fills a store with many incidents at once, for the restart and escalation benchmarks.
public enum StoreSeeder {
    static let columns = """
        gateway, ref, content_hash, commune, district, severity, requested_severity, forms, lat, lon, victims, children,
        vulnerable, injured, weapon, needs_shelter, reported_at, received_at, state, assigned, assigned_json, backups_json,
        shelter_json, ack_due, attend_due, next_due, closed_at, receipt
        """

    /// The seeded incidents' assignee and backup (SQL literals: assigned_json, backups_json).
    static func responders(_ commune: String) -> String {
        """
        '{"id":"PG-\(commune)-01","kind":"prevention_group","name":"G","phone":"000","distance_m":1}', \
        '[{"id":"TA-\(commune)-01","kind":"trusted_address","name":"T","phone":"000","distance_m":2}]'
        """
    }

    /// Creates (migrates) the database at `path`, then inserts `closed` closed incidents and
    /// `open` open ones whose acknowledgement deadline is `due`.
    /// With `spread` > 1, the open incidents' deadlines are spread evenly over that many seconds
    /// from `due`.
    public static func seed(path: String, closed: Int, open: Int, due: Timestamp, spread: Int = 1, commune: String = "14320") throws {
        let store = try IncidentStore(path: path)
        store.close()
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO incident (\(columns))
                    VALUES ('HL-\(commune)', ?, 'x', '\(commune)', '369', 'normal', 'normal', 'physical', 20.28, 105.96,
                        1, 0, 0, 0, 0, 0, ?, ?, ?, 'PG-\(commune)-01', \(responders(commune)), 'null', ?, ?, ?, ?, '{}')
                    """)
            let reported = due.seconds - 600
            for i in 0..<(closed + open) {
                let isOpen = i >= closed
                let d = due.seconds + Int64(isOpen ? (i - closed) % max(1, spread) : 0)
                try statement.execute(arguments: [
                    "seed-\(i)", reported, reported, isOpen ? "open" : "closed", d, d + 3600,
                    isOpen ? d : nil, isOpen ? nil : reported + 60,
                ])
            }
        }
    }

    /// The same open incidents in the database `database` of `cluster` (already migrated by
    /// the store), in one statement.
    public static func seedPostgres(
        _ cluster: PostgresCluster, database: String = "hotline", open: Int, due: Timestamp, spread: Int = 1,
        commune: String = "14320"
    ) throws {
        let reported = due.seconds - 600
        let d = "(\(due.seconds) + i % \(max(1, spread)))"
        try cluster.psql(
            """
            INSERT INTO incident (id, \(columns))
            SELECT nextval('incident_number'), 'HL-\(commune)', 'seed-' || i, 'x', '\(commune)', '369', 'normal', 'normal',
                'physical', 20.28, 105.96, 1, 0, 0, 0, 0, 0, \(reported), \(reported), 'open', 'PG-\(commune)-01',
                \(responders(commune)), 'null', \(d), \(d) + 3600, \(d), NULL, '{}'
            FROM generate_series(0, \(open - 1)) AS i;
            ANALYZE incident;
            """, database: database)
    }
}
