import HotlineCore
import Testing

struct JSONTests {
    @Test func roundTrips() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\u00e9\n\"x\""},"d":"\ud83d\ude00"}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?["d"]?.stringValue == "😀")
        #expect(value.objectValue?["b"]?.objectValue?["c"]?.stringValue == "é\n\"x\"")
        #expect(try JSONParser.parse(value.jsonText) == value)
    }

    @Test func equalityIgnoresOrderAndSpaceButNotValues() throws {
        let a = try JSONParser.parse(#"{"x":1,"y":[true,"s"]}"#)
        let b = try JSONParser.parse(#" { "y" : [ true , "s" ] , "x" : 1.0 } "#)
        let c = try JSONParser.parse(#"{"x":1,"y":[true,"s"],"z":null}"#)
        #expect(a == b)
        #expect(a.canonicalBytes == b.canonicalBytes)
        #expect(a != c)
        #expect(a.canonicalBytes != c.canonicalBytes)
        // Composed and decomposed é are different strings on the wire.
        let composed = try JSONParser.parse("\"\u{00E9}\"")
        let decomposed = try JSONParser.parse("\"e\u{0301}\"")
        #expect(composed != decomposed)
        #expect(composed.canonicalBytes != decomposed.canonicalBytes)
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\"}", "{\"a\":}", "01", "1.", "-", ".5", "1e", "tru", "nul", "\"\u{01}\"",
        "\"\\ud800\"", "\"\\udc00x\"", "1 2", "NaN", "Infinity", "1e999", "\"abc",
        "1e-400", "-2.5e-999", "0.0000001e-330",
    ])
    func refusesMalformed(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func depthAndDuplicates() {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONParser.Failure.tooDeep) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        #expect(throws: JSONParser.Failure.duplicateKey("a")) { try JSONParser.parse(#"{"a":1,"b":2,"a":1}"#) }
    }

    @Test func zerosThatAreZeroStayNumbers() throws {
        for text in ["0", "-0", "0e-999", "0.000e5", "1e-300"] { #expect(try JSONParser.parse(text).numberValue != nil) }
    }

    @Test func integers() throws {
        #expect(try JSONParser.parse("3").integerValue == 3)
        #expect(try JSONParser.parse("3.0").integerValue == 3)
        #expect(try JSONParser.parse("3.5").integerValue == nil)
        #expect(try JSONParser.parse("1e300").integerValue == nil)
        #expect(try JSONParser.parse("\"3\"").integerValue == nil)
    }
}

@Suite struct JSONTextTests {
    @Test(arguments: [
        (#"[{"id":"a","x":[1,2]},{"id":"b,]\"}"}]"#, [#"{"id":"a","x":[1,2]}"#, #"{"id":"b,]\"}"}"#]),
        ("[]", []),
        ("null", []),
        (#"["a",1,null,[[]]]"#, [#""a""#, "1", "null", "[[]]"]),
    ])
    func splitsAnArrayIntoItsElementsText(_ text: String, _ expected: [String]) {
        #expect(JSONText.arrayElements(text).map(String.init) == expected)
    }
}

@Suite struct JSONTextMemberTests {
    @Test func readsATopLevelStringMember() {
        #expect(JSONText.stringMember(#"{"x":{"id":"inner"},"id":"PG-1","n":2}"#, "id") == "PG-1")
        #expect(JSONText.stringMember(#"{"name":"\"id\":\"no\"","id":"yes"}"#, "id") == "yes")
        #expect(JSONText.stringMember(#"{"id":1}"#, "id") == nil)
        #expect(JSONText.stringMember(#"{"id":"a\"b"}"#, "id") == nil)
        #expect(JSONText.stringMember("null", "id") == nil)
    }
}
