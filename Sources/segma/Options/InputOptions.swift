import ArgumentParser
import ImageCodecs

/// How images are found in folders and read.
struct ImageOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Which files to take from folders (default: *.png, *.jpg, *.jpeg in any case).", valueName: "pattern"))
  var glob: String?

  @Option(help: ArgumentHelp("Refuse images with more pixels than this, before decoding.", valueName: "n"))
  var maxPixels: Int = defaultMaxPixels

  @Option(
    help: ArgumentHelp(
      "Colour that transparent pixels are composited over: white, black, #rgb or #rrggbb.",
      valueName: "color"))
  var background: Background = Background(color: .white)

  func validate() throws {
    guard maxPixels >= 1 else { throw ValidationError("--max-pixels must be at least 1.") }
  }
}

/// Where images come from: files, folders, a list, or a manifest on stdin.
struct InputOptions: ParsableArguments {
  @Argument(
    help: ArgumentHelp(
      "Image files or folders (searched recursively); '-' or nothing reads a manifest on stdin.",
      valueName: "input"))
  var inputs: [String] = []

  @Option(help: ArgumentHelp("Read input paths from this file, one per line ('-': stdin).", valueName: "list"))
  var filesFrom: String?

  @OptionGroup
  var images: ImageOptions

  func validate() throws {
    if inputs.contains("-") && (inputs.count > 1 || filesFrom != nil) {
      throw ValidationError("'-' (a manifest on stdin) cannot be mixed with files.")
    }
    if filesFrom == "-" && inputs.isEmpty {
      throw ValidationError("--files-from - reads stdin, so give the images as arguments or in the list.")
    }
  }

  /// True when records come from a manifest on stdin rather than from image files.
  var readsManifest: Bool { filesFrom == nil && (inputs.isEmpty || inputs == ["-"]) }

  /// The input files in processing order, with their record ids.
  func expandFiles() throws(InputError) -> [InputFile] {
    var expander = InputExpander(pattern: images.glob)
    return try expander.expand(arguments: inputs, listFile: filesFrom)
  }
}

/// A `--background` value.
struct Background: ExpressibleByArgument {
  var color: RGBColor
  init(color: RGBColor) { self.color = color }
  init?(argument: String) {
    guard let color = RGBColor(parsing: argument) else { return nil }
    self.color = color
  }
  var defaultValueDescription: String { "white" }
}
