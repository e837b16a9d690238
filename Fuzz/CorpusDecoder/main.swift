// Fuzz target: the UTF-8 corpus decoder, whole (`UTF8Decoder`, as `CorpusReader` reads a file)
// and in chunks (`CorpusScan`, as the token cache reads a corpus larger than memory).
//
// Contract, against the Swift standard library's decoder as the independent reference: valid
// UTF-8 decodes to exactly the standard library's scalars; with `.replace`, any input decodes to
// the standard library's scalars with U+FFFD for each maximal invalid sequence; with `.fail`,
// invalid input is refused at the offset of its first bad byte (everything before it is valid,
// the standard library starts a replacement there). Reading in chunks of any size (the first
// input byte picks 1 to 16 bytes, and the policy) gives the same characters and the same offset
// as reading whole.
import Foundation
import FuzzDriver
@testable import Tokenization

/// The decoder's result: its characters, and the offset it refused the input at (if it did).
struct Decoded: Equatable {
    var scalars: [Unicode.Scalar] = []
    var refusedAt: Int?
}

func decodeWhole(_ bytes: UnsafeBufferPointer<UInt8>, policy: InvalidUTF8Policy) -> Decoded {
    var result = Decoded()
    do {
        try UTF8Decoder.decode(bytes, file: "input", policy: policy) { result.scalars.append($0) }
    } catch CorpusError.invalidUTF8(_, let offset) {
        result.refusedAt = offset
    } catch {
        fuzzFailure("the decoder threw \(error), not invalidUTF8")
    }
    return result
}

let scratch = ScratchFile(named: "corpus.txt")

func decodeInChunks(of size: Int, byteCount: Int, policy: InvalidUTF8Policy) -> Decoded {
    var result = Decoded()
    let file = CorpusFile(name: "input", path: scratch.path, size: byteCount, modified: 0)
    do {
        try CorpusScan.forEachChunk([file], chunkSize: size, progress: { _ in }) { chunk, name in
            try UTF8Decoder.decode(chunk, file: name, policy: policy) { result.scalars.append($0) }
        }
    } catch CorpusError.invalidUTF8(_, let offset) {
        result.refusedAt = offset
    } catch {
        fuzzFailure("the chunked reader threw \(error), not invalidUTF8")
    }
    return result
}

fuzz { input in
    guard let first = input.first else { return }
    let chunkSize = 1 + Int(first % 16)
    let text = UnsafeRawBufferPointer(rebasing: input.dropFirst()).bindMemory(to: UInt8.self)
    let reference = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
    let isValid = String(validating: text, as: UTF8.self) != nil

    let replaced = decodeWhole(text, policy: .replace)
    if replaced != Decoded(scalars: reference) { fuzzFailure("with .replace it decodes differently from the standard library") }

    let strict = decodeWhole(text, policy: .fail)
    if isValid {
        if strict != Decoded(scalars: reference) { fuzzFailure("valid UTF-8 is refused or decoded differently") }
    } else {
        guard let offset = strict.refusedAt, offset < text.count else { fuzzFailure("invalid UTF-8 is accepted") }
        let before = UnsafeBufferPointer(rebasing: text[..<offset])
        let after = String(decoding: UnsafeBufferPointer(rebasing: text[offset...]), as: UTF8.self).unicodeScalars.first
        if String(validating: before, as: UTF8.self) == nil || after != "\u{FFFD}"
            || text[offset...].starts(with: [0xEF, 0xBF, 0xBD]) {
            fuzzFailure("refused at byte \(offset), which is not where the first invalid sequence starts")
        }
        if strict.scalars != Array(String(decoding: before, as: UTF8.self).unicodeScalars) {
            fuzzFailure("the characters before the refused byte are not those of the valid prefix")
        }
    }

    scratch.write(UnsafeRawBufferPointer(text))
    let (policy, whole) = first & 0x10 == 0 ? (InvalidUTF8Policy.replace, replaced) : (.fail, strict)
    if decodeInChunks(of: chunkSize, byteCount: text.count, policy: policy) != whole {
        fuzzFailure("read in \(chunkSize)-byte chunks it decodes differently from whole (\(policy))")
    }
}
