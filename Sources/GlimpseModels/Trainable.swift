import GlimpseCore

/// A classifier whose parameters can be trained: a forward pass with batch norm in training mode over
/// an explicit parameter table, so that an optimiser can differentiate the loss with respect to it.
public protocol TrainableClassifier: Classifier {
    /// Every tensor of the model (weights and batch-norm running statistics), by state-dict key.
    var parameters: [String: Tensor] { get set }
    /// Keys of the tensors an optimiser updates (not the running statistics), in a fixed order.
    var trainableKeys: [String] { get }
    /// Logits of x [N, C, H, W] in [0, 1] computed from `parameters`, batch norm using the batch's statistics;
    /// also returns each batch-norm layer's statistics by its path (its keys are `path.running_mean/var`).
    func trainingLogits(_ x: Tensor, parameters: [String: Tensor]) throws -> (logits: Tensor, statistics: [String: BatchStatistics])
}
