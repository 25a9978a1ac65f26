import ArgumentParser
import Foundation
import HotlineClient
import HotlineCore

enum Outcome {
    static let accepted: Int32 = 0
    static let refused: Int32 = 65  // EX_DATAERR
    static let cannotSave: Int32 = 74  // EX_IOERR
    static let spooled: Int32 = 75  // EX_TEMPFAIL
    static let credentials: Int32 = 77  // EX_NOPERM
}
