import ArgumentParser
import Foundation
import ImageCodecs
import Manifest
import SegmaKit

extension Segma {
  struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Describe images, manifests and models (and the system with --system).",
      discussion: """
        Files are recognised by content. Images: format, size as shown (after EXIF
        orientation), channels, bit depth, colour type, interlacing, orientation.
        Manifests: record counts by type. Models: architecture, sizes, classes,
        proportions, training summary, sha256. Exit 1 if any file could not be read.

        EXAMPLES
          segma info fixtures/images/*.png
          segma encode shirts/ | segma info -
          segma info --json photo.jpg | jq .width
          segma info models/fashion-mnist.segma
          segma info --system
        """)

    @Argument(help: ArgumentHelp("Images or manifests ('-': a manifest on stdin).", valueName: "file"))
    var files: [String] = []

    @Flag(help: "One JSON object per file instead of text.")
    var json = false

    @Flag(help: "Show the version, BLAS library and kernel, and threads.")
    var system = false

    @OptionGroup(title: "Run")
    var runOptions: RunOptions

    func validate() throws {
      guard system || !files.isEmpty else { throw ValidationError("Give at least one file, or --system.") }
      guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("'-' can be given only once.") }
    }

    func run() throws {
      let diagnostics = runOptions.makeDiagnostics()
      try runCommand(diagnostics) {
        let output = ManifestWriter.standardOutput()
        if system {
          let facts = systemFacts()
          try output.write(bytes: (json ? jsonLine(facts) : textBlock("system", facts)).utf8)
        }
        for file in files {
          do {
            let facts = try describe(file)
            try output.write(bytes: (json ? jsonLine([Fact("path", file)] + facts) : textBlock(file, facts)).utf8)
          } catch let error as ImageCodecError {
            diagnostics.recordFailed("\(error): info")
          } catch let error as ModelFileError {
            diagnostics.recordFailed("\(file): info: \(error)")
          } catch let error as InfoError {
            diagnostics.recordFailed("\(error)")
          }
        }
        try output.flush()
      }
    }

    private func describe(_ file: String) throws -> [Fact] {
      if file == "-" { return try manifestFacts(ManifestReader(fileDescriptor: 0)) }
      let head = try readHead(file)
      if ImageFormat(sniffing: head) != nil { return imageFacts(try ImageFile.info(path: file)) }
      if looksLikeSafetensors(head) { return modelFacts(try ModelFile.read(path: file)) }
      guard let first = head.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
        throw InfoError.unknown(path: file, reason: head.isEmpty ? "empty file" : "only white space")
      }
      guard first == UInt8(ascii: "{") else {
        throw InfoError.unknown(path: file, reason: "not an image or a manifest")
      }
      let descriptor = open(file, O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else { throw InfoError.unknown(path: file, reason: systemMessage(errno)) }
      defer { close(descriptor) }
      return try manifestFacts(ManifestReader(fileDescriptor: descriptor))
    }

    /// A safetensors file starts with its header's length (8 bytes, little-endian) and the
    /// header's opening brace.
    private func looksLikeSafetensors(_ head: [UInt8]) -> Bool {
      head.count >= 9 && head[8] == UInt8(ascii: "{") && head[4..<8].allSatisfy { $0 == 0 }
    }

    /// The first bytes of `file`, enough to recognise its format.
    private func readHead(_ file: String) throws -> [UInt8] {
      let descriptor = open(file, O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else { throw InfoError.unknown(path: file, reason: systemMessage(errno)) }
      defer { close(descriptor) }
      var head = [UInt8](repeating: 0, count: 256)
      let count = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count >= 0 else { throw InfoError.unknown(path: file, reason: systemMessage(errno)) }
      return Array(head.prefix(count))
    }

    private func imageFacts(_ info: ImageInfo) -> [Fact] {
      let layouts = [1: "gray", 2: "gray+alpha", 3: "RGB", 4: "RGBA"]
      return [
        Fact("format", info.format.displayName),
        Fact(
          label: "size", text: "\(info.width)x\(info.height)",
          json: [("width", .integer(info.width)), ("height", .integer(info.height))]),
        Fact(label: "channels", text: "\(info.channels) (\(layouts[info.channels] ?? "?"))",
          json: [("channels", .integer(info.channels))]),
        Fact("bit depth", info.bitDepth),
        Fact("color", info.sourceColor.rawValue),
        Fact(label: "interlaced", text: info.isInterlaced ? "yes" : "no", json: [("interlaced", .bool(info.isInterlaced))]),
        Fact(label: "orientation", text: String(describing: info.orientation),
          json: [("orientation", .integer(info.orientation.rawValue))]),
      ]
    }

    private func modelFacts(_ file: (config: ModelConfig, tensors: [NamedTensor], sha256: String)) -> [Fact] {
      let config = file.config
      let parameters = file.tensors.reduce(0) { $0 + $1.values.count }
      var facts = [
        Fact("format", "segma model"), Fact("architecture", config.architecture.rawValue),
        Fact(
          label: "image", text: "\(config.imageWidth)x\(config.imageHeight)x\(config.channels)",
          json: [("width", .integer(config.imageWidth)), ("height", .integer(config.imageHeight)),
            ("channels", .integer(config.channels))]),
        Fact("latent dim", config.latentDimension),
        Fact(
          label: "classes", text: config.classNames.joined(separator: " "),
          json: [("classes", .array(config.classNames.map { .string($0) }))]),
        Fact(
          label: "proportions", text: config.classWeights.map { String(format: "%.3f", $0) }.joined(separator: " "),
          json: [("proportions", .array(config.classWeights.map { .float($0) }))]),
        Fact("parameters", parameters),
        Fact(label: "sha256", text: file.sha256, json: [("sha256", .string(file.sha256))]),
        Fact(label: "model id", text: ModelFile.modelID(sha256: file.sha256),
          json: [("model", .string(ModelFile.modelID(sha256: file.sha256)))]),
      ]
      for key in config.training.keys.sorted() {
        facts.append(Fact(label: "training " + key, text: config.training[key] ?? "",
          json: [("training." + key, .string(config.training[key] ?? ""))]))
      }
      return facts
    }

    private func manifestFacts(_ reader: ManifestReader) throws -> [Fact] {
      var counts = (latent: 0, image: 0, error: 0)
      while let record = try reader.nextOrStop() {
        switch record {
        case .latent: counts.latent += 1
        case .image: counts.image += 1
        case .error: counts.error += 1
        }
      }
      return [
        Fact("format", "manifest"), Fact("records", counts.latent + counts.image + counts.error),
        Fact("latent", counts.latent), Fact("image", counts.image), Fact("error", counts.error),
      ]
    }

    private func systemFacts() -> [Fact] {
      let system = SystemInfo()
      return [
        Fact("version", system.version), Fact("blas", system.blasConfig), Fact("blas kernel", system.blasCore),
        Fact(label: "OPENBLAS_CORETYPE", text: system.coreTypeOverride ?? "(not set)",
          json: [("openblas_coretype", system.coreTypeOverride.map { .string($0) } ?? .null)]),
        // OpenBLAS runs single-threaded inside each of segma's workers (SegmaKit.ComputeThreads).
        Fact("threads", runOptions.threads), Fact("cores", system.cores),
      ]
    }
  }
}

