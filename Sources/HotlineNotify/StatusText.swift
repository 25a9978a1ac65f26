import Foundation
import HotlineConfiguration
import HotlineCore

/// `hotline-notify status` as text.
public enum StatusText {
    public static func render(_ s: Ledger.Summary) -> String {
        let n = { (k: String) in s.states[k] ?? 0 }
        var lines = ["last seq read: \(s.lastSeq)"]
        lines.append(
            "messages: pending \(n("queued") + n("retry") + n("digest")) (in the gateway \(n("queued")), waiting to retry \(n("retry")), for the next digest \(n("digest")))"
        )
        lines.append("          sent \(n("sent")), failed for good \(n("gave_up")), undeliverable (no dialable number) \(n("undeliverable")), in digests \(n("digested"))")
        if let oldest = s.oldestPendingSeconds { lines.append("oldest pending: \(oldest) s") }
        let replies = s.replies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("replies: " + (replies.isEmpty ? "none" : replies.joined(separator: ", ")))
        lines.append("state: " + (s.problem.map { "STOPPED: \($0)" } ?? "ok"))
        return lines.joined(separator: "\n")
    }
}

/// `hotline-notify check`: loads everything the notifier needs and says what it found.
public enum NotifierCheck {
    public static func run(_ c: NotifyConfiguration) throws(Notifier.Failure) -> String {
        let (daemon, directory, contacts) = try NotifierInputs.load(c)
        let responders = directory.responders.filter { $0.kind.isAssignable }
        let dialable = responders.filter { PhoneNumber.msisdn($0.phone, countryCode: c.countryCode) != nil }.count
        let contactsDialable = contacts.byRoleAndScope.values.joined().filter { PhoneNumber.msisdn($0.phone, countryCode: c.countryCode) != nil }.count
        var missing: [String] = []
        for code in directory.communes.keys.sorted() {
            for role in ["commune_chairman", "commune_police"] where contacts.contacts(role: role, scope: code).isEmpty {
                missing.append("\(role) \(code)")
            }
        }
        if contacts.contacts(role: "province", scope: "*").isEmpty { missing.append("province *") }
        var lines = [
            "ok: queue \(daemon.queueFile), spool \(c.spool), control socket \(daemon.controlSocket)",
            "responders: \(dialable) of \(responders.count) have a dialable number",
            "contacts: \(contactsDialable) of \(contacts.count) have a dialable number",
        ]
        if !missing.isEmpty {
            lines.append("no contact for \(missing.count) role(s): " + missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? ", …" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// What the notifier reads at start, checked: the daemon's configuration (queue, directory,
/// control socket), the directory, the contacts, and the spool's folders. Every failure is a
/// configuration error (exit 78). Shared by `run` and `check`.
enum NotifierInputs {
    static func load(_ c: NotifyConfiguration) throws(Notifier.Failure)
        -> (daemon: HotlineConfiguration.Configuration, directory: Directory, contacts: Contacts)
    {
        do {
            let daemon = try HotlineConfiguration.Configuration.load(path: c.daemonConfig)
            let directory = try DirectoryLoader.load(folder: daemon.directoryPath)
            let contacts = try Contacts.load(path: c.contacts, directory: directory)
            try SmstoolsSpool(root: c.spool).check()
            return (daemon, directory, contacts)
        } catch {
            throw Notifier.Failure(description: "\(error)", exitCode: 78)
        }
    }
}
