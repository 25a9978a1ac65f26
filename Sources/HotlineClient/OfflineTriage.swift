import HotlineCore

/// Whom to call when the province server cannot be reached: the daemon's own triage (the
/// same `HotlineCore` code: distance, opening hours, backups, the nearest facility with
/// shelter beds) run on the gateway's copy of the directory. Marked everywhere as not yet
/// reported to the province; due times use the default windows.
public enum OfflineTriage {
    /// A receipt-shaped object (no incident id) for `report` as `gateway` would send it, or
    /// nil when the report would be refused or the gateway is not in the directory.
    public static func receipt(for report: JSONObject, gateway: String, directory: Directory, now: Timestamp) -> JSONObject? {
        guard let hotline = directory.hotlines[gateway],
            let request = try? ReportValidator.validate(report, commune: hotline.communeCode, directory: directory, now: now)
        else { return nil }
        let prepared = PreparedReport(request, directory: directory, deadlines: .defaults)
        // Which places are free is known only to the province: the nearest facility with beds.
        let text = prepared.receiptText(incident: "", shelterJSON: prepared.shelterCandidates.first?.jsonText ?? "null")
        guard case var .object(o) = try? JSONParser.parse(text) else { return nil }
        o["incident"] = nil
        o["offline"] = true
        return o
    }
}
