import HotlineCore
import Testing

@Suite struct TOMLTests {
    @Test func readsTheFormsTheConfigurationUses() throws {
        let text = """
            # comment
            top = "x"   # trailing comment
            [server]
            listen = "127.0.0.1:7300"
            name = 'literal \\ no escapes'
            max_line_bytes = 65_536
            [escalation]
            ack_levels = [1, 2,
              3, # comment in an array
            ]
            [deadlines]
            critical = { ack = "10m", attend = "1h" }
            [limits]
            rate = 0.5
            big = 1e3
            neg = -7
            hex = 0xff
            flag = true
            off = false
            "quoted key" = "\\u00e9\\t\\"q\\""
            a.b.c = 1
            [x.y]
            z = []
            """
        let t = try TOML.parse(text)
        #expect(t.keys == ["top", "server", "escalation", "deadlines", "limits", "x"])
        #expect(t["top"]?.string == "x")
        let server = try #require(t["server"]?.table)
        #expect(server.keys == ["listen", "name", "max_line_bytes"])
        #expect(server["name"]?.string == #"literal \ no escapes"#)
        #expect(server["max_line_bytes"]?.int == 65_536)
        #expect(t["escalation"]?.table?["ack_levels"]?.array == [.integer(1), .integer(2), .integer(3)])
        #expect(t["deadlines"]?.table?["critical"]?.table?["attend"]?.string == "1h")
        let limits = try #require(t["limits"]?.table)
        #expect(limits["rate"]?.double == 0.5)
        #expect(limits["big"]?.double == 1000)
        #expect(limits["neg"]?.int == -7)
        #expect(limits["hex"]?.int == 255)
        #expect(limits["flag"]?.bool == true && limits["off"]?.bool == false)
        #expect(limits["quoted key"]?.string == "é\t\"q\"")
        #expect(limits["a"]?.table?["b"]?.table?["c"]?.int == 1)
        #expect(t["x"]?.table?["y"]?.table?["z"]?.array == [])
    }

    @Test(arguments: [
        ("[$directory]\n", 1, 2, "expected a key"),
        ("a = 1\na = 2\n", 2, 6, "defined twice"),
        ("[s]\n[s]\n", 2, 4, "defined twice"),
        ("a = {b = 1}\n[a]\n", 2, 4, "already a value"),
        ("a = \"open\n", 1, 10, "unterminated string"),
        ("a = 01\n", 1, 5, "badly formed"),
        ("a = 1__0\n", 1, 5, "badly formed"),
        ("a = 99999999999999999999\n", 1, 5, "out of range"),
        ("a = 2026-11-29\n", 1, 5, "dates and times"),
        ("a = yes\n", 1, 5, "needs quotes"),
        ("a = 1 b = 2\n", 1, 7, "end of the line"),
        ("a = \"\"\"x\"\"\"\n", 1, 5, "multi-line strings"),
        ("[[t]]\n", 1, 1, "arrays of tables"),
        ("a = \"\\q\"\n", 1, 8, "unknown escape"),
        ("a = \"\\uD800\"\n", 1, 12, "not a Unicode scalar"),
        ("a = \"x\u{1}\"\n", 1, 7, "control character"),
        ("a = [1 2]\n", 1, 8, "expected , or ]"),
        ("a = {b = 1,}\n", 1, 12, "expected a key"),
        ("a = 1\r\rb = 2\n", 1, 6, "carriage return"),
        ("a = trueish\n", 1, 5, "needs quotes"),
    ])
    func refusesWithLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        #expect {
            _ = try TOML.parse(text)
        } throws: { error in
            guard let e = error as? TOMLError else { return false }
            return e.line == line && e.column == column && e.message.contains(message)
        }
    }

    @Test func nestingIsBounded() {
        let deep = "a = " + String(repeating: "[", count: 10_000) + "\n"
        #expect {
            _ = try TOML.parse(deep)
        } throws: { error in
            (error as? TOMLError)?.message.contains("nested deeper than \(TOML.maxDepth)") == true
        }
        let ok = "a = " + String(repeating: "[", count: TOML.maxDepth) + String(repeating: "]", count: TOML.maxDepth) + "\n"
        #expect(throws: Never.self) { try TOML.parse(ok) }
    }
}
