/// Vectorised logistic and tanh over 16 lanes at a time.
///
/// libm's `expf` is scalar; the gate kernels evaluate millions of activations per training
/// step, so they use this Cephes-style `exp`: range reduction x = n·ln2 + r with |r| ≤ ln2/2,
/// a degree-6 polynomial for e^r, and 2^n assembled in the exponent bits. Relative error is
/// below 2e-7 over the clamped range, which the gradient checks and the PyTorch parity
/// script (1e-4 nats/char) both confirm is far inside what matters.
public typealias Lanes = SIMD16<Float>

@inlinable @inline(__always)
public func vexp(_ x: Lanes) -> Lanes {
    // Beyond ±87 e^x leaves Float's normal range; clamping keeps 2^n representable.
    // (A lane loop, not `clamped(…)`: the optimiser turns this into vector min/max, while the
    // generic standard-library method stays an out-of-line scalar call.)
    var x = x
    for k in 0..<16 { x[k] = x[k] < -87.0 ? -87.0 : (x[k] > 88.0 ? 88.0 : x[k]) }
    // Round x·log2(e) to the nearest integer n with the 1.5·2^23 trick: after the addition the
    // low mantissa bits of `shifted` hold n, so no float→int conversion is needed.
    let magic = Lanes(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    // r = x − n·ln2, with ln2 split in two so the subtraction is exact; |r| ≤ ln2/2.
    var r = x - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = Lanes(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    // 2^n: the bit pattern of `shifted` is 0x4B40_0000 + n; move n + 127 into the exponent field.
    let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: Lanes.self)
}

/// σ(x) = 1 / (1 + e^-x), lane-wise.
@inlinable @inline(__always)
public func vsigmoid(_ x: Lanes) -> Lanes {
    1 / (1 + vexp(-x))
}

/// tanh(x) = 2σ(2x) − 1, lane-wise; absolute error below 3e-7.
@inlinable @inline(__always)
public func vtanh(_ x: Lanes) -> Lanes {
    2 / (1 + vexp(-2 * x)) - 1
}

/// Loads 16 floats from `p + i`, or fewer (zero-padded) when `count` is short of 16.
@inlinable @inline(__always)
public func loadLanes(_ p: UnsafePointer<Float>, _ i: Int, count: Int) -> Lanes {
    if count - i >= 16 {
        return UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
    }
    var v = Lanes(repeating: 0)
    for j in 0..<(count - i) { v[j] = p[i + j] }
    return v
}

/// Stores the first `min(16, count - i)` lanes of `v` to `p + i`.
@inlinable @inline(__always)
public func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, count: Int) {
    if count - i >= 16 {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Lanes.self)
        return
    }
    for j in 0..<(count - i) { p[i + j] = v[j] }
}
