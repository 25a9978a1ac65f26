import HotlineCore

/// Someone a message goes to.
public struct Recipient: Sendable, Equatable {
    /// The record's role: responder, commune_chairman, commune_police, child_protection,
    /// district, province.
    public var role: String
    /// The responder's id, the commune or district code, or `*` for the province.
    public var party: String
    public var name: String
    /// As the directory or the contacts file writes it.
    public var phone: String
    /// Dialable international digits, or nil: such a recipient is recorded as undeliverable.
    public var msisdn: String?

    public init(role: String, party: String, name: String, phone: String, msisdn: String?) {
        (self.role, self.party, self.name, self.phone, self.msisdn) = (role, party, name, phone, msisdn)
    }

    /// Whom the ledger names: the number, or the party when there is no dialable number.
    public var key: String { msisdn ?? "none-" + role + "-" + party }
}

/// Turns a record's `notify` list into recipients, with numbers from the directory (responders)
/// and the contacts file (everyone else). One message per number per record: a chairman who
/// is also the commune's police contact gets one.
public struct RecipientResolver: Sendable {
    public var directory: Directory
    public var contacts: Contacts
    public var countryCode: String

    public init(directory: Directory, contacts: Contacts, countryCode: String) {
        self.directory = directory
        self.contacts = contacts
        self.countryCode = countryCode
    }

    public func recipients(_ record: QueueRecord) -> [Recipient] {
        var out: [Recipient] = []
        var seen = Set<String>()
        func add(_ r: Recipient) {
            if seen.insert(r.key).inserted { out.append(r) }
        }
        for p in record.notify {
            switch p.role {
            case "responder":
                guard let id = p.id else { continue }
                let r = directory.responder(id: id)
                let phone = r?.phone ?? p.phone ?? ""
                add(Recipient(role: p.role, party: id, name: r?.name ?? id, phone: phone,
                              msisdn: PhoneNumber.msisdn(phone, countryCode: countryCode)))
            default:
                let scope: String
                switch p.role {
                case "province": scope = "*"
                case "district": scope = p.district ?? record.district ?? ""
                default: scope = p.commune ?? record.commune ?? ""
                }
                let found = contacts.contacts(role: p.role, scope: scope)
                if found.isEmpty {
                    // Nobody on file: recorded, so that status shows whom the contacts file lacks.
                    add(Recipient(role: p.role, party: scope, name: "", phone: "", msisdn: nil))
                }
                for c in found {
                    add(Recipient(role: p.role, party: scope, name: c.name, phone: c.phone,
                                  msisdn: PhoneNumber.msisdn(c.phone, countryCode: countryCode)))
                }
            }
        }
        return out
    }
}
