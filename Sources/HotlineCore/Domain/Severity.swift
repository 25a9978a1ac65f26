/// How urgent a report is. Ordered from least to most urgent.
public enum Severity: String, Sendable, CaseIterable, Comparable {
    case low, normal, high, critical

    var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// The four forms of domestic violence named by the law.
public enum ViolenceForm: String, Sendable, CaseIterable, Comparable {
    case physical, psychological, sexual, economic

    public static func < (a: ViolenceForm, b: ViolenceForm) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
