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

/// Options of commands that write image files.
struct OutputOptions: ParsableArguments {
  @Flag(help: "What to do with outputs that already exist (default: refuse and report).")
  var existing: ExistingOutput?

  @Option(help: ArgumentHelp("JPEG quality, 1-100.", valueName: "q"))
  var quality: Int = 92

  func validate() throws {
    guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100.") }
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
