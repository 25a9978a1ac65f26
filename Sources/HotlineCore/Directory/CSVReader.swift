/// Reads RFC 4180 CSV: comma-separated, fields optionally quoted with `"` (a doubled quote
/// inside), LF or CRLF line ends, an optional UTF-8 byte order mark.
public enum CSVReader {
    public struct Row: Sendable {
        /// 1-based line number where the row starts.
        public var line: Int
        public var fields: [String]
    }

    public struct Failure: Error, Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    public static func rows(_ data: [UInt8]) throws(Failure) -> [Row] {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            // Find the line with the bad bytes for the message.
            var line = 1
            var start = bytes.startIndex
            for i in bytes.indices where bytes[i] == 0x0A {
                if String(validating: bytes[start..<i], as: UTF8.self) == nil { break }
                line += 1
                start = i + 1
            }
            throw Failure(line: line, reason: "not valid UTF-8")
        }
        var rows: [Row] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var wasQuoted = false
        var i = bytes.startIndex
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while i < bytes.endIndex {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.endIndex, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                guard field.isEmpty, !wasQuoted else {
                    throw Failure(line: line, reason: "a quote inside an unquoted field")
                }
                inQuotes = true
                wasQuoted = true
            case UInt8(ascii: ","):
                endField()
            case 0x0D where i + 1 < bytes.endIndex && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                endField()
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
                fields = []
                line += 1
                rowLine = line
            default:
                guard !wasQuoted else { throw Failure(line: line, reason: "text after a closing quote") }
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw Failure(line: rowLine, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted {
            endField()
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}
