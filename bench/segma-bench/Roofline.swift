import ArgumentParser
import SegmaKit

#if canImport(Glibc)
import Glibc
#endif

/// `segma-bench roofline`: how close a training step comes to the machine's SGEMM rate.
///
/// Three figures, each from this process: the step itself (synthetic images, the
/// shapes of `segma train`), its time inside SGEMM (GemmClock), and the same SGEMM
/// calls each replayed alone, back to back on buffers of their own, after every 10 steps.
/// Output is `key=value` lines for bench/run.
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

  /// Steps timed between two replays of their GEMMs.
  private static let stepsPerRound = 10

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
    clock.recordsCalls = true
    // Warm-up: first-touch page faults and OpenBLAS's buffers are not what we measure.
    for step in 0..<3 { runStep(trainer, step) }

    // Rounds of steps, each followed by its GEMMs replayed alone: this machine's speed
    // swings by 20-40% over minutes, so the step and its replay are compared round by
    // round, never a fast minute against a slow one.
    let rounds = max(1, steps / Self.stepsPerRound), roundSteps = max(1, steps / rounds)
    let stepFlops = trainingStepFlops(trainer.model.architecture)
    // The clock sees the GEMMs the training thread calls; the convolutions' per-worker
    // GEMMs run on other threads, so for conv only the counted FLOPs are reported.
    var clockSeesAll = true
    var callsPerStep = 0, stepsRun = 0, seconds = 0.0
    var replayer: Replayer?
    // Each call's seconds: per step in the step, per round alone.
    var callsInStep: [[Double]] = [], callsAlone: [[Double]] = []
    var roundEfficiency: [Double] = []
    for _ in 0..<rounds {
      clock.reset()
      GemmClock.active = clock
      let started = now()
      for _ in 0..<roundSteps {
        runStep(trainer, stepsRun)
        stepsRun += 1
      }
      seconds += now() - started
      GemmClock.active = nil
      clockSeesAll = clockSeesAll && Double(clock.flops) / Double(roundSteps) == stepFlops
      guard clockSeesAll else { continue }
      callsPerStep = clock.calls.count / roundSteps
      let replay = replayer ?? Replayer(Array(clock.calls.prefix(callsPerStep)))
      replayer = replay
      precondition(replay.calls.count == callsPerStep, "every step makes the same GEMM calls")
      let perStep = (0..<roundSteps).map { step in
        Array(clock.callSeconds[(step * callsPerStep)..<((step + 1) * callsPerStep)])
      }
      let alone = replay.medianSeconds(repeats: Self.stepsPerRound)
      roundEfficiency.append(alone.reduce(0, +) / median(perStep.map { $0.reduce(0, +) }))
      callsInStep += perStep
      callsAlone.append(alone)
    }
    let stepSeconds = seconds / Double(stepsRun)
    let inStep = median(callsInStep.map { $0.reduce(0, +) })
    let isolated = median(callsAlone.map { $0.reduce(0, +) })

    let peak = peakRate()
    let report: [(String, String)] = [
      ("arch", arch), ("threads", "\(ComputeThreads.count)"), ("kernel", BLASKernel.current),
      ("steps", "\(stepsRun)"), ("step_ms", fixed(stepSeconds * 1e3)),
      ("images_per_s", fixed(100 / stepSeconds, 0)),
      ("step_gflop", fixed(stepFlops / 1e9, 3)), ("step_gflops", fixed(stepFlops / stepSeconds / 1e9)),
      ("peak_gflops", fixed(peak)), ("step_fraction_of_peak", fixed(stepFlops / stepSeconds / 1e9 / peak, 3)),
    ]
    let gemmReport: [(String, String)] = [
      ("gemm_calls_per_step", "\(callsPerStep)"),
      ("gemm_ms_in_step", fixed(inStep * 1e3)), ("gemm_gflops_in_step", fixed(stepFlops / inStep / 1e9)),
      ("gemm_ms_isolated", fixed(isolated * 1e3)), ("gemm_gflops_isolated", fixed(stepFlops / isolated / 1e9)),
      ("gemm_efficiency", fixed(median(roundEfficiency), 3)),
      ("gemm_efficiency_rounds", roundEfficiency.map { fixed($0, 2) }.joined(separator: ",")),
      ("other_ms", fixed((stepSeconds - inStep) * 1e3)), ("other_fraction", fixed(1 - inStep / stepSeconds, 3)),
    ]
    for (key, value) in report + (clockSeesAll ? gemmReport : []) { print("\(key)=\(value)") }
    guard perCall && clockSeesAll, let replayer else { return }
    for (i, call) in replayer.calls.enumerated() {
      let times = "in step \(fixed(median(callsInStep.map { $0[i] }) * 1e3, 2)) ms, "
        + "alone \(fixed(median(callsAlone.map { $0[i] }) * 1e3, 2)) ms"
      let shape = "\(call.m)x\(call.n)x\(call.k) \(call.transA == .none ? "N" : "T")\(call.transB == .none ? "N" : "T")"
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

/// A step's GEMM calls, each on buffers of its own (allocated once), to run alone.
private final class Replayer {
  let calls: [GemmClock.Call]
  private let buffers: [(a: MutableFloatView, b: MutableFloatView, c: MutableFloatView)]

  init(_ calls: [GemmClock.Call]) {
    self.calls = calls
    buffers = calls.map { call in
      let rowsA = call.transA == .none ? call.m : call.k, rowsB = call.transB == .none ? call.k : call.n
      return (filled(rowsA * call.lda), filled(rowsB * call.ldb), filled(call.m * call.ldc))
    }
  }

  deinit { buffers.forEach { [$0.a, $0.b, $0.c].forEach { $0.deallocate() } } }

  /// Each call's median seconds over `repeats` back-to-back runs after one untimed run:
  /// warm caches, as "the same shapes in isolation".
  func medianSeconds(repeats: Int) -> [Double] {
    zip(calls, buffers).map { call, buffer in
      let seconds = (0...repeats).map { _ in
        let started = now()
        gemm(
          call.transA, call.transB, m: call.m, n: call.n, k: call.k, a: buffer.a.baseAddress!, lda: call.lda,
          b: buffer.b.baseAddress!, ldb: call.ldb, beta: call.beta, c: buffer.c.baseAddress!, ldc: call.ldc,
          output: call.output)
        return now() - started
      }
      return median(Array(seconds.dropFirst()))
    }
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
