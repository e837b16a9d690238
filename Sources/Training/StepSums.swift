/// What a rank asks of the whole group as a step ends; every rank acts on what any rank asked.
struct StepRequests {
    /// Ctrl-C or SIGTERM reached this rank: all ranks save and stop after this step.
    var interrupt = false
    /// Rank 0's clock passed `--minutes`.
    var timeUp = false
    /// Rank 0's clock passed `--save-every-minutes` since the last checkpoint.
    var save = false
    /// The run's training time by rank 0's clock (0 on the other ranks, so the sum is rank 0's):
    /// what a schedule tied to `--minutes` reads.
    var trainingSeconds = 0.0
}

/// The numbers a step appends to the gradient it sums over the ranks, so that one all-reduce
/// carries all of them. Floats, as the gradient: the loss and the time travel as two each (the Float
/// value and the remainder), which keeps it exact to about 1e-14; counts and flags are small integers,
/// exact in a Float (flags sum to the number of ranks that raised them; a step's characters
/// stay below 2^24 because `TrainingMemory.check` refuses the activations of more).
struct StepSums {
    static let count = 8
    /// Summed cross-entropy (nats) over the characters.
    var loss: Double
    var characters: Int
    var requests: StepRequests

    init(loss: Double, characters: Int, requests: StepRequests) {
        self.loss = loss
        self.characters = characters
        self.requests = requests
    }

    init(loadingFrom p: UnsafePointer<Float>) {
        loss = Double(p[0]) + Double(p[1])
        characters = Int(p[2])
        requests = StepRequests(interrupt: p[3] > 0, timeUp: p[4] > 0, save: p[5] > 0,
                                trainingSeconds: Double(p[6]) + Double(p[7]))
    }

    func store(into p: UnsafeMutablePointer<Float>) {
        let high = Float(loss)
        p[0] = high
        p[1] = Float(loss - Double(high))
        p[2] = Float(characters)
        p[3] = requests.interrupt ? 1 : 0
        p[4] = requests.timeUp ? 1 : 0
        p[5] = requests.save ? 1 : 0
        let seconds = Float(requests.trainingSeconds)
        p[6] = seconds
        p[7] = Float(requests.trainingSeconds - Double(seconds))
    }
}
