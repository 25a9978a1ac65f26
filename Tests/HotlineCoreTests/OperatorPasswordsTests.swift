import HotlineCore
import Testing

/// The dashboard's operator file: scrypt lines, parsing, verification, editing.
struct OperatorPasswordsTests {
    @Test func aStoredPasswordVerifiesAndNothingElseDoes() throws {
        let line = try OperatorPasswords.line(name: "alice", password: "correct horse battery", n: 1024, r: 8, p: 1)
        #expect(line.hasPrefix("alice scrypt$1024$8$1$"))
        #expect(!line.contains("correct horse"))
        let file = try OperatorPasswords.parse("# operators\n" + line + "\n")
        #expect(file.verify(name: "alice", password: "correct horse battery"))
        #expect(!file.verify(name: "alice", password: "correct horse batterY"))
        #expect(!file.verify(name: "bob", password: "correct horse battery"))
        // Two lines for the same password differ (a fresh salt each time).
        #expect(try OperatorPasswords.line(name: "alice", password: "correct horse battery", n: 1024) != line)
    }

    @Test(arguments: [
        "alice", "alice sha256$abc", "alice scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "al ice scrypt$1024$8$1$a$b",
        "alice scrypt$1024$8$1$!!$AAAA", "a/b scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ])
    func malformedLinesAreRefusedWithTheirLine(text: String) {
        #expect(throws: OperatorPasswords.Failure.self) { try OperatorPasswords.parse("# ok\n" + text) }
    }

    @Test func editingKeepsOtherLinesAndComments() {
        let text = "# who may log in\nalice scrypt$a\nbob scrypt$b # night shift\n"
        let replaced = OperatorPasswords.set(text, name: "alice", line: "alice scrypt$c")
        #expect(replaced.found && replaced.text == "# who may log in\nalice scrypt$c\nbob scrypt$b # night shift\n")
        let removed = OperatorPasswords.set(text, name: "bob", line: nil)
        #expect(removed.found && removed.text == "# who may log in\nalice scrypt$a\n")
        let added = OperatorPasswords.set("", name: "carol", line: "carol scrypt$d")
        #expect(!added.found && added.text == "carol scrypt$d\n")
    }

    @Test func base64RoundTrips() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + n) & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.encode(Array("hello".utf8), url: true) == "aGVsbG8")
        #expect(Base64.decode("a===") == nil && Base64.decode("a b=") == nil)
    }
}
