import Crypto

/// SHA-256, through swift-crypto (BoringSSL's implementation on Linux). Used for token hashes,
/// report content hashes and the escalation queue's hash chain. The FIPS 180-4 test vectors in
/// the test suite check how it is called (streaming, empty input, block boundaries).
public struct SHA256 {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update<Bytes: Sequence>(_ data: Bytes) where Bytes.Element == UInt8 {
        if let done = data.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) {
            return done
        }
        hasher.update(data: Array(data))
    }

    public func finalize() -> [UInt8] { Array(hasher.finalize()) }

    public static func hash<Bytes: Sequence>(_ data: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var h = SHA256()
        h.update(data)
        return h.finalize()
    }

    public static func hexHash<Bytes: Sequence>(_ data: Bytes) -> String where Bytes.Element == UInt8 {
        hex(hash(data))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
