import GRDB

/// The database schema, owned by one migrator. Migrations are append-only.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-incidents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE incident (
                        id INTEGER PRIMARY KEY,
                        gateway TEXT NOT NULL,
                        ref TEXT NOT NULL,
                        content_hash TEXT NOT NULL,
                        commune TEXT NOT NULL,
                        district TEXT NOT NULL,
                        village TEXT,
                        severity TEXT NOT NULL,
                        requested_severity TEXT NOT NULL,
                        forms TEXT NOT NULL,
                        lat REAL NOT NULL,
                        lon REAL NOT NULL,
                        victims INTEGER NOT NULL,
                        children INTEGER NOT NULL,
                        vulnerable INTEGER NOT NULL,
                        injured INTEGER NOT NULL,
                        weapon INTEGER NOT NULL,
                        needs_shelter INTEGER NOT NULL,
                        caller TEXT,
                        summary TEXT,
                        reported_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'open',
                        level INTEGER NOT NULL DEFAULT 0,
                        review INTEGER NOT NULL DEFAULT 0,
                        assigned TEXT,
                        assigned_json TEXT NOT NULL,
                        backups_json TEXT NOT NULL,
                        shelter TEXT,
                        shelter_json TEXT NOT NULL,
                        ack_due INTEGER,
                        attend_due INTEGER,
                        closed_at INTEGER,
                        receipt TEXT NOT NULL,
                        UNIQUE (gateway, ref)
                    );
                    CREATE INDEX incident_open_shelter ON incident (shelter) WHERE state != 'closed' AND shelter IS NOT NULL;
                    CREATE INDEX incident_commune ON incident (commune, reported_at);
                    CREATE TABLE history (
                        incident INTEGER NOT NULL REFERENCES incident (id),
                        at INTEGER NOT NULL,
                        event TEXT NOT NULL,
                        detail TEXT NOT NULL
                    );
                    CREATE INDEX history_incident ON history (incident);
                    """)
        }
        m.registerMigration("v2-cases-escalation") { db in
            try db.execute(
                sql: """
                    ALTER TABLE incident ADD COLUMN next_due INTEGER;
                    ALTER TABLE incident ADD COLUMN acknowledged_at INTEGER;
                    ALTER TABLE incident ADD COLUMN attended_at INTEGER;
                    ALTER TABLE incident ADD COLUMN offender_measures TEXT;
                    ALTER TABLE incident ADD COLUMN victim_support TEXT;
                    ALTER TABLE incident ADD COLUMN close_note TEXT;
                    ALTER TABLE incident ADD COLUMN retract_reason TEXT;
                    UPDATE incident SET next_due = CASE state WHEN 'open' THEN ack_due
                        WHEN 'acknowledged' THEN attend_due END;
                    CREATE INDEX incident_next_due ON incident (next_due) WHERE next_due IS NOT NULL;
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY,
                        incident INTEGER NOT NULL REFERENCES incident (id),
                        level INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        due INTEGER NOT NULL,
                        at INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        UNIQUE (incident, level, reason, due)
                    );
                    CREATE TABLE queue_state (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        last_seq INTEGER NOT NULL,
                        last_hash TEXT NOT NULL
                    );
                    INSERT INTO queue_state (id, last_seq, last_hash) VALUES (1, 0, '');
                    """)
        }
        m.registerMigration("v3-retention") { db in
            try db.execute(
                sql: """
                    ALTER TABLE incident ADD COLUMN personal_erased_at INTEGER;
                    CREATE INDEX incident_erasable ON incident (closed_at)
                        WHERE state = 'closed' AND personal_erased_at IS NULL;
                    """)
        }
        m.registerMigration("v4-open-index") { db in
            try db.execute(sql: "CREATE INDEX incident_open ON incident (severity) WHERE state != 'closed'")
        }
        m.registerMigration("v6-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        actor_kind TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        peer TEXT,
                        incident INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        shown TEXT NOT NULL
                    );
                    CREATE INDEX audit_at ON audit (at);
                    CREATE INDEX audit_incident ON audit (incident);
                    """)
        }
        m.registerMigration("v5-callback") { db in
            // Incidents stored before the field existed read as unknown.
            try db.execute(sql: "ALTER TABLE incident ADD COLUMN callback TEXT NOT NULL DEFAULT 'unknown'")
        }
        m.registerMigration("v7-escalations-once") { db in
            // An escalation is recorded once, as its outbox row, which STATUS shows in the
            // history; the history rows that repeated it go.
            try db.execute(sql: "DELETE FROM history WHERE event = 'escalated'")
        }
        m.registerMigration("v8-cheap-outbox-rows") { db in
            // An escalation row holds numbers and the assignee's JSON as stored; its queue line
            // is rendered by the queue file's thread (`record` stays for older rows, '' for new).
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN assigned TEXT;
                    ALTER TABLE outbox ADD COLUMN catch_up INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        m.registerMigration("v9-intake-indexes") { db in
            // Only the B-trees intake needs are written per report: (commune, reported_at) served
            // `hotlinectl incidents --commune`, which now reads by id and filters.
            try db.execute(sql: "DROP INDEX IF EXISTS incident_commune")
        }
        return m
    }
}
