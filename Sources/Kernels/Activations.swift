/// The fused elementwise kernels (recurrent cells, softmax loss, the packed recurrent product) and
/// the fast exp, σ and tanh they use live in C (`Sources/CKernels`, see ckernels.h): Swift's
/// optimiser left those transcendental loops scalar, while C compiled for the building CPU
/// vectorises them. Everything that imports Kernels sees them.
@_exported import CKernels
