/// The schema on PostgreSQL, beside SQLite's (`Schema`): the same tables and columns, so that
/// the store runs the same statements on both. Integers, booleans (0/1) and times (Unix
/// seconds) are BIGINT; history and audit rows have a BIGSERIAL id for their order (SQLite's
/// rowid); incident numbers come from the sequence `incident_number`. Migrations are
/// append-only, numbered in `hotline_schema`, and run by the daemon holding the serving lock.
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [
        (
            "v1-hotline",
            """
            CREATE SEQUENCE incident_number;
            CREATE TABLE incident (
                id BIGINT PRIMARY KEY,
                gateway TEXT NOT NULL,
                ref TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                commune TEXT NOT NULL,
                district TEXT NOT NULL,
                village TEXT,
                severity TEXT NOT NULL,
                requested_severity TEXT NOT NULL,
                forms TEXT NOT NULL,
                lat DOUBLE PRECISION NOT NULL,
                lon DOUBLE PRECISION NOT NULL,
                victims BIGINT NOT NULL,
                children BIGINT NOT NULL,
                vulnerable BIGINT NOT NULL,
                injured BIGINT NOT NULL,
                weapon BIGINT NOT NULL,
                needs_shelter BIGINT NOT NULL,
                caller TEXT,
                summary TEXT,
                reported_at BIGINT NOT NULL,
                received_at BIGINT NOT NULL,
                state TEXT NOT NULL DEFAULT 'open',
                level BIGINT NOT NULL DEFAULT 0,
                review BIGINT NOT NULL DEFAULT 0,
                assigned TEXT,
                assigned_json TEXT NOT NULL,
                backups_json TEXT NOT NULL,
                shelter TEXT,
                shelter_json TEXT NOT NULL,
                ack_due BIGINT,
                attend_due BIGINT,
                closed_at BIGINT,
                receipt TEXT NOT NULL,
                next_due BIGINT,
                acknowledged_at BIGINT,
                attended_at BIGINT,
                offender_measures TEXT,
                victim_support TEXT,
                close_note TEXT,
                retract_reason TEXT,
                personal_erased_at BIGINT,
                callback TEXT NOT NULL DEFAULT 'unknown',
                UNIQUE (gateway, ref)
            );
            CREATE INDEX incident_open_shelter ON incident (shelter) WHERE state != 'closed' AND shelter IS NOT NULL;
            CREATE INDEX incident_commune ON incident (commune, reported_at);
            CREATE INDEX incident_next_due ON incident (next_due) WHERE next_due IS NOT NULL;
            CREATE INDEX incident_erasable ON incident (closed_at) WHERE state = 'closed' AND personal_erased_at IS NULL;
            CREATE INDEX incident_open ON incident (severity) WHERE state != 'closed';
            CREATE TABLE history (
                id BIGSERIAL PRIMARY KEY,
                incident BIGINT NOT NULL REFERENCES incident (id),
                at BIGINT NOT NULL,
                event TEXT NOT NULL,
                detail TEXT NOT NULL
            );
            CREATE INDEX history_incident ON history (incident);
            CREATE TABLE outbox (
                seq BIGINT PRIMARY KEY,
                incident BIGINT NOT NULL REFERENCES incident (id),
                level BIGINT NOT NULL,
                reason TEXT NOT NULL,
                due BIGINT NOT NULL,
                at BIGINT NOT NULL,
                record TEXT NOT NULL,
                assigned TEXT,
                catch_up BIGINT NOT NULL DEFAULT 0,
                UNIQUE (incident, level, reason, due)
            );
            CREATE INDEX outbox_incident ON outbox (incident);
            CREATE TABLE queue_state (
                id BIGINT PRIMARY KEY CHECK (id = 1),
                last_seq BIGINT NOT NULL,
                last_hash TEXT NOT NULL
            );
            INSERT INTO queue_state (id, last_seq, last_hash) VALUES (1, 0, '');
            CREATE TABLE audit (
                id BIGSERIAL PRIMARY KEY,
                at BIGINT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                peer TEXT,
                incident BIGINT NOT NULL,
                action TEXT NOT NULL,
                shown TEXT NOT NULL
            );
            CREATE INDEX audit_at ON audit (at);
            CREATE INDEX audit_incident ON audit (incident);
            """
        ),
        // As SQLite's v9: intake writes only the B-trees it needs.
        ("v2-intake-indexes", "DROP INDEX IF EXISTS incident_commune"),
    ]

    /// Applies the migrations not yet applied, each in its own transaction.
    static func migrate(_ db: PostgresSession) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS hotline_schema (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        let applied = Set(try db.query("SELECT name FROM hotline_schema").map { try $0[0] as String })
        for (name, sql) in migrations where !applied.contains(name) {
            try db.execute("BEGIN")
            do {
                // One statement at a time (the extended protocol takes one per message).
                for statement in sql.split(separator: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    try db.execute(String(statement), [])
                }
                try db.execute("INSERT INTO hotline_schema (name) VALUES (?)", name)
                try db.execute("COMMIT")
            } catch {
                _ = try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
