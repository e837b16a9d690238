import Foundation
import XCTest

/// The sanitizer the suite was built with (`swift test --sanitize=thread` or `=address`), if
/// any. The charlstm binary the end-to-end tests run is built beside them, so it has the same.
/// Found through the runtime's own entry points, which only a sanitized build links in.
enum Sanitizer {
    static let active: String? = {
        let everywhere = UnsafeMutableRawPointer(bitPattern: 0)
        if dlsym(everywhere, "__tsan_init") != nil { return "Thread Sanitizer" }
        if dlsym(everywhere, "__asan_init") != nil { return "Address Sanitizer" }
        return nil
    }()

    /// Skips a test that runs charlstm under a file-size limit (`ulimit -f`): the sanitizers'
    /// runtime dies with SIGBUS there, before charlstm's own code could fail the write. The plain
    /// build runs these tests; under a sanitizer they say why they are skipped.
    static func skipUnderAFileSizeLimit() throws {
        if let active {
            throw XCTSkip("skipped under \(active): its runtime dies with SIGBUS under a file-size limit (ulimit -f); the plain build runs this test")
        }
    }
}
