import ArgumentParser
import ImageCodecs

/// What to do with outputs that already exist (default: refuse and report).
enum ExistingOutput: String, EnumerableFlag {
  case overwrite
  case skipExisting

  static func help(for value: ExistingOutput) -> ArgumentHelp? {
    switch value {
    case .overwrite: "Replace outputs that already exist."
    case .skipExisting: "Leave existing outputs alone and count them as done (cheap reruns)."
    }
  }
}

extension ImageFormat: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument.lowercased() {
    case "png": self = .png
    case "jpeg", "jpg": self = .jpeg
    default: return nil
    }
  }
  public static var allValueStrings: [String] { ["png", "jpeg"] }
}

/// The size of decoded images: the model's (default), the source's, or given.
enum OutputSize: ExpressibleByArgument, Equatable {
  case original
  case pixels(width: Int, height: Int)

  init?(argument: String) {
    if argument == "original" {
      self = .original
    } else if let size = PixelSize(argument: argument) {
      self = .pixels(width: size.width, height: size.height)
    } else {
      return nil
    }
  }
}

/// Options of commands that can write images: `-o DIR` and how files are written.
struct OutputOptions: ParsableArguments {
  @Option(
    name: [.customShort("o"), .customLong("output")],
    help: ArgumentHelp("Write images under this folder (decode implied) instead of a manifest.", valueName: "dir"))
  var directory: String?

  @Option(help: ArgumentHelp("Image format under -o.", valueName: "png|jpeg"))
  var format: ImageFormat = .png

  @Option(help: ArgumentHelp("JPEG quality, 1-100.", valueName: "q"))
  var quality: Int = 92

  @Option(help: ArgumentHelp("Size of written images: WxH, or original (default: the model's).", valueName: "size"))
  var size: OutputSize?

  @Flag(help: "What to do with outputs that already exist (default: refuse and report).")
  var existing: ExistingOutput?

  func validate() throws {
    guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100.") }
    if directory?.isEmpty == true { throw ValidationError("-o needs a folder name.") }
  }

  var policy: OutputDirectory.ExistingPolicy { .init(existing) }
}

extension OutputDirectory.ExistingPolicy {
  /// The policy for the `--overwrite` / `--skip-existing` flags; neither means refuse.
  init(_ flag: ExistingOutput?) {
    switch flag {
    case nil: self = .refuse
    case .overwrite: self = .overwrite
    case .skipExisting: self = .skip
    }
  }
}

/// A `WxH` size such as `64x64`.
struct PixelSize: ExpressibleByArgument, Equatable {
  var width: Int
  var height: Int
  init(width: Int, height: Int) { (self.width, self.height) = (width, height) }
  init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
      (1...65535).contains(width), (1...65535).contains(height)
    else { return nil }
    (self.width, self.height) = (width, height)
  }
  var defaultValueDescription: String { "\(width)x\(height)" }
}
