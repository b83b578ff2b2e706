import Foundation
import ImageCodecs
@_exported import TestSupport

/// The committed codec fixtures (made by scripts/make-fixtures.py).
enum Fixtures {
  static let folder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures/images")

  static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  static func bytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
  }

  static func read(_ name: String) throws -> PixelBuffer { try ImageFile.read(path: path(name)) }
}
