import ImageCodecs
import Manifest

/// Where a stage's records go: a manifest on stdout, or with `-o DIR` images written
/// under DIR (decode implied) and their image records on stdout. A dry run renders and
/// encodes the images in memory and writes nothing: only error records reach stdout.
final class RecordSink {
  private let coder: LatentCoder
  private let diagnostics: Diagnostics
  private let writer = ManifestWriter.standardOutput()
  /// How images are made; nil writes a manifest. The folder is nil for a dry run.
  private let images: (folder: OutputDirectory?, options: OutputOptions)?

  init(options: OutputOptions?, isDryRun: Bool = false, coder: LatentCoder, diagnostics: Diagnostics) throws {
    self.coder = coder
    self.diagnostics = diagnostics
    if let options, isDryRun {
      images = (nil, options)
    } else if let options, let directory = options.directory {
      images = (try OutputDirectory(path: directory), options)
    } else {
      images = nil
    }
  }

  /// Records decoded and ready to store: the records in order, those still missing
  /// being the images to encode and write.
  struct Rendered {
    fileprivate var output: [Record?]
    fileprivate let images: [(index: Int, latent: LatentRecord, name: String, image: PixelBuffer)]
  }

  func write(_ records: [Record]) throws {
    for part in parts(records) { try store(render(part)) }
  }

  /// `records` in parts `render` takes: one-to-many stages make more records of a batch
  /// than the decoder takes at once.
  func parts(_ records: [Record]) -> [[Record]] {
    stride(from: 0, to: records.count, by: coder.batchSize).map {
      Array(records[$0..<min($0 + coder.batchSize, records.count)])
    }
  }

  /// Checks, names and decodes at most `batchSize` records (the model's part of writing).
  func render(_ records: [Record]) -> Rendered {
    precondition(records.count <= coder.batchSize)
    let records = records.map(checkedFinite)
    guard let (folder, options) = images else { return Rendered(output: records, images: []) }
    // Latents whose file is already there with --skip-existing are not rendered.
    var rendered: [(index: Int, latent: LatentRecord, name: String)] = []
    var output: [Record?] = Array(repeating: nil, count: records.count)
    for (index, record) in records.enumerated() {
      guard case .latent(let latent) = record else {
        output[index] = record
        continue
      }
      let name = outputRelativePath(forID: latent.id, fileExtension: options.format.fileExtension)
      let size = outputSize(options.size, for: latent)
      guard size.width.multipliedReportingOverflow(by: size.height).partialValue <= coder.images.maxPixels else {
        let message = "output size \(size.width)x\(size.height) is more than --max-pixels \(coder.images.maxPixels)"
        diagnostics.recordFailed("\(latent.id): decode: \(message)")
        output[index] = .error(ErrorRecord(id: latent.id, src: latent.src, stage: "decode", message: message))
        continue
      }
      guard let folder else {
        rendered.append((index, latent, name))  // a dry run has no names to claim or files to skip
        continue
      }
      do {
        // Claimed first, so two records of one run never share a file, skipped or not.
        try folder.claim(name)
      } catch {
        diagnostics.recordFailed("\(latent.id): decode: \(error)")
        output[index] = .error(ErrorRecord(id: latent.id, src: latent.src, stage: "decode", message: "\(error)"))
        continue
      }
      if options.policy == .skip && folder.exists(name) {
        output[index] = .image(ImageRecord(id: latent.id, path: folder.displayPath(name)))
      } else {
        rendered.append((index, latent, name))
      }
    }
    let decoded = coder.decode(rendered.map(\.latent.z))
    return Rendered(output: output, images: zip(rendered, decoded).map { item, image in
      (item.index, item.latent, item.name, resized(image, to: options.size, for: item.latent))
    })
  }

  /// Encodes and writes the images of `rendered`, then its records to stdout.
  func store(_ rendered: Rendered) throws {
    var output = rendered.output
    guard let (folder, options) = images else {
      for record in output.compactMap({ $0 }) { try writer.write(record) }
      return
    }
    let (format, quality, background) = (options.format, options.quality, coder.images.background.color)
    let policy = options.policy
    // Encoded and written by the workers: creating files is most of a small image's cost.
    let outcomes = parallelMap(rendered.images.map { ($0.name, $0.image) }, threads: coder.threads) { name, image in
      Result { () throws in
        let data = try ImageEncoder.encode(image, as: format, quality: quality, background: background)
        try folder?.write(data, to: name, policy: policy, isClaimed: true)
      }
    }
    for (item, outcome) in zip(rendered.images, outcomes) {
      do {
        try outcome.get()
        guard let folder else { continue }
        output[item.index] = .image(ImageRecord(id: item.latent.id, path: folder.displayPath(item.name)))
      } catch let error as ImageCodecError {
        diagnostics.recordFailed("\(item.latent.id): decode: \(error.reason)")
        output[item.index] = .error(ErrorRecord(id: item.latent.id, src: item.latent.src, stage: "decode", message: error.reason))
      } catch let error as OutputError {
        switch error {
        case .exists, .collision, .unsafePath:
          diagnostics.recordFailed("\(item.latent.id): decode: \(error)")
          output[item.index] = .error(ErrorRecord(id: item.latent.id, src: item.latent.src, stage: "decode", message: "\(error)"))
        default:
          throw error
        }
      }
    }
    for record in output.compactMap({ $0 }) { try writer.write(record) }
  }

  func finish() throws { try writer.flush() }

  /// The size an image is written at: the model's, the source's, or the one asked for.
  private func outputSize(_ size: OutputSize?, for latent: LatentRecord) -> (width: Int, height: Int) {
    switch size {
    case nil: (coder.model.config.imageWidth, coder.model.config.imageHeight)
    case .original: (latent.size.width, latent.size.height)
    case .pixels(let width, let height): (width, height)
    }
  }

  private func resized(_ image: PixelBuffer, to size: OutputSize?, for latent: LatentRecord) -> PixelBuffer {
    let (width, height) = outputSize(size, for: latent)
    return width == image.width && height == image.height ? image : image.resized(width: width, height: height).to8Bit()
  }

  /// A latent whose z or p overflowed (a huge --t or --amount) becomes an error record:
  /// one bad record, not a stopped run.
  private func checkedFinite(_ record: Record) -> Record {
    guard case .latent(let latent) = record, !(latent.z.allSatisfy(\.isFinite) && latent.p.isFinite) else { return record }
    let message = "z is not finite (an operation overflowed)"
    diagnostics.recordFailed("\(latent.id): \(message)")
    return .error(ErrorRecord(id: latent.id, src: latent.src, stage: "latent", message: message))
  }
}
