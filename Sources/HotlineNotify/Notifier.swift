import Foundation
import GRDB
import HotlineConfiguration
import HotlineControl
import HotlineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Turns every escalation queue record into SMS messages through smstools, exactly once per
/// (seq, recipient): a record's messages are spooled under names made of the seq and the
/// number, then the ledger records them and the cursor in one transaction. A notifier killed
/// in between finds its files under those names on restart and does not write them again.
///
/// One thread drives it (`run`); each turn reads new records, then, about once a second,
/// collects the gateway's outcomes, sends due retries and digests, and handles replies.
public final class Notifier {
    public let configuration: NotifyConfiguration
    public let spool: SmstoolsSpool
    public let ledger: Ledger
    let daemon: HotlineConfiguration.Configuration
    let resolver: RecipientResolver
    let texts: MessageText
    let follower: QueueFollower
    let logger: Logger
    /// Milliseconds since the epoch.
    let clock: () -> Int64
    let control: (ControlRequest) throws -> JSONObject
    private var lastHousekeeping: Int64 = 0
    private var lastMetrics: Int64 = 0
    private var controlDownLogged: Int64 = 0
    /// Records up to this seq may have files from a run killed before it recorded them (that
    /// run handled at most one batch beyond the cursor it started from): only for those is the
    /// spool searched before a file is written.
    private let recoveryUntil: Int64

