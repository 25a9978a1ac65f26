/// The rules by which the server raises a report's severity. The receipt shows the result.
///
/// 1. A weapon is involved: at least `high`.
/// 2. Someone is injured and children are among the victims or present: `critical`.
/// 3. A weapon is involved and someone is injured: `critical`.
///
/// Severity is never lowered.
public enum SeverityRules {
    public static func inForce(requested: Severity, weapon: Bool, injured: Bool, children: Int) -> Severity {
        var s = requested
        if weapon { s = max(s, .high) }
        if injured && children > 0 { s = .critical }
        if weapon && injured { s = .critical }
        return s
    }
}
