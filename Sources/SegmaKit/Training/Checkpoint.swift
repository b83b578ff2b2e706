import Foundation

/// Checkpoints: everything `--resume` needs to continue exactly as an uninterrupted
/// run would: parameters, Adam moments and step, epochs done, the shuffling
/// generator's state, and the settings it was trained with (checked on resume).
public enum Checkpoint {
  /// Writes the checkpoint (atomically, through `ModelFile.write`).
  public static func write(_ trainer: Trainer, to path: String, summary: StepMetrics) throws(ModelFileError) {
    var config = finalConfig(trainer, summary: summary)
    let random = trainer.random.state
    config.training["checkpoint.epoch"] = String(trainer.epoch)
    config.training["checkpoint.adam_step"] = String(trainer.model.parameters.step)
    config.training["checkpoint.random"] = [random.0, random.1, random.2, random.3].map { String($0, radix: 16) }
      .joined(separator: ",")
    let store = trainer.model.parameters
    var tensors = trainer.model.namedTensors()
    for tensor in store.slots {
      let range = tensor.offset..<(tensor.offset + tensor.count)
      tensors.append(NamedTensor(name: "adam.m." + tensor.name, shape: tensor.shape, values: Array(store.firstMoments[range])))
      tensors.append(NamedTensor(name: "adam.v." + tensor.name, shape: tensor.shape, values: Array(store.secondMoments[range])))
    }
    try ModelFile.write(config: config, tensors: tensors, to: path)
  }

  /// Loads a checkpoint into `trainer`, whose model and settings must match it.
  ///
  /// - Throws: `ModelFileError` for an unreadable or mismatched checkpoint.
  public static func restore(_ trainer: Trainer, from path: String) throws(ModelFileError) {
    let file = try ModelFile.read(path: path)
    let expected = finalConfig(trainer, summary: StepMetrics())
    for key in settingKeys where file.config.training[key] != expected.training[key] {
      throw .badMetadata(
        path: path, key: "training.\(key)", expected: expected.training[key] ?? "-",
        found: file.config.training[key] ?? "-")
    }
    var shape = file.config
    shape.training = expected.training
    guard shape == expected else {
      throw .badMetadata(path: path, key: "model", expected: describe(expected), found: describe(file.config))
    }
    guard let epoch = file.config.training["checkpoint.epoch"].flatMap({ Int($0) }),
      let step = file.config.training["checkpoint.adam_step"].flatMap({ Int($0) }),
      let words = file.config.training["checkpoint.random"]?.split(separator: ",").compactMap({ UInt64($0, radix: 16) }),
      words.count == 4
    else { throw .missingMetadata(path: path, key: "training.checkpoint.*") }
    try trainer.model.load(file.tensors, path: path)
    let store = trainer.model.parameters
    var byName: [String: NamedTensor] = [:]
    for tensor in file.tensors { byName[tensor.name] = tensor }
    for tensor in store.slots {
      for (prefix, block) in [("adam.m.", store.firstMoments), ("adam.v.", store.secondMoments)] {
        guard let saved = byName[prefix + tensor.name], saved.values.count == tensor.count else {
          throw .missingTensor(path: path, tensor: prefix + tensor.name)
        }
        _ = MutableFloatView(rebasing: block[tensor.offset..<(tensor.offset + tensor.count)]).update(fromContentsOf: saved.values)
      }
    }
    store.step = step
    trainer.restore(epoch: epoch, random: SeededRandom(state: (words[0], words[1], words[2], words[3])))
  }

  /// The model's config with the training summary filled in.
  public static func finalConfig(_ trainer: Trainer, summary: StepMetrics) -> ModelConfig {
    var config = trainer.model.config
    let s = trainer.settings
    config.training["epochs"] = String(trainer.epoch)
    config.training["images"] = String(trainer.data.count)
    config.training["labelled"] = String(trainer.data.labelledIndices.count)
    config.training["seed"] = String(s.seed)
    config.training["batch_size"] = String(s.batchSize)
    config.training["lr"] = String(s.learningRate)
    config.training["cw_weight"] = String(s.cwWeight)
    config.training["ce_weight"] = String(s.ceWeight)
    config.training["init_radius"] = String(s.initRadius)
    if summary.unlabelledCount > 0 {
      config.training["labelled_accuracy"] = String(format: "%.4f", summary.labelledAccuracy)
      config.training["reconstruction"] = String(summary.reconstruction)
      config.training["log_cw"] = String(summary.logCramerWold)
      config.training["cross_entropy"] = String(summary.crossEntropy)
    }
    return config
  }

  /// Settings that must be the same for a resumed run to equal an uninterrupted one.
  static let settingKeys = ["images", "labelled", "seed", "batch_size", "lr", "cw_weight", "ce_weight", "init_radius"]

  private static func describe(_ config: ModelConfig) -> String {
    "\(config.architecture.rawValue) \(config.imageWidth)x\(config.imageHeight)x\(config.channels) "
      + "D=\(config.latentDimension) classes \(config.classNames.joined(separator: ","))"
  }
}
