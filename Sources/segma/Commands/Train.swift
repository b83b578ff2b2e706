import ArgumentParser
import Foundation
import ImageCodecs
import SegmaKit

extension Segma {
  struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a SeGMA model on a folder of class sub-folders.",
      discussion: """
        DATA_DIR holds one sub-folder per class (the folder name is the class name).
        With --labels-per-class N, N images per class keep their label (drawn
        class-balanced from --seed) and every image is also used unlabelled.
        All images are decoded into memory first: about W x H x C x 4 bytes each
        (Fashion-MNIST's 60,000 images at 28x28: 190 MB).
        A checkpoint (OUTPUT.ckpt) is written after every epoch; --resume continues
        from it with the same result as an uninterrupted run.

        EXAMPLES
          segma train --labels-per-class 100 --epochs 20 -o fm.segma train/
          segma train --arch conv --epochs 5 -o shapes.segma shapes/train
          segma train --resume fm.segma.ckpt --epochs 30 -o fm.segma train/
        """)

    @Argument(help: ArgumentHelp("Folder with one sub-folder of images per class.", valueName: "data-dir"))
    var dataDirectory: String

    @Option(help: ArgumentHelp("Labelled images kept per class (default: all).", valueName: "n"))
    var labelsPerClass: Int?

    @Option(help: ArgumentHelp("More images to use unlabelled.", valueName: "dir"))
    var unlabeled: String?

    @Option(help: ArgumentHelp("Passes over the data.", valueName: "n"))
    var epochs = 10

    @Option(help: ArgumentHelp("Unlabelled images per step (each step also takes as many labelled).", valueName: "n"))
    var batchSize = 100

    @Option(help: ArgumentHelp("Latent dimension (default: 10 for gray 28x28, else 20).", valueName: "d"))
    var latentDim: Int?

    @Option(help: ArgumentHelp("Adam learning rate.", valueName: "lr"))
    var lr: Float = 3e-4

    @Option(help: ArgumentHelp("Weight of log Cramer-Wold distance.", valueName: "w"))
    var cwWeight: Float = 5

    @Option(help: ArgumentHelp("Weight of the labelled cross-entropy.", valueName: "w"))
    var ceWeight: Float = 10

    @Option(help: ArgumentHelp("Radius r of the initial means (DESIGN §1).", valueName: "r"))
    var initRadius: Float = 2

    @Option(help: ArgumentHelp("Seed for initialisation, labelled subset and shuffling.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Architecture (default: mlp for gray images up to 32x32, else conv).", valueName: "mlp|conv"))
    var arch: ModelConfig.Architecture?

    @Option(help: ArgumentHelp("Image size for the model (default: the first image's).", valueName: "WxH"))
    var size: PixelSize?

    @Option(help: ArgumentHelp("1 (gray) or 3 (RGB) (default: the first image's).", valueName: "n"))
    var channels: Int?

    @Option(name: .shortAndLong, help: ArgumentHelp("The model file to write.", valueName: "file"))
    var output = "model.segma"

    @Option(help: ArgumentHelp("Continue from this checkpoint.", valueName: "checkpoint"))
    var resume: String?

    @Option(help: ArgumentHelp("Write OUTPUT.preview.png every N epochs.", valueName: "n"))
    var previewEvery: Int?

    @Flag(
      inversion: .prefixedNo,
      help: ArgumentHelp(
        "While training, keep idle cores spinning at the lowest priority (SCHED_IDLE) instead of sleeping: "
          + "faster on virtual machines, where waking a sleeping core is slow; costs power."))
    var spinWait = true

    @OptionGroup(title: "Images")
    var images: ImageOptions

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    func validate() throws {
      guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
      guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 4096.") }
      if let labelsPerClass, labelsPerClass < 0 { throw ValidationError("--labels-per-class must be 0 or more.") }
      if let latentDim, !(3...1024).contains(latentDim) { throw ValidationError("--latent-dim must be between 3 and 1024.") }
      if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3.") }
      guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive.") }
      guard cwWeight >= 0, ceWeight >= 0 else { throw ValidationError("Loss weights must not be negative.") }
      if let previewEvery, previewEvery < 1 { throw ValidationError("--preview-every must be at least 1.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        ComputeThreads.set(runOptions.threads)
        let folders = try ClassFolders.scan(dataDirectory, glob: images.glob)
        guard folders.classNames.count >= 2 else {
          throw ValidationError("\(dataDirectory) needs at least two class folders; found \(folders.classNames).")
        }
        var config = try makeConfig(folders)
        var files = folders.files.map(\.file)
        if let unlabeled {
          var expander = InputExpander(pattern: images.glob)
          files += try expander.expand(arguments: [unlabeled], listFile: nil)
        }
        let layout: ColorLayout = config.channels == 1 ? .gray : .rgb
        let images = loadModelInputs(
          files, width: config.imageWidth, height: config.imageHeight, layout: layout, images: images,
          threads: runOptions.threads, diagnostics: diagnostics, stage: "train")
        let data: TrainingData
        (data, config.classWeights) = try assemble(images: images, folders: folders)
        diagnostics.verbose(
          "\(data.count) images (\(data.labelledIndices.count) labelled), \(config.architecture.rawValue), "
            + "\(config.imageWidth)x\(config.imageHeight)x\(config.channels), D=\(config.latentDimension)")
        if spinWait {
          try ComputeThreads.keepingCoresAwake { try train(config: config, data: data, diagnostics: diagnostics) }
        } else {
          try train(config: config, data: data, diagnostics: diagnostics)
        }
      }
    }

    /// The decoded images as training data: failed images dropped (already reported),
    /// the labelled subset drawn class-balanced from --seed, and the class weights p_k
    /// from the labelled proportions.
    private func assemble(images: [[Float]?], folders: ClassFolders) throws -> (TrainingData, [Float]) {
      let k = folders.classNames.count
      var pixels: [Float] = []
      pixels.reserveCapacity(images.count * (images.first { $0 != nil }??.count ?? 0))
      var byClass = [[Int]](repeating: [], count: k)
      var count = 0
      for (i, image) in images.enumerated() {
        guard let image else { continue }
        pixels += image
        if i < folders.files.count { byClass[folders.files[i].label].append(count) }
        count += 1
      }
      guard count > 0 else { throw InputError.noImages(searched: [dataDirectory]) }
      var random = SeededRandom(seed: seed)
      var labelledIndices: [Int] = [], labels: [Int32] = []
      for (label, members) in byClass.enumerated() {
        var chosen = members
        if let labelsPerClass {
          chosen.shuffle(using: &random)
          chosen = Array(chosen.prefix(labelsPerClass)).sorted()
        }
        labelledIndices += chosen
        labels += Array(repeating: Int32(label), count: chosen.count)
      }
      var weights = Array(repeating: 1 / Float(k), count: k)
      if !labelledIndices.isEmpty {
        if let empty = byClass.indices.first(where: { !labels.contains(Int32($0)) }) {
          throw ValidationError("Class '\(folders.classNames[empty])' has no labelled image that could be read.")
        }
        weights = (0..<k).map { c in Float(labels.lazy.filter { $0 == c }.count) / Float(labels.count) }
      }
      let data = TrainingData(
        images: pixels, pixelCount: pixels.count / count, labelledIndices: labelledIndices, labels: labels)
      return (data, weights)
    }

    /// The model's shape: from the options, else from the first image.
    private func makeConfig(_ folders: ClassFolders) throws -> ModelConfig {
      // The first image that can be read sets the defaults; bad ones are reported when loading.
      guard let first = folders.files.lazy.compactMap({ try? ImageFile.info(path: $0.file.path) }).first else {
        throw InputError.noImages(searched: [dataDirectory])
      }
      let channels = channels ?? (first.channels <= 2 ? 1 : 3)
      var (width, height) = (size?.width ?? first.width, size?.height ?? first.height)
      let kind = arch ?? (channels == 1 && max(width, height) <= 32 ? .mlp : .conv)
      if kind == .conv {
        // The four stride-2 convolutions need sides divisible by 16 (28 → 32).
        (width, height) = ((width + 15) / 16 * 16, (height + 15) / 16 * 16)
      }
      let latent = latentDim ?? (channels == 1 && width == 28 && height == 28 ? 10 : 20)
      let k = folders.classNames.count
      return ModelConfig(
        architecture: kind, imageWidth: width, imageHeight: height, channels: channels, latentDimension: latent,
        classNames: folders.classNames, classWeights: Array(repeating: 1 / Float(k), count: k), training: [:])
    }

    private var settings: TrainingSettings {
      var settings = TrainingSettings()
      settings.batchSize = batchSize
      settings.learningRate = lr
      settings.cwWeight = cwWeight
      settings.ceWeight = ceWeight
      settings.seed = seed
      settings.initRadius = initRadius
      return settings
    }

    private func train(config: ModelConfig, data: TrainingData, diagnostics: Diagnostics) throws {
      let labelledBatch = min(batchSize, data.labelledIndices.count)
      let model = SegmaModel(config: config, encoderBatch: batchSize + labelledBatch, decoderBatch: batchSize)
      let trainer = Trainer(model: model, data: data, settings: settings)
      if let resume {
        try Checkpoint.restore(trainer, from: resume)
        diagnostics.verbose("resumed \(resume) after epoch \(trainer.epoch)")
        guard trainer.epoch < epochs else {
          throw ValidationError("\(resume) has \(trainer.epoch) epochs already; ask for more with --epochs.")
        }
      } else {
        model.initialize(seed: seed, initRadius: initRadius)
      }
      let checkpointPath = output + ".ckpt"
      while trainer.epoch < epochs {
        let started = Date()
        let epochNumber = trainer.epoch + 1
        let summary = try trainer.trainEpoch { step, metrics in
          // A signal stops training after this step; the last epoch's checkpoint is kept.
          try Interruption.check()
          guard diagnostics.isInteractive else { return }
          let rate = Double((step + 1) * batchSize) / max(Date().timeIntervalSince(started), 1e-9)
          let remaining = Double(trainer.stepsPerEpoch - step - 1) * Double(batchSize) / rate
          diagnostics.showProgress(
            "epoch \(epochNumber)/\(epochs) step \(step + 1)/\(trainer.stepsPerEpoch) " + metrics.summary
              + String(format: " %.0f img/s ETA %@", rate, formatDuration(remaining)))
        }
        let seconds = Date().timeIntervalSince(started)
        diagnostics.finishProgress()
        // A diverged run must not overwrite the last good checkpoint with NaN weights.
        guard [summary.reconstruction, summary.logCramerWold, summary.crossEntropy].allSatisfy(\.isFinite) else {
          throw TrainingError.diverged(epoch: epochNumber, checkpoint: checkpointPath)
        }
        diagnostics.note(
          "epoch \(epochNumber)/\(epochs) " + summary.summary
            + String(format: " %.1f s, %.0f img/s", seconds, Double(data.count) / seconds))
        try Checkpoint.write(trainer, to: checkpointPath, summary: summary)
        if let previewEvery, epochNumber % previewEvery == 0 || epochNumber == epochs {
          try TrainingPreview.write(model: model, data: data, to: output + ".preview.png", seed: seed)
        }
        if trainer.epoch == epochs {
          try ModelFile.write(config: Checkpoint.finalConfig(trainer, summary: summary), tensors: model.namedTensors(), to: output)
          diagnostics.note("wrote \(output)")
        }
      }
    }
  }
}

extension ModelConfig.Architecture: ExpressibleByArgument {}

extension StepMetrics {
  /// "REC 23.1 logCW -5.20 CE 0.310 acc 98.0%"
  var summary: String {
    let accuracy = 100 * labelledAccuracy
    return String(format: "REC %.2f logCW %.3f CE %.3f acc %.1f%%", reconstruction, logCramerWold, crossEntropy, accuracy)
  }
}

/// Training that cannot go on (exit 65: the numbers, not the files, went bad).
enum TrainingError: Error, CustomStringConvertible {
  case diverged(epoch: Int, checkpoint: String)
  var description: String {
    switch self {
    case .diverged(let epoch, let checkpoint):
      "training diverged in epoch \(epoch) (the loss is not finite); \(checkpoint) keeps the last good epoch; try a smaller --lr"
    }
  }
}
