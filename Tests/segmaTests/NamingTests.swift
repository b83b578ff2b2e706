import Foundation
import Testing

@testable import segma

/// Input ids and output names (DESIGN §4): unique, stable, never escaping -o.
@Suite final class NamingTests {
  let root = NSTemporaryDirectory() + "segma-naming-\(UUID().uuidString)"

  deinit { try? FileManager.default.removeItem(atPath: root) }

  func makeFiles(_ paths: [String]) throws {
    for path in paths {
      let full = root + "/" + path
      try FileManager.default.createDirectory(
        atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      #expect(FileManager.default.createFile(atPath: full, contents: Data([0])))
    }
  }

  func expand(_ arguments: [String], glob: String? = nil) throws -> [InputFile] {
    var expander = InputExpander(pattern: glob)
    return try expander.expand(arguments: arguments, listFile: nil)
  }

  @Test func folderIdsAreRelativePathsWithoutExtensionSorted() throws {
    try makeFiles(["shirts/b.png", "shirts/a.JPG", "shirts/sub/c.jpeg", "shirts/README.txt", "shirts/.hidden.png"])
    let files = try expand([root + "/shirts"])
    #expect(files.map(\.id) == ["shirts/a", "shirts/b", "shirts/sub/c"])
    #expect(files.map(\.path) == ["a.JPG", "b.png", "sub/c.jpeg"].map { root + "/shirts/" + $0 })
  }

  @Test func sharedStemsKeepTheirExtensionAsADash() throws {
    try makeFiles(["in/a.png", "in/a.jpg", "in/b.png"])
    #expect(try expand([root + "/in"]).map(\.id) == ["in/a-jpg", "in/a-png", "in/b"])
  }

  @Test func explicitFilesUseTheirNameAndStayUnique() throws {
    try makeFiles(["x/photo.png", "y/photo.png", "z/notes.bin"])
    let files = try expand([root + "/x/photo.png", root + "/y/photo.png", root + "/z/notes.bin"])
    // Same stem and extension: the dash form is still shared, so a counter decides.
    #expect(files.map(\.id) == ["photo-png", "photo-png-2", "notes"])
  }

  @Test func globSelectsByNameOrByPath() throws {
    try makeFiles(["d/a.png", "d/b.jpg", "d/sub/c.png", "d/data.bin"])
    #expect(try expand([root + "/d"], glob: "*.bin").map(\.id) == ["d/data"])
    #expect(try expand([root + "/d"], glob: "sub/*").map(\.id) == ["d/sub/c"])
  }

  @Test func filesFromListsPathsOnePerLine() throws {
    try makeFiles(["l/one.png", "l/two.jpg"])
    let list = root + "/list.txt"
    try "\(root)/l/one.png\n\n\(root)/l/two.jpg\n".write(toFile: list, atomically: true, encoding: .utf8)
    var expander = InputExpander(pattern: nil)
    let files = try expander.expand(arguments: [], listFile: list)
    #expect(files == [InputFile(path: root + "/l/one.png", id: "one"), InputFile(path: root + "/l/two.jpg", id: "two")])
    #expect(throws: InputError.self) { try expander.expand(arguments: [], listFile: root + "/no-list") }
  }

  @Test func missingInputsAreInputErrors() throws {
    #expect(throws: InputError.self) { try expand([root + "/nothing-here"]) }
    try makeFiles(["empty/notes.txt"])
    #expect(throws: InputError.self) { try expand([root + "/empty"]) }
  }

  @Test func outputNamesNeverLeaveTheFolder() {
    #expect(outputRelativePath(forID: "shirts/0001.transfer-dress.3", fileExtension: "png") == "shirts/0001.transfer-dress.3.png")
    #expect(outputRelativePath(forID: "../../etc/passwd", fileExtension: "png") == "etc/passwd.png")
    #expect(outputRelativePath(forID: "/abs/x", fileExtension: "jpg") == "abs/x.jpg")
    #expect(outputRelativePath(forID: "a/./b//c", fileExtension: "png") == "a/b/c.png")
    #expect(outputRelativePath(forID: "nul\0and\u{1}ctl\n", fileExtension: "png") == "nulandctl.png")
    #expect(outputRelativePath(forID: ".hidden/.x", fileExtension: "png") == "_hidden/_x.png")
    #expect(outputRelativePath(forID: "..", fileExtension: "png") == "_.png")
    let long = String(repeating: "é", count: 200)  // 400 bytes
    let name = outputRelativePath(forID: long, fileExtension: "png")
    #expect(name.utf8.count <= 255 && name.hasSuffix("é.png"))
  }
}
