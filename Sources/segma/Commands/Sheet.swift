import ArgumentParser
import Foundation
import ImageCodecs
import Manifest

extension Segma {
  struct Sheet: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Draw images in a grid: one contact-sheet PNG.",
      discussion: """
        Takes image files and folders, or the image records of a manifest on stdin
        (what `segma decode` prints). Each image is scaled to fit its cell, aspect
        kept. An image that cannot be read is reported and leaves its cell blank.

        EXAMPLES
          segma sheet -o sheet.png fixtures/images
          segma sheet --columns 8 --cell 64x64 -o sheet.png shirts/ dresses/
          segma decode -o out/ < z.jsonl | segma sheet -o out/sheet.png
        """)

    @OptionGroup(title: "Input")
    var input: InputOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The PNG to write ('-': stdout).", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Cells per row (default: a near-square grid).", valueName: "n"))
    var columns: Int?

    @Option(help: ArgumentHelp("Cell size (default: the first image's size, at most 256 a side).", valueName: "WxH"))
    var cell: PixelSize?

    @Option(help: ArgumentHelp("Pixels between cells.", valueName: "n"))
    var gap: Int = 2

    @Flag(help: "What to do if the output exists (default: refuse).")
    var existing: ExistingOutput?

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    func validate() throws {
      if let columns, columns < 1 { throw ValidationError("--columns must be at least 1.") }
      guard (0...64).contains(gap) else { throw ValidationError("--gap must be between 0 and 64.") }
      guard !output.isEmpty else { throw ValidationError("-o needs a file name.") }
      if output == "-" && isatty(1) == 1 {
        throw ValidationError("Refusing to write a PNG to a terminal; redirect stdout or give -o FILE.")
      }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        let sources = try imageSources(diagnostics)
        guard !sources.isEmpty else { throw InputError.noImages(searched: input.inputs.isEmpty ? ["stdin"] : input.inputs) }
        let cellSize = try cell ?? defaultCell(for: sources)
        let progress = Progress("sheet", total: sources.count, diagnostics: diagnostics)
        let (maxPixels, background) = (input.images.maxPixels, input.images.background.color)
        let layout = ContactSheet(
          columns: columns ?? Int(Double(sources.count).squareRoot().rounded(.up)),
          cellWidth: cellSize.width, cellHeight: cellSize.height, gap: gap, background: background)
        // Checked before any cell is drawn: --cell 65535x65535 must not allocate first.
        let canvas = layout.size(forCount: sources.count)
        guard canvas.width.multipliedReportingOverflow(by: canvas.height).partialValue <= maxPixels else {
          throw ValidationError(
            "The sheet would be \(canvas.width)x\(canvas.height), more than --max-pixels \(maxPixels); use a smaller --cell.")
        }
        let cells = parallelMap(sources, threads: runOptions.threads) { source -> Result<PixelBuffer, ImageCodecError> in
          defer { progress.advance() }
          return Result { () throws(ImageCodecError) in
            try source.readImage(maxPixels: maxPixels)
              .fitted(width: cellSize.width, height: cellSize.height, background: background)
          }
        }
        for case (let source, .failure(let error)) in zip(sources, cells) {
          diagnostics.recordFailed("\(source.path): sheet: \(error.reason)")
        }
        let png = try ImageEncoder.png(layout.render(cells.map { try? $0.get() }))
        try write(png)
        diagnostics.verbose("wrote \(output): \(sources.count) images")
      }
    }

    /// Image paths from the arguments, or from the image records of a manifest on stdin.
    private func imageSources(_ diagnostics: Diagnostics) throws -> [InputFile] {
      guard input.readsManifest else { return try input.expandFiles() }
      var sources: [InputFile] = []
      let reader = ManifestReader(fileDescriptor: 0)
      while let record = try reader.nextOrStop() {
        switch record {
        case .image(let image): sources.append(InputFile(path: image.path, id: image.id))
        case .latent(let latent):
          diagnostics.recordFailed("\(latent.id): sheet: a latent record; decode it first (segma decode -o DIR)")
        case .error(let error): diagnostics.recordErrorRecord(error)
        }
      }
      return sources
    }

    /// The first readable image's size, scaled down to at most 256 on its longer side.
    private func defaultCell(for sources: [InputFile]) throws -> PixelSize {
      for source in sources {
        guard let info = try? ImageFile.info(path: source.path) else { continue }
        let scale = min(1, 256 / Double(max(info.width, info.height)))
        return PixelSize(
          width: max(1, Int(Double(info.width) * scale)), height: max(1, Int(Double(info.height) * scale)))
      }
      return PixelSize(width: 64, height: 64)
    }

    private func write(_ png: [UInt8]) throws {
      if output == "-" {
        let standardOutput = ManifestWriter(fileDescriptor: 1, flushEachRecord: true)
        return try standardOutput.write(bytes: png)
      }
      if try OutputDirectory.writeFile(png, toPath: output, policy: .init(existing)) == .skippedExisting {
        Diagnostics.shared.verbose("\(output) exists; skipped")
      }
    }
  }
}

/// The stderr line for an error record read from a manifest: `id: stage: message`.
func describe(_ error: ErrorRecord) -> String {
  [error.id ?? error.src, error.stage, error.message].compactMap { $0 }.joined(separator: ": ")
}
