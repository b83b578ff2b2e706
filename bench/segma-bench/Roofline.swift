import ArgumentParser
import SegmaKit

#if canImport(Glibc)
import Glibc
#endif

/// `segma-bench roofline`: how close a training step comes to the machine's SGEMM rate.
///
/// Three figures, each from this process: the step itself (synthetic images, the
/// shapes of `segma train`), its time inside SGEMM (GemmClock), and the same SGEMM
/// calls each replayed alone, back to back on buffers of their own. Output is `key=value` lines for
/// bench/run.
struct Roofline: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time a training step, its SGEMMs in the step and alone, and SGEMM's peak.",
    discussion: """
      mlp: 28x28 gray, D=10, 10 classes (Fashion-MNIST's shape).
      conv: 32x32 RGB, D=20, 3 classes (scripts/make-shapes.py's shape).
      Batches of 100 unlabelled + 100 labelled images, as `segma train`.

      EXAMPLE
        segma-bench roofline --arch mlp -j 2
      """)

  @Option(help: "mlp or conv.")
  var arch = "mlp"

  @Option(name: [.customShort("j"), .customLong("threads")], help: "Worker threads.")
  var threads = 2

  @Option(help: "Timed training steps.")
  var steps = 60

  @Flag(help: "Also print each GEMM call's time in the step and alone.")
  var perCall = false

  func validate() throws {
    guard ["mlp", "conv"].contains(arch) else { throw ValidationError("--arch is mlp or conv.") }
    guard steps >= 1, threads >= 1 else { throw ValidationError("--steps and --threads must be at least 1.") }
  }

  func run() throws {
    ComputeThreads.set(threads)
    // As `segma train` runs by default (--spin-wait).
    ComputeThreads.keepingCoresAwake { measure() }
  }

  private func measure() {
    let trainer = makeTrainer()
    let clock = GemmClock()
    // Warm-up: first-touch page faults and OpenBLAS's buffers are not what we measure.
    for step in 0..<3 { runStep(trainer, step) }

    GemmClock.active = clock
    clock.recordsCalls = true
    let started = now()
    for step in 0..<steps { runStep(trainer, step) }
    let stepSeconds = (now() - started) / Double(steps)
    GemmClock.active = nil
    let calls = Array(clock.calls.prefix(clock.calls.count / steps))
    // Per step, the GEMMs' total: medians compare the step with the replay below, as
    // single runs on this shared machine swing by 10% and more.
    let stepGemms = (0..<steps).map { step in
      clock.callSeconds[(step * calls.count)..<((step + 1) * calls.count)].reduce(0, +)
    }
    let inStep = median(stepGemms)
    let stepFlops = trainingStepFlops(trainer.model.architecture)
    // The clock sees the GEMMs the training thread calls; the convolutions' per-worker
    // GEMMs run on other threads, so for conv only the counted FLOPs are reported.
    let clockSeesAll = Double(clock.flops) / Double(steps) == stepFlops

    let isolatedPerCall = replay(calls)
    let isolated = isolatedPerCall.reduce(0, +)
    let peak = peakRate()
    let report: [(String, String)] = [
      ("arch", arch), ("threads", "\(ComputeThreads.count)"), ("kernel", BLASKernel.current),
      ("steps", "\(steps)"), ("step_ms", fixed(stepSeconds * 1e3)),
      ("images_per_s", fixed(100 / stepSeconds, 0)),
      ("step_gflop", fixed(stepFlops / 1e9, 3)), ("step_gflops", fixed(stepFlops / stepSeconds / 1e9)),
      ("peak_gflops", fixed(peak)), ("step_fraction_of_peak", fixed(stepFlops / stepSeconds / 1e9 / peak, 3)),
    ]
    let gemmReport: [(String, String)] = [
      ("gemm_calls_per_step", "\(calls.count)"),
      ("gemm_ms_in_step", fixed(inStep * 1e3)), ("gemm_gflops_in_step", fixed(stepFlops / inStep / 1e9)),
      ("gemm_ms_isolated", fixed(isolated * 1e3)), ("gemm_gflops_isolated", fixed(stepFlops / isolated / 1e9)),
      ("gemm_efficiency", fixed(isolated / inStep, 3)),
      ("other_ms", fixed((stepSeconds - inStep) * 1e3)), ("other_fraction", fixed(1 - inStep / stepSeconds, 3)),
    ]
    for (key, value) in report + (clockSeesAll ? gemmReport : []) { print("\(key)=\(value)") }
    guard perCall && clockSeesAll else { return }
    for (i, call) in calls.enumerated() {
      let inStep = median(stride(from: i, to: clock.callSeconds.count, by: calls.count).map { clock.callSeconds[$0] })
      let shape = "\(call.m)x\(call.n)x\(call.k) \(call.transA == .none ? "N" : "T")\(call.transB == .none ? "N" : "T")"
      let times = "in step \(fixed(inStep * 1e3, 2)) ms, alone \(fixed(isolatedPerCall[i] * 1e3, 2)) ms"
      print("call.\(i)=\(shape) beta \(fixed(Double(call.beta), 0)): \(times)")
    }
  }

  /// A freshly initialised model of the chosen shape and random training images.
  private func makeTrainer() -> Trainer {
    let (side, channels, d, classes) = arch == "mlp" ? (28, 1, 10, 10) : (32, 3, 20, 3)
    let config = ModelConfig(
      architecture: arch == "mlp" ? .mlp : .conv, imageWidth: side, imageHeight: side, channels: channels,
      latentDimension: d, classNames: (0..<classes).map { "class\($0)" },
      classWeights: Array(repeating: 1 / Float(classes), count: classes))
    let model = SegmaModel(config: config, encoderBatch: 200, decoderBatch: 100)
    model.initialize(seed: 1, initRadius: 2)
    var random = SeededRandom(seed: 7)
    let count = 1000, pixels = side * side * channels
    let images = (0..<(count * pixels)).map { _ in Float.random(in: 0...1, using: &random) }
    let data = TrainingData(
      images: images, pixelCount: pixels, labelledIndices: Array(0..<count),
      labels: (0..<count).map { Int32($0 % classes) })
    return Trainer(model: model, data: data, settings: TrainingSettings())
  }

  private func runStep(_ trainer: Trainer, _ step: Int) {
    let first = (step * 100) % 900
    _ = trainer.step(unlabelled: Array(first..<(first + 100))[...], labelled: Array((900 - first)..<(1000 - first)))
  }

  /// FLOPs of one step (2 per multiply-add): the encoder forward and backward on 200
  /// images (no ∂input for its first layer), the decoder forward and backward on 100.
  private func trainingStepFlops(_ architecture: Architecture) -> Double {
    func multiplyAdds(_ layer: Layer) -> Int {
      switch layer {
      case .linear(let l): l.inputs * l.outputs
      case .relu: 0
      case .conv(let c): c.outChannels * (c.height / 2) * (c.width / 2) * c.inChannels * 16
      case .convTranspose(let c): c.inChannels * c.height * c.width * c.outChannels * 16
      }
    }
    let encoder = architecture.encoderLayers.map(multiplyAdds), decoder = architecture.decoderLayers.map(multiplyAdds)
    // forward, ∂weights and ∂input are one product each.
    let perStep = 200 * (3 * encoder.reduce(0, +) - encoder[0]) + 100 * 3 * decoder.reduce(0, +)
    return 2 * Double(perStep)
  }

  /// Each call's median seconds when run alone: `steps` times back to back on buffers
  /// of its own, after one untimed run. Warm caches, as "the same shapes in isolation".
  private func replay(_ calls: [GemmClock.Call]) -> [Double] {
    calls.map { call in
      let rowsA = call.transA == .none ? call.m : call.k, rowsB = call.transB == .none ? call.k : call.n
      let (a, b, c) = (filled(rowsA * call.lda), filled(rowsB * call.ldb), filled(call.m * call.ldc))
      defer { [a, b, c].forEach { $0.deallocate() } }
      let seconds = (0...steps).map { _ in
        let started = now()
        gemm(
          call.transA, call.transB, m: call.m, n: call.n, k: call.k, a: a.baseAddress!, lda: call.lda,
          b: b.baseAddress!, ldb: call.ldb, beta: call.beta, c: c.baseAddress!, ldc: call.ldc)
        return now() - started
      }
      return median(Array(seconds.dropFirst()))
    }
  }

  /// GFLOP/s of a square 2048 SGEMM on all workers: the most this machine's SGEMM gives.
  private func peakRate() -> Double {
    let size = 2048
    let (a, b, c) = (filled(size * size), filled(size * size), filled(size * size))
    defer { [a, b, c].forEach { $0.deallocate() } }
    var best = Double.infinity
    for _ in 0..<4 {
      let started = now()
      gemm(
        .none, .none, m: size, n: size, k: size, a: a.baseAddress!, lda: size, b: b.baseAddress!, ldb: size,
        beta: 0, c: c.baseAddress!, ldc: size)
      best = min(best, now() - started)
    }
    return 2 * Double(size * size * size) / best / 1e9
  }
}

private func filled(_ count: Int) -> MutableFloatView {
  let buffer = MutableFloatView.allocate(capacity: max(1, count))
  var random = SeededRandom(seed: UInt64(count))
  for i in buffer.indices { buffer[i] = Float.random(in: -1...1, using: &random) }
  return buffer
}

private func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

private func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

private func fixed(_ value: Double, _ digits: Int = 1) -> String {
  value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
}
