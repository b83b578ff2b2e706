import Manifest
import SegmaKit
import ArgumentParser
import CKernels

/// The loop every latent command shares: records in (images or a manifest), each
/// latent record turned into zero or more records, records out (a manifest or images).
/// Error and image records pass through unchanged, so inputs = outputs + errors.
enum Stage {
  static func run(
    input: InputOptions, output: OutputOptions?, isDryRun: Bool = false, model modelOptions: ModelOptions,
    runOptions: RunOptions, diagnostics: Diagnostics, prepare: (LatentCoder) throws -> (LatentRecord) -> [Record]
  ) throws {
    ComputeThreads.set(runOptions.threads)
    let coder = LatentCoder(loaded: try modelOptions.load(), images: input.images, threads: runOptions.threads)
    let transform = try prepare(coder)
    let source = try RecordSource(input: input, coder: coder, diagnostics: diagnostics)
    // What loading the model and listing the inputs freed is otherwise kept by the main
    // thread's heap, which the other threads do not allocate from: peak RSS of `transfer -o`
    // over 10,000 images 64.2 -> 62.7 MB, over 30,000 80 -> 75 MB.
    segma_release_free_memory()
    let sink = try RecordSink(options: output, isDryRun: isDryRun, coder: coder, diagnostics: diagnostics)
    func transformed(_ batch: [Record]) -> [Record] {
      var records: [Record] = []
      for record in batch {
        if case .latent(let latent) = record { records += transform(latent) } else { records.append(record) }
      }
      return records
    }
    // A signal is honoured before the next batch is read, so every batch read is written.
    if runOptions.threads == 1 {
      // One thread asked for: each batch read, run through the model and written in turn.
      while try Interruption.check(), let batch = try source.nextBatch() {
        try sink.write(transformed(batch))
        try sink.finish()  // what is done reaches the next stage even if a signal ends the run
      }
    } else if input.readsManifest {
      // Records are read, transformed and decoded on this thread, as a signal must
      // interrupt the read(2) of an idle upstream and the kernel gives a process's signal
      // to its main thread first; another thread makes the images and prints the records
      // of the batch before.
      let storing = BatchConsumer<RecordSink.Rendered> { rendered in
        try sink.store(rendered)
        try sink.finish()  // what is done reaches the next stage even if a signal ends the run
      }
      do {
        while try Interruption.check(), let batch = try source.nextBatch() {
          for part in sink.parts(transformed(batch)) { try storing.submit(sink.render(part)) }
        }
      } catch {
        try storing.finish()  // every batch read is still written; a failed write is the error to report
        throw error
      }
      try storing.finish()
      try Interruption.check()  // a signal while the last batch was stored still says so
    } else {
      // Image files: the next records are read, encoded, transformed and decoded while
      // the images before them are made into files. Handed over a decoder batch at a
      // time, as a one-to-many stage makes many records of one batch.
      var pending: ArraySlice<[Record]> = []
      let parts = BatchPrefetcher { () throws -> RecordSink.Rendered? in
        while pending.isEmpty {
          try Interruption.check()
          guard let batch = try source.nextBatch() else { return nil }
          pending = ArraySlice(sink.parts(transformed(batch)))
        }
        return sink.render(pending.removeFirst())
      }
      defer { parts.stop() }  // a failed write stops the reading too
      while let part = try parts.next() {
        try sink.store(part)
        try sink.finish()
      }
      try Interruption.check()  // a signal during the last batch still says so, as above
    }
    try sink.finish()
  }

  /// The class index of a `--to`/`--away-from` name, or a usage error listing the names.
  static func classIndex(_ name: String, option: String, in model: SegmaModel) throws -> Int {
    guard let index = model.config.classNames.firstIndex(of: name) else {
      throw ValidationError(
        "\(option) '\(name)' is not a class of the model; valid names: \(model.config.classNames.joined(separator: ", "))")
    }
    return index
  }

  /// "3" padded to the width of `count`: frame 3 of 12 is "03".
  static func frameLabel(_ frame: Int, of count: Int) -> String {
    let text = String(frame), width = String(count).count
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }
}
