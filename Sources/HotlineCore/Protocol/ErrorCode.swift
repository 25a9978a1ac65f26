/// The error codes of HLP/1 (hotline-protocol(7), "Error codes").
public enum ErrorCode: String, Sendable, CaseIterable {
    case syntax
    case unknownCommand = "unknown-command"
    case authRequired = "auth-required"
    case authFailed = "auth-failed"
    case forbidden
    case tooLong = "too-long"
    case invalid
    case notFound = "not-found"
    case conflict
    case rateLimited = "rate-limited"
    case unavailable
    case `internal`
}

/// An error that becomes one `ERR <code> <text>` reply line.
public struct HLPError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var text: String

    public init(_ code: ErrorCode, _ text: String) {
        self.code = code
        self.text = text
    }

    /// A field breaks its rule; the text starts with the field's name.
    public static func invalid(field: String, _ rule: String) -> HLPError {
        HLPError(.invalid, "field \"\(field)\" \(rule)")
    }
}
