import CKernels
import SegmaKit
import TestSupport
import Testing

/// SHA-256 of model files, through both paths: `ModelFile.sha256` (the CPU's SHA
/// extensions where it has them) and the portable one every CPU can run.
@Suite struct SHA256Tests {
  static func portable(_ message: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    message.withUnsafeBytes { segma_sha256_portable($0.baseAddress, $0.count, &digest) }
    let hexDigits = Array("0123456789abcdef")
    return String(digest.flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0xF)]] })
  }

  /// FIPS 180-4's examples: one block, padding in a second block, and many blocks.
  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
  ])
  func fipsExamples(message: String, digest: String) {
    #expect(ModelFile.sha256(of: Array(message.utf8)) == digest)
    #expect(Self.portable(Array(message.utf8)) == digest)
  }

  /// Lengths around the padding boundaries (55, 56 and 64 bytes), from Python's hashlib.
  @Test(arguments: [
    (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
    (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
    (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
    (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
    (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
    (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
    (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
  ])
  func paddingBoundaries(length: Int, digest: String) {
    let message = [UInt8](repeating: UInt8(ascii: "a"), count: length)
    #expect(ModelFile.sha256(of: message) == digest)
    #expect(Self.portable(message) == digest)
  }

  /// Random bytes at every length across two blocks and over many blocks: both paths
  /// agree. Only where the CPU has the extensions is there a second path to compare.
  @Test(.enabled(if: segma_sha256_uses_extensions() != 0, "the CPU has no SHA extensions"))
  func bothPathsAgree() {
    var random = SeededGenerator(seed: 256)
    let bytes = (0..<100_003).map { _ in UInt8.random(in: 0...255, using: &random) }
    for length in Array(0...130) + [4_096, 100_003] {
      let message = Array(bytes[..<length])
      #expect(ModelFile.sha256(of: message) == Self.portable(message), "length \(length)")
    }
  }
}
