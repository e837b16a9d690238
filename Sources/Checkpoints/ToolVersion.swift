/// The version of CharLSTM: what `charlstm --version` prints, what `info` shows, and what every
/// checkpoint written records (metadata `charlstm_version`), so a file says which build made it.
/// The one place it is set; bump it with each release.
public enum ToolVersion {
    public static let current = "0.14.0"
}
