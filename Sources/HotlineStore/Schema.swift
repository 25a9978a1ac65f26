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
        return m
    }
}
