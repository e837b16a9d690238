@_exported import CKernels

/// Fast logistic, tanh and exp, as used by the fused kernels (see ckernels.h): libm's `expf`
/// is an opaque call that stops vectorisation, so the kernels use a Cephes-style polynomial
/// with relative error below 3e-7, tested against libm in KernelsTests.
@inlinable
public func fastExp(_ x: Float) -> Float { ck_exp(x) }

/// σ(x) = 1 / (1 + e^−x).
@inlinable
public func fastSigmoid(_ x: Float) -> Float { ck_sigmoid(x) }

/// tanh(x) = 2σ(2x) − 1; absolute error below 3e-7.
@inlinable
public func fastTanh(_ x: Float) -> Float { ck_tanh(x) }
