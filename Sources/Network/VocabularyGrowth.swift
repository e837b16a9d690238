extension CharModel {
    /// This model with a vocabulary grown to `size` characters, for fine-tuning on text with new
    /// characters: every tensor whose leading dimension is the vocabulary (the embedding, the
    /// decoder's weight and bias) keeps its rows for the old characters and gets, for the new
    /// ones, the rows a fresh model with `seed` would have, so they start exactly as a new
    /// model's characters do. Every other tensor is copied unchanged.
    public func growingVocabulary(to size: Int, seed: UInt64) -> CharModel {
        precondition(size >= configuration.vocabularySize, "a vocabulary only grows")
        var grown = configuration
        grown.vocabularySize = size
        let result = CharModel(configuration: grown, seed: seed)
        for old in layout.tensors {
            let new = result.layout.tensor(old.name)
            // Rows are contiguous (row-major), so the old rows are the first `old.count` values.
            result.parameters.at(new.offset).update(from: parameters.at(old.offset), count: old.count)
        }
        return result
    }
}