    /// At most this many records per transaction.
    public static let batchLimit = 512
    static let prefix = "hotline-"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// What the process exits with: 78 (EX_CONFIG) for configuration, 65 (EX_DATAERR) for
        /// a broken queue chain, 74 (EX_IOERR) for a spool or ledger failure.
        public var exitCode: Int32
    }

    public init(
        configuration: NotifyConfiguration, logger: Logger,
        clock: @escaping () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        control: ((ControlRequest) throws -> JSONObject)? = nil
    ) throws(Failure) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        let inputs = try NotifierInputs.load(configuration)
        daemon = inputs.daemon
        let directory = inputs.directory
        let contacts = inputs.contacts
        resolver = RecipientResolver(directory: directory, contacts: contacts, countryCode: configuration.countryCode)
        texts = MessageText(directory: directory, language: configuration.language, utcOffset: configuration.utcOffset)
        spool = SmstoolsSpool(root: configuration.spool)
        let socket = daemon.controlSocket
        self.control = control ?? { request in try ControlClient.request(socket: socket, request) }
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            ledger = try Ledger(folder: configuration.stateDir)
            let cursor = try ledger.cursor()
            follower = QueueFollower(path: daemon.queueFile, afterSeq: cursor.seq, hash: cursor.hash)
            recoveryUntil = cursor.seq + Int64(Self.batchLimit)
        } catch {
            throw Failure(description: "\(configuration.stateDir): \(error)", exitCode: 74)
        }
        spool.removeTemporaries(prefix: Self.prefix)
        let undialable = directory.responders.filter { $0.kind.isAssignable && PhoneNumber.msisdn($0.phone, countryCode: configuration.countryCode) == nil }.count
        if undialable > 0 {
            logger.warning("responders without a dialable number: their messages are recorded as undeliverable",
                           metadata: ["responders": "\(undialable)"])
        }
    }

    /// Runs until `shouldStop` says so. Throws what stops it (a broken chain, a spool that
    /// cannot be written), after recording it in the ledger and the metrics file.
    public func run(shouldStop: () -> Bool) throws(Failure) {
        logger.info("following the escalation queue", metadata: ["queue.file": "\(follower.path)", "cursor.seq": "\(follower.lastSeq)"])
        while !shouldStop() {
            let busy: Bool
            do {
                busy = try turn()
            } catch let failure {
                let now = clock() / 1000
                try? ledger.setProblem(failure.description, at: now)
                writeMetrics(now: now, broken: failure.exitCode == 65)
                logger.critical("notifier stopped", metadata: ["reason": "\(failure.description)"])
                throw failure
            }
            if !busy { usleep(100_000) }
        }
        writeMetrics(now: clock() / 1000, broken: false)
    }

    /// One turn: new records, then (about once a second) outcomes, retries, digests, replies.
    /// True when there were records.
    @discardableResult
    public func turn() throws(Failure) -> Bool {
        let records: [(record: JSONObject, hash: String)]
        do {
            records = try follower.poll(limit: Self.batchLimit)
        } catch {
            throw Failure(description: "escalation queue chain broken: \(error.description)", exitCode: 65)
        }
        if !records.isEmpty { try handle(records) }
        let now = clock()
        if now - lastHousekeeping >= 1000 || records.isEmpty && now - lastHousekeeping >= 250 {
            lastHousekeeping = now
            try housekeeping(now: now / 1000)
        }
        if now - lastMetrics >= 5000 {
            lastMetrics = now
            writeMetrics(now: now / 1000, broken: false)
        }
        return !records.isEmpty
    }

    /// Outcomes, retries, digests, replies.
    public func housekeeping(now: Int64) throws(Failure) {
        do {
            try collectOutcomes(now: now)
            try sendRetries(now: now)
            try sendDigests(now: now)
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(description: "\(error)", exitCode: 74)
        }
        if configuration.replies { handleReplies(now: now) }
    }

    // MARK: Records

    func handle(_ batch: [(record: JSONObject, hash: String)]) throws(Failure) {
        let ms = clock()
        let now = ms / 1000
        var stats = (spooled: 0, digest: 0, undeliverable: 0)
        do {
            try ledger.write { db in
                var rates: [String: (start: Int64, count: Int)] = [:]
                var wrote = false
                for (o, _) in batch {
                    guard let record = QueueRecord(o) else { continue }
                    for r in resolver.recipients(record) {
                        let name = Self.prefix + "\(record.seq)-\(r.key)"
                        var text = ""
                        var state = "queued"
                        if let msisdn = r.msisdn {
                            var rate = try rates[msisdn] ?? Self.rate(db, msisdn)
                            if now - rate.start >= configuration.window { rate = (now, 0) }
                            if record.seq <= recoveryUntil, spool.locate(name) != nil {
                                text = texts.text(record, for: r)
                                rate.count += 1  // spooled before a restart: not again
                            } else if rate.count >= configuration.perRecipient {
                                state = "digest"
                            } else {
                                text = texts.text(record, for: r)
                                try spool.write(
                                    name: name,
                                    bytes: SmstoolsSpool.file(to: msisdn, text: text, headers: [("Hotline-Seq", "\(record.seq)")]))
                                wrote = true
                                rate.count += 1
                            }
                            rates[msisdn] = rate
                        } else {
                            state = "undeliverable"
                        }
                        switch state {
                        case "queued": stats.spooled += 1
                        case "digest": stats.digest += 1
                        default: stats.undeliverable += 1
                        }
                        try db.execute(
                            sql: """
                                INSERT OR IGNORE INTO message (name, seq, recipient, role, party, incident, state, attempts,
                                    record_at, spooled_ms, handled_ms, parts, body, commune, updated_at)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                                """,
                            arguments: [
                                name, record.seq, r.key, r.role, r.party, record.incident, state, state == "queued" ? 1 : 0,
                                record.at.seconds, state == "queued" ? clock() : nil, clock(), MessageText.parts(text), text,
                                record.commune, now,
                            ])
                    }
                }
                if wrote { try spool.syncOutgoing() }
                for (msisdn, rate) in rates {
                    try db.execute(
                        sql: """
                            INSERT INTO recipient_rate (recipient, window_start, count) VALUES (?, ?, ?)
                            ON CONFLICT(recipient) DO UPDATE SET window_start = excluded.window_start, count = excluded.count
                            """, arguments: [msisdn, rate.start, rate.count])
                }
                let last = batch[batch.count - 1]
                try db.execute(
                    sql: "UPDATE cursor SET seq = ?, hash = ? WHERE id = 1",
                    arguments: [Int64(last.record["seq"]?.integerValue ?? 0), last.hash])
            }
        } catch let e as SmstoolsSpool.Failure {
            throw Failure(description: "cannot spool a message: \(e.description)", exitCode: 74)
        } catch {
            throw Failure(description: "ledger: \(error)", exitCode: 74)
        }
        logger.debug(
            "records handled",
            metadata: [
                "records": "\(batch.count)", "cursor.seq": "\(follower.lastSeq)", "messages.spooled": "\(stats.spooled)",
                "messages.digest": "\(stats.digest)", "messages.undeliverable": "\(stats.undeliverable)",
            ])
    }

    static func rate(_ db: Database, _ msisdn: String) throws -> (start: Int64, count: Int) {
        let row = try Row.fetchOne(db, sql: "SELECT window_start, count FROM recipient_rate WHERE recipient = ?", arguments: [msisdn])
        return (row?["window_start"] ?? 0, row?["count"] ?? 0)
    }

    // MARK: Outcomes and retries

    func collectOutcomes(now: Int64) throws {
        let rows = try ledger.read { db in
            try Row.fetchAll(db, sql: "SELECT name, attempts, role, party, incident FROM message WHERE state = 'queued'")
        }
        var changes: [(name: String, state: String, nextTry: Int64?, reason: String?)] = []
        for row in rows {
            let name: String = row["name"]
            switch spool.locate(name) {
            case .sent?:
                changes.append((name, "sent", nil, nil))
            case let .failed(reason)?:
                let attempts: Int = row["attempts"]
                if attempts >= configuration.maxAttempts {
                    changes.append((name, "gave_up", nil, reason))
                    logger.error(
                        "gave up on a message: the gateway failed every attempt",
                        metadata: [
                            "incident": "\(row["incident"] as String? ?? "-")", "role": "\(row["role"] as String)",
                            "party": "\(row["party"] as String)", "attempts": "\(attempts)", "message": "\(name.hashPrefix)",
                        ])
                } else {
                    let delay = min(3600, configuration.backoff << min(20, Int64(attempts - 1)))
                    changes.append((name, "retry", now + delay, reason))
                    logger.warning(
                        "the gateway failed a message; it will be sent again",
                        metadata: ["incident": "\(row["incident"] as String? ?? "-")", "role": "\(row["role"] as String)",
                                   "attempts": "\(attempts)", "retry.in_s": "\(delay)"])
                }
            case .queued?, nil:
                continue
            }
        }
        guard !changes.isEmpty else { return }
        try ledger.write { db in
            for c in changes {
                try db.execute(
                    sql: "UPDATE message SET state = ?, next_try = ?, fail_reason = coalesce(?, fail_reason), updated_at = ? WHERE name = ?",
                    arguments: [c.state, c.nextTry, c.reason, now, c.name])
            }
        }
        writeMetrics(now: now, broken: false)
    }

    func sendRetries(now: Int64) throws {
        let rows = try ledger.read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, recipient, attempts, body, seq FROM message WHERE state = 'retry' AND next_try <= ? LIMIT 500",
                arguments: [now])
        }
        guard !rows.isEmpty else { return }
        var moves: [(old: String, new: String)] = []
        for row in rows {
            let old: String = row["name"]
            let attempts: Int = row["attempts"]
            let new = Self.baseName(old) + "-r\(attempts + 1)"
            if spool.locate(new) == nil {
                try spool.write(
                    name: new,
                    bytes: SmstoolsSpool.file(
                        to: row["recipient"], text: row["body"], headers: [("Hotline-Seq", "\(row["seq"] as Int64)")]))
            }
            moves.append((old, new))
        }
        try spool.syncOutgoing()
        let ms = clock()
        try ledger.write { db in
            for m in moves {
                try db.execute(
                    sql: "UPDATE message SET name = ?, state = 'queued', attempts = attempts + 1, next_try = NULL, spooled_ms = ?, updated_at = ? WHERE name = ?",
                    arguments: [m.new, ms, now, m.old])
            }
        }
    }

    static func baseName(_ name: String) -> String {
        if let r = name.range(of: "-r", options: .backwards), !name[r.upperBound...].isEmpty,
            name[r.upperBound...].allSatisfy({ $0.isASCII && $0.isNumber })
        {
            return String(name[..<r.lowerBound])
        }
        return name
    }

    // MARK: Digests

    func sendDigests(now: Int64) throws {
        let rows = try ledger.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.recipient, count(*) AS n, group_concat(coalesce(m.commune, ''), ',') AS communes,
                        min(m.record_at) AS first_at, coalesce(r.digests, 0) AS digests, coalesce(r.last_digest, 0) AS last_digest
                    FROM message m LEFT JOIN recipient_rate r ON r.recipient = m.recipient
                    WHERE m.state = 'digest' GROUP BY m.recipient
                    """)
        }
        for row in rows {
            let lastDigest: Int64 = row["last_digest"]
            guard now - lastDigest >= configuration.digestEvery else { continue }
            let recipient: String = row["recipient"]
            let number: Int = row["digests"] + 1
            let name = Self.prefix + "digest-\(recipient)-\(number)"
            let communes = (row["communes"] as String? ?? "").split(separator: ",").map(String.init)
            let text = texts.digest(count: row["n"], communes: communes)
            if spool.locate(name) == nil {
                try spool.write(name: name, bytes: SmstoolsSpool.file(to: recipient, text: text, headers: [("Hotline-Digest", "\(number)")]))
                try spool.syncOutgoing()
            }
            let ms = clock()
            try ledger.write { db in
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO message (name, seq, recipient, role, party, state, attempts, record_at, spooled_ms,
                            parts, body, updated_at)
                        VALUES (?, 0, ?, 'digest', '', 'queued', 1, ?, ?, ?, ?, ?)
                        """,
                    arguments: [name, recipient, row["first_at"] as Int64, ms, MessageText.parts(text), text, now])
                try db.execute(
                    sql: "UPDATE message SET state = 'digested', digest = ?, updated_at = ? WHERE recipient = ? AND state = 'digest'",
                    arguments: [name, now, recipient])
                try db.execute(
                    sql: "UPDATE recipient_rate SET digests = ?, last_digest = ? WHERE recipient = ?",
                    arguments: [number, now, recipient])
            }
            logger.info("digest spooled", metadata: ["records": "\(row["n"] as Int)", "digest": "\(number)"])
        }
    }

    // MARK: Replies

    func handleReplies(now: Int64) {
        let names = spool.incomingNames()
        guard !names.isEmpty else { return }
        let handled: Set<String>
        do {
            handled = Set(try ledger.read { db in try String.fetchAll(db, sql: "SELECT name FROM incoming") })
        } catch {
            logger.error("ledger: cannot read the replies handled", metadata: ["error": "\(error)"])
            return
        }
        for name in names where !handled.contains(name) {
            let outcome: String
            do {
                outcome = try reply(name)
            } catch {
                // The daemon is not reachable: try again on a later turn.
                if now - controlDownLogged >= 60 {
                    controlDownLogged = now
                    logger.warning("cannot reach the daemon for an SMS acknowledgement; will retry", metadata: ["error": "\(error)"])
                }
                return
            }
            do {
                try ledger.write { db in
                    try db.execute(sql: "INSERT OR IGNORE INTO incoming VALUES (?, ?, ?)", arguments: [name, now, outcome])
                }
            } catch {
                logger.error("ledger: cannot record a reply", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    struct ControlUnavailable: Error, CustomStringConvertible { var description: String }

    /// Handles one received message; its outcome for the ledger. Throws when the daemon cannot
    /// be reached (the message is handled later).
    func reply(_ name: String) throws -> String {
        guard let message = spool.received(name) else { return "unreadable" }
        if message.isStatusReport { return "report" }
        guard let incident = ReplyParser.acknowledgement(message.text) else {
            logger.info("incoming sms not understood (not OK INC-…)")
            return "not_understood"
        }
        let from = PhoneNumber.msisdn(message.from, countryCode: configuration.countryCode)
        var show = ControlRequest("show")
        show.incident = incident
        let view: JSONObject
        do {
            view = try control(show)
        } catch let f as ControlClient.Failure where f.description.hasPrefix("not-found") || f.description.hasPrefix("invalid") {
            logger.notice("incoming acknowledgement for an unknown incident", metadata: ["incident": "\(incident)"])
            return "unknown_incident"
        } catch let f as ControlClient.Failure where f.description.hasPrefix("cannot reach") || f.description.hasPrefix("the daemon") {
            throw ControlUnavailable(description: f.description)
        } catch {
            logger.notice("incoming acknowledgement refused by the daemon", metadata: ["incident": "\(incident)", "error": "\(error)"])
            return "refused"
        }
        let v = view["incident"]?.objectValue ?? view
        var ids: [String] = []
        if let a = v["assigned"]?.objectValue?["id"]?.stringValue { ids.append(a) }
        for b in v["backups"]?.arrayValue ?? [] { if let id = b.objectValue?["id"]?.stringValue { ids.append(id) } }
        guard let from,
            let responder = ids.first(where: { id in
                resolver.directory.responder(id: id).flatMap { PhoneNumber.msisdn($0.phone, countryCode: configuration.countryCode) } == from
            })
        else {
            logger.notice("incoming acknowledgement from a number that is not a responder of the incident: ignored",
                          metadata: ["incident": "\(incident)"])
            return "not_responder"
        }
        var ack = ControlRequest("ack")
        ack.incident = incident
        ack.responder = responder
        do {
            _ = try control(ack)
        } catch let f as ControlClient.Failure where f.description.hasPrefix("cannot reach") || f.description.hasPrefix("the daemon") {
            throw ControlUnavailable(description: f.description)
        } catch {
            logger.notice("sms acknowledgement refused by the daemon", metadata: ["incident": "\(incident)", "responder": "\(responder)", "error": "\(error)"])
            return "refused"
        }
        logger.notice("acknowledged by sms", metadata: ["incident": "\(incident)", "responder": "\(responder)"])
        return "acknowledged"
    }

    // MARK: Metrics

    /// `<state_dir>/metrics.prom`, Prometheus text for node_exporter's textfile collector.
    func writeMetrics(now: Int64, broken: Bool) {
        guard let s = try? ledger.summary(now: now) else { return }
        var text = "# HELP hotline_notify_cursor_seq Last escalation queue seq handled.\n# TYPE hotline_notify_cursor_seq gauge\n"
        text += "hotline_notify_cursor_seq \(s.lastSeq)\n"
        text += "# HELP hotline_notify_messages Messages by state.\n# TYPE hotline_notify_messages gauge\n"
        for state in ["queued", "sent", "retry", "gave_up", "undeliverable", "digest", "digested"] {
            text += "hotline_notify_messages{state=\"\(state)\"} \(s.states[state] ?? 0)\n"
        }
        text += "# HELP hotline_notify_replies Incoming messages by outcome.\n# TYPE hotline_notify_replies gauge\n"
        for (k, v) in s.replies.sorted(by: { $0.key < $1.key }) { text += "hotline_notify_replies{outcome=\"\(k)\"} \(v)\n" }
        text += "# HELP hotline_notify_chain_broken 1 when the queue's hash chain is broken and the notifier stopped.\n"
        text += "# TYPE hotline_notify_chain_broken gauge\nhotline_notify_chain_broken \(broken ? 1 : 0)\n"
        let path = configuration.stateDir + "/metrics.prom"
        try? text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
        rename(path + ".tmp", path)
    }
}

extension String {
    /// A message name without the number in it, for logs: `hotline-17-…`.
    var hashPrefix: String {
        let parts = split(separator: "-")
        return parts.count >= 2 ? parts[0] + "-" + parts[1] + "-…" : self
    }
}
