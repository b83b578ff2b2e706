import Foundation
import ImageCodecs

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input argument that cannot be used: the run stops with exit 66.
enum InputError: Error, CustomStringConvertible {
  case missing(path: String, reason: String)
  case noImages(searched: [String])
  case tooFewKeys(found: Int)

  var description: String {
    switch self {
    case .missing(let path, let reason): "\(path): \(reason)"
    case .noImages(let searched): "no images found in \(searched.joined(separator: ", "))"
    case .tooFewKeys(let found): "interpolate needs at least two key images that can be read; found \(found)"
    }
  }
}

/// One image file of a run and the id its records carry.
struct InputFile: Equatable {
  var path: String
  var id: String
  /// Why the entry cannot be read: set for a sub-folder that could not be opened while
  /// searching, which becomes one failed record instead of stopping the run.
  var unreadableReason: String? = nil

  /// The image at `path`.
  ///
  /// - Throws: `ImageCodecError`; `.unreadable` for an entry the search could not open.
  func readImage(maxPixels: Int) throws(ImageCodecError) -> PixelBuffer {
    if let unreadableReason { throw .unreadable(path: path, reason: unreadableReason) }
    return try ImageFile.read(path: path, maxPixels: maxPixels)
  }
}

/// Turns arguments into the ordered list of input files and their ids (DESIGN §4).
///
/// Folders are searched recursively in byte order of names, skipping hidden
/// entries (such as segma's own temporary files); a sub-folder that cannot be opened
/// becomes an unreadable entry in its place (a folder argument that cannot be opened
/// stops the run); a file named explicitly is taken
/// whatever its extension, since images are recognised by content. An id is the
/// path relative to the folder's parent without extension (`shirts/0001`); for an
/// explicit file, its name without extension. Inputs that would share an id keep
/// their extension with the dot turned into a dash (`a-png`, `a-jpg`); any id still
/// taken gets `-2`, `-3`, ... so ids are unique within a run.
struct InputExpander {
  /// `--glob`: matched against the name, or against the path below the folder if it has a '/'.
  var pattern: String?

  init(pattern: String?) { self.pattern = pattern }

  private struct Candidate {
    var path: String
    var stem: String  // relative path without extension
    var dashed: String  // relative path with the extension's dot turned into a dash
    var unreadableReason: String? = nil
  }

  mutating func expand(arguments: [String], listFile: String?) throws(InputError) -> [InputFile] {
    var candidates: [Candidate] = []
    var listed = arguments
    if let listFile { listed += try readList(listFile) }
    for argument in listed {
      var status = stat()
      guard stat(argument, &status) == 0 else { throw .missing(path: argument, reason: systemText(errno)) }
      if (status.st_mode & S_IFMT) == S_IFDIR {
        var visited = Set<[UInt64]>()
        try walk(folder: argument, idRoot: idRoot(forFolder: argument), below: "", visited: &visited, into: &candidates)
      } else {
        let name = (argument as NSString).lastPathComponent
        candidates.append(Candidate(path: argument, stem: dropExtension(name), dashed: dashExtension(name)))
      }
    }
    if candidates.isEmpty { throw .noImages(searched: listed.isEmpty ? [listFile ?? "-"] : listed) }
    return assignIDs(candidates)
  }

  /// Ids start with the folder's own name (`shirts/0001` for `in/shirts`), unless it has none (`.`, `/`).
  private func idRoot(forFolder path: String) -> String {
    let name = (path as NSString).lastPathComponent
    return name == "." || name == ".." || name == "/" || name.isEmpty ? "" : name
  }

  /// Adds the images under `folder`; `below` is the path from the folder argument down to here.
  private func walk(
    folder: String, idRoot: String, below: String, visited: inout Set<[UInt64]>, into out: inout [Candidate]
  ) throws(InputError) {
    var status = stat()
    guard stat(folder, &status) == 0 else { throw .missing(path: folder, reason: systemText(errno)) }
    // Symlinked folders are followed once each: a link back up the tree ends here.
    guard visited.insert([UInt64(status.st_dev), UInt64(status.st_ino)]).inserted else { return }
    guard let directory = opendir(folder) else {
      let reason = systemText(errno)
      guard !below.isEmpty else { throw .missing(path: folder, reason: reason) }
      // One locked folder deep in a tree fails alone, as a bad image does.
      let id = [idRoot, below].filter { !$0.isEmpty }.joined(separator: "/")
      out.append(Candidate(path: folder, stem: id, dashed: id, unreadableReason: reason))
      return
    }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if !name.hasPrefix(".") { names.append(name) }
    }
    closedir(directory)
    names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for name in names {
      let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
      let subpath = below.isEmpty ? name : below + "/" + name
      guard stat(path, &status) == 0 else { continue }  // a dangling symlink is not an input
      if (status.st_mode & S_IFMT) == S_IFDIR {
        try walk(folder: path, idRoot: idRoot, below: subpath, visited: &visited, into: &out)
      } else if (status.st_mode & S_IFMT) == S_IFREG && matches(name: name, subpath: subpath) {
        let folderPart = [idRoot, below].filter { !$0.isEmpty }.joined(separator: "/")
        let prefix = folderPart.isEmpty ? "" : folderPart + "/"
        out.append(Candidate(path: path, stem: prefix + dropExtension(name), dashed: prefix + dashExtension(name)))
      }
    }
  }

  private func matches(name: String, subpath: String) -> Bool {
    guard let pattern else {
      let ext = (name as NSString).pathExtension.lowercased()
      return ext == "png" || ext == "jpg" || ext == "jpeg"
    }
    return pattern.contains("/")
      ? fnmatch(pattern, subpath, FNM_PATHNAME) == 0 : fnmatch(pattern, name, 0) == 0
  }

  private func readList(_ listFile: String) throws(InputError) -> [String] {
    let data: Data?
    if listFile == "-" {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      data = FileManager.default.contents(atPath: listFile)
    }
    guard let data else { throw .missing(path: listFile, reason: "cannot read the list") }
    return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
      .filter { !$0.isEmpty }
  }

  private func assignIDs(_ candidates: [Candidate]) -> [InputFile] {
    var stemCounts: [String: Int] = [:]
    for candidate in candidates { stemCounts[candidate.stem, default: 0] += 1 }
    var taken = Set<String>()
    return candidates.map { candidate in
      var id = stemCounts[candidate.stem, default: 0] > 1 ? candidate.dashed : candidate.stem
      if !taken.insert(id).inserted {
        var n = 2
        while !taken.insert("\(id)-\(n)").inserted { n += 1 }
        id = "\(id)-\(n)"
      }
      return InputFile(path: candidate.path, id: id, unreadableReason: candidate.unreadableReason)
    }
  }
}

/// "a/b.png" -> "a/b"; a name with no extension, or only a leading dot, stays as it is.
private func dropExtension(_ name: String) -> String {
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
  return String(name[..<dot])
}

/// "b.png" -> "b-png".
private func dashExtension(_ name: String) -> String {
  guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
  return name[..<dot] + "-" + name[name.index(after: dot)...]
}

private func systemText(_ code: Int32) -> String {
  let text = String(cString: strerror(code))
  return text.prefix(1).lowercased() + text.dropFirst()
}