/// One line of `info`'s text output and the JSON keys it stands for.
struct Fact {
  var label: String
  var text: String
  var json: [(key: String, value: JSONValue)]

  init(label: String, text: String, json: [(key: String, value: JSONValue)]) {
    (self.label, self.text, self.json) = (label, text, json)
  }
  init(_ label: String, _ text: String) {
    self.init(label: label, text: text, json: [(jsonKey(label), .string(text))])
  }
  init(_ label: String, _ number: Int) {
    self.init(label: label, text: String(number), json: [(jsonKey(label), .integer(number))])
  }
}

private func jsonKey(_ label: String) -> String { label.replacingOccurrences(of: " ", with: "_") }

/// "title\n  label   text\n..." with the texts aligned.
func textBlock(_ title: String, _ facts: [Fact]) -> String {
  let width = (facts.map(\.label.count).max() ?? 0) + 2
  let lines = facts.map { "  " + $0.label.padding(toLength: width, withPad: " ", startingAt: 0) + $0.text }
  return ([title] + lines).joined(separator: "\n") + "\n"
}

/// One JSON object on one line, keys in the facts' order.
func jsonLine(_ facts: [Fact]) -> String {
  var writer = JSONWriter()
  try? writer.write(.object(facts.flatMap(\.json)))  // facts hold no NaN or infinity
  return String(decoding: writer.bytes, as: UTF8.self) + "\n"
}

/// Why `info` could not describe a file (a failed record, exit 1).
enum InfoError: Error, CustomStringConvertible {
  case unknown(path: String, reason: String)
  var description: String {
    switch self {
    case .unknown(let path, let reason): "\(path): info: \(reason)"
    }
  }
}

extension JSONValue {
  static func integer(_ value: Int) -> JSONValue { .number(Double(value)) }
}
