import XCTest
@testable import Kernels

final class ScratchArenaTests: XCTestCase {
    /// Buffers come from the borrowed memory, one after another, zeroed and 64-byte aligned,
    /// until it runs out; then they are allocated.
    func testScratchArena_carvesZeroedAlignedBuffersUntilTheMemoryRunsOut() {
        let memory = FloatBuffer(count: 100)
        memory.pointer.update(repeating: 7, count: 100)
        var arena = ScratchArena(borrowing: memory)
        let first = arena.buffer(count: 20), second = arena.buffer(count: 40), third = arena.buffer(count: 50)
        XCTAssertEqual(first.pointer, memory.pointer)
        XCTAssertEqual(second.pointer, memory.pointer + 32, "the second buffer starts at the next 64-byte boundary")
        for buffer in [first, second, third] {
            XCTAssertEqual(Int(bitPattern: buffer.pointer) % 64, 0)
            XCTAssertTrue(buffer.array.allSatisfy { $0 == 0 })
        }
        XCTAssertTrue(third.pointer < memory.pointer || third.pointer >= memory.pointer + 100,
                      "a buffer that does not fit in what is left is allocated, not carved")
        XCTAssertEqual(memory[80], 7, "memory past the carved buffers is left alone")
        var unbacked = ScratchArena(borrowing: nil)
        XCTAssertEqual(unbacked.buffer(count: 5).count, 5)
    }

    /// A borrowed view keeps its lender alive and frees nothing itself.
    func testFloatBuffer_borrowedViewKeepsItsOwnerAlive() {
        var view: FloatBuffer?
        weak var lender: FloatBuffer?
        do {
            let owner = FloatBuffer(count: 64)
            lender = owner
            view = FloatBuffer(borrowing: owner, offset: 16, count: 8)
            view![0] = 3
            XCTAssertEqual(owner[16], 3)
        }
        XCTAssertNotNil(lender, "the lender was freed while a view of it was alive")
        view = nil
        XCTAssertNil(lender)
    }
}
