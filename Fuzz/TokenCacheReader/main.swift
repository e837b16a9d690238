// Fuzz target: the token cache reader (`CorpusTokens.open`), on a cache file's bytes.
//
// Contract: every file is either opened, or refused with a `Problem` (which the cache reports
// before encoding the corpus again). It never traps and never allocates what a header claims.
// A file it opens keeps its header's promises: every token names one of its characters, and
// each character occurs as often as the header says, so training reads only real tokens.
//
// A mutation of the data almost never keeps the header's checksum, so each input whose header
// decodes is opened a second time with the checksum of its data written in: the checks behind
// the checksum (the size, the character counts, the tokens themselves) see mutated data too.
import Foundation
import FuzzDriver
import Tokenization
@testable import Training

let scratch = ScratchFile(named: "corpus.tokens")

/// The header the input claims to have and where its data starts, if the header decodes.
func claimedHeader(_ bytes: UnsafeRawBufferPointer) -> (header: CorpusTokens.Header, dataOffset: Int)? {
    guard bytes.count >= 24 else { return nil }
    let length = (16..<24).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << UInt64(8 * ($1 - 16)) }
    guard length <= UInt64(bytes.count - 24),
          let header = try? JSONDecoder().decode(CorpusTokens.Header.self, from: Data(bytes[24 ..< 24 + Int(length)])) else { return nil }
    return (header, 24 + Int(length))
}

fuzz { bytes in
    guard let (header, dataOffset) = claimedHeader(bytes) else {
        // Refused, whatever it is opened as: any identity does.
        check(bytes, identity: CorpusTokens.Identity([], replacesInvalidUTF8: false))
        return
    }
    // With the identity the header names, so that mutations get past the identity check (a real
    // cache is opened with the identity of the files it was built from).
    check(bytes, identity: header.identity)
    var fixed = header
    var checksum = TokenChecksum()
    let data = UnsafeRawBufferPointer(rebasing: bytes[dataOffset...])
    checksum.update(data)
    fixed.checksum = checksum.hex
    var file = fixed.encoded()
    file.append(contentsOf: data)
    file.withUnsafeBytes { check($0, identity: header.identity) }
}

/// Opens `bytes` as a cache file and checks what the reader promises of a file it opens.
func check(_ bytes: UnsafeRawBufferPointer, identity: CorpusTokens.Identity) {
    scratch.write(bytes)
    let tokens: CorpusTokens
    switch CorpusTokens.open(scratch.path, expecting: identity) {
    case .failure: return
    case .success(let opened): tokens = opened
    }
    let characters = tokens.characters
    guard tokens.count >= 1, !characters.isEmpty, characters.reduce(0, { $0 + $1.count }) == tokens.count else {
        fuzzFailure("opened a file whose characters do not add up to its \(tokens.count) tokens")
    }
    let vocabulary = tokens.vocabulary
    let all: CachedTokens
    do { all = try tokens.tokens(in: 0 ..< tokens.count, vocabulary: vocabulary) } catch {
        fuzzFailure("its own vocabulary does not cover its characters: \(error)")
    }
    var values = [Int32](repeating: -1, count: tokens.count)
    all.copy(from: 0, count: tokens.count, to: &values)
    var occurrences = [Int](repeating: 0, count: vocabulary.count)
    for token in values {
        guard token >= 0, Int(token) < vocabulary.count else { fuzzFailure("opened a file holding token \(token), which names no character") }
        occurrences[Int(token)] += 1
    }
    for (index, character) in characters.enumerated() where occurrences[index] != character.count {
        fuzzFailure("opened a file whose header says \(character.scalar.escaped(asASCII: true)) occurs \(character.count) times, its tokens \(occurrences[index])")
    }
}
