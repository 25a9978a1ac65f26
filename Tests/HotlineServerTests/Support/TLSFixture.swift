import Foundation

/// The test CA, server and client certificates (Fixtures/tls).
enum TLSFixture {
    static func path(_ name: String) -> String {
        Bundle.module.path(forResource: "Fixtures/tls/" + name, ofType: nil)
            ?? Repository.root + "/Tests/HotlineServerTests/Fixtures/tls/" + name
    }
}
