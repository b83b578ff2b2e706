import Foundation
import ImageCodecs

/// A labelled image folder: one sub-folder per class, the folder name being the class.
struct ClassFolders {
  var classNames: [String]
  /// Every image with its class index, classes in name order.
  var files: [(file: InputFile, label: Int)]

  /// Scans `root/<class>/...` (sorted, hidden folders skipped).
  ///
  /// - Throws: `InputError` when `root` or one of its class folders cannot be opened, or
  ///   when no class folder holds images.
  static func scan(_ root: String, glob: String?) throws(InputError) -> ClassFolders {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    } catch {
      throw .missing(path: root, reason: "not a readable folder")
    }
    var classNames: [String] = []
    var files: [(InputFile, Int)] = []
    for name in names {
      var isFolder: ObjCBool = false
      let path = (root as NSString).appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { continue }
      var expander = InputExpander(pattern: glob)
      let found: [InputFile]
      // A folder without images is not a class; one that cannot be opened stops the
      // run, since training without a class would quietly give another model.
      do throws(InputError) {
        found = try expander.expand(arguments: [path], listFile: nil)
      } catch .noImages {
        continue
      }
      classNames.append(name)
      files += found.map { ($0, classNames.count - 1) }
    }
    guard !files.isEmpty else { throw .noImages(searched: [root + "/<class>/"]) }
    return ClassFolders(classNames: classNames, files: files)
  }
}

/// Images decoded for the model: planar floats, or nil for a file that failed (reported).
func loadModelInputs(
  _ files: [InputFile], width: Int, height: Int, layout: ColorLayout, images: ImageOptions, threads: Int,
  diagnostics: Diagnostics, stage: String
) -> [[Float]?] {
  let progress = Progress("loading", total: files.count, diagnostics: diagnostics)
  let (maxPixels, background) = (images.maxPixels, images.background.color)
  let results = parallelMap(files, threads: threads) { file -> Result<[Float], ImageCodecError> in
    defer { progress.advance() }
    return Result { () throws(ImageCodecError) in
      try file.readImage(maxPixels: maxPixels)
        .modelInput(width: width, height: height, layout: layout, background: background)
    }
  }
  diagnostics.finishProgress()
  return zip(files, results).map { file, result in
    switch result {
    case .success(let pixels): return pixels
    case .failure(let error):
      diagnostics.recordFailed("\(file.path): \(stage): \(error.reason)")
      return nil
    }
  }
}
