import Foundation
import ImageCodecs
import Synchronization
import Testing

/// Writes land complete under their final name, never outside the folder, never twice.
@Suite final class OutputDirectoryTests {
  let root: String

  deinit { try? FileManager.default.removeItem(atPath: root) }

  init() throws {
    root = NSTemporaryDirectory() + "segma-output-\(UUID().uuidString)"
  }

  func contents(_ relative: String) -> [UInt8]? {
    FileManager.default.contents(atPath: root + "/" + relative).map { [UInt8]($0) }
  }

  func hiddenLeftovers() throws -> [String] {
    try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.split(separator: "/").last?.hasPrefix(".") == true }
  }

  @Test func writesCreateFoldersAndLeaveNoTemporaryFiles() throws {
    let folder = try OutputDirectory(path: root + "/deep/er")
    #expect(try folder.write([1, 2, 3], to: "a/b/c.png", policy: .refuse) == .written)
    #expect(FileManager.default.contents(atPath: root + "/deep/er/a/b/c.png") == Data([1, 2, 3]))
    #expect(try hiddenLeftovers().isEmpty)
  }

  @Test func existingFilesFollowThePolicy() throws {
    let folder = try OutputDirectory(path: root)
    try folder.write([1], to: "x.png", policy: .refuse)
    // A second run (a new OutputDirectory) meets the file written by the first.
    let rerun = try OutputDirectory(path: root)
    #expect(throws: OutputError.exists(path: root + "/x.png")) { try rerun.write([2], to: "x.png", policy: .refuse) }
    #expect(contents("x.png") == [1])
    let skipping = try OutputDirectory(path: root)
    #expect(try skipping.write([3], to: "x.png", policy: .skip) == .skippedExisting)
    #expect(contents("x.png") == [1])
    let overwriting = try OutputDirectory(path: root)
    #expect(try overwriting.write([4], to: "x.png", policy: .overwrite) == .written)
    #expect(contents("x.png") == [4])
    #expect(overwriting.exists("x.png") && !overwriting.exists("y.png"))
    #expect(try hiddenLeftovers().isEmpty)
  }

  @Test func oneRunNeverWritesOneNameTwice() throws {
    let folder = try OutputDirectory(path: root)
    try folder.write([1], to: "same.png", policy: .overwrite)
    #expect(throws: OutputError.collision(path: root + "/same.png")) {
      try folder.write([2], to: "same.png", policy: .overwrite)
    }
    #expect(contents("same.png") == [1])
  }

  /// Claims are kept as hashes: 50,000 names that differ by a character are still told
  /// apart, and each of them claimed again is still refused.
  @Test func claimsTellManyNamesApart() throws {
    let folder = try OutputDirectory(path: root)
    for i in 0..<50_000 { try folder.claim("frames/\(i)-\(i % 7).png") }
    for i in [0, 123, 49_999] {
      #expect(throws: OutputError.collision(path: root + "/frames/\(i)-\(i % 7).png")) {
        try folder.claim("frames/\(i)-\(i % 7).png")
      }
    }
  }

  @Test func unsafeNamesAreRefused() throws {
    let folder = try OutputDirectory(path: root)
    for bad in ["../escape.png", "a/../../b.png", "/abs.png", "a//b.png", "./x.png", "nul\0.png", ""] {
      #expect(throws: OutputError.self, "\(bad.debugDescription)") { try folder.write([1], to: bad, policy: .overwrite) }
    }
    #expect(!FileManager.default.fileExists(atPath: root + "/../escape.png"))
  }

  /// Folders stay open after the first write into them, up to a limit; past it they are
  /// walked to each time. Both ways, from several threads at once, every file lands whole.
  @Test func manyFoldersFromSeveralThreads() throws {
    let folder = try OutputDirectory(path: root)
    let failures = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 300) { i in
      do {
        try folder.write([UInt8(i % 256), 7], to: "f\(i % 100)/sub/\(i).png", policy: .refuse)
      } catch {
        failures.withLock { $0 += 1 }
      }
    }
    #expect(failures.withLock { $0 } == 0)
    for i in 0..<300 { #expect(contents("f\(i % 100)/sub/\(i).png") == [UInt8(i % 256), 7], "file \(i)") }
    #expect(try hiddenLeftovers().isEmpty)
  }

  /// A symlink inside the folder that points outside it is never followed.
  @Test func symlinksInsideTheFolderAreNotFollowed() throws {
    let outside = root + "-outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: outside) }
    let folder = try OutputDirectory(path: root)
    try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
    #expect(throws: OutputError.self) { try folder.write([1], to: "link/x.png", policy: .overwrite) }
    // A symlink as the final name: refused by default, replaced (not followed) with --overwrite.
    try FileManager.default.createSymbolicLink(atPath: root + "/file.png", withDestinationPath: outside + "/target.png")
    #expect(throws: OutputError.exists(path: root + "/file.png")) { try folder.write([1], to: "file.png", policy: .refuse) }
    let rerun = try OutputDirectory(path: root)
    try rerun.write([2], to: "file.png", policy: .overwrite)
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    #expect(contents("file.png") == [2])
  }

  /// A killed process with our pid (pids repeat) left temporary files under the names
  /// this run would pick: they are passed over and left alone, never a failed write.
  @Test func leftoversOfAKilledRunWithOurPidAreLeftAlone() throws {
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let leftovers = (1...3).map { ".x.png.segma-\(getpid())-\($0).tmp" }
    for name in leftovers { #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: Data([9]))) }
    let folder = try OutputDirectory(path: root)
    #expect(try folder.write([1, 2], to: "x.png", policy: .refuse) == .written)
    #expect(contents("x.png") == [1, 2])
    #expect(try hiddenLeftovers().sorted() == leftovers)
    #expect(leftovers.allSatisfy { contents($0) == [9] })
  }

  @Test func anUncreatableFolderIsReported() throws {
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: root + "/plain-file", contents: Data()))
    #expect(throws: OutputError.self) { try OutputDirectory(path: root + "/plain-file/sub") }
  }
}
