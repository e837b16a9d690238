import Checkpoints

/// The version of this library, the same as `charlstm`'s: `CharLSTM.version`.
///
/// It follows semantic versioning for the public API of the `CharLSTM` module (see
/// <doc:Versioning>): while it starts with 0, a minor release (0.x) may change the API and says
/// how in CHANGELOG.md; a patch release (0.x.y) never does.
public let version: String = ToolVersion.current
