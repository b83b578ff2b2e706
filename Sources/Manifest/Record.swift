/// One line of a manifest (DESIGN section 5): a latent, a decoded image, or
/// an error that every later stage passes through unchanged, so the last
/// stage still accounts for every input.
public enum Record: Equatable, Sendable {
  /// `"type":"latent"`: a point in the model's latent space.
  case latent(LatentRecord)
  /// `"type":"image"`: an image written by `decode`.
  case image(ImageRecord)
  /// `"type":"error"`: a record that failed at some stage.
  case error(ErrorRecord)

  /// The record's id; nil for an error record whose id is unknown.
  public var id: String? {
    switch self {
    case .latent(let record): record.id
    case .image(let record): record.id
    case .error(let record): record.id
    }
  }
}

/// The width and height of an image in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
  /// Pixels per row.
  public var width: Int
  /// Rows.
  public var height: Int

  /// A size of `width` × `height` pixels.
  public init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }

  /// `28x28`, as the `--size` option spells it.
  public var description: String { "\(width)x\(height)" }
}

/// An image's position in the model's latent space, with its predicted class
/// and the history of the operations that produced it.
public struct LatentRecord: Equatable, Sendable {
  /// Unique within a stream: `shirts/0001`, `shirts/0001.transfer-dress.3`.
  public var id: String
  /// The source image path; nil for samples, which have no source.
  public var src: String?
  /// `sha256:` and the first 16 hex digits of the model file's hash.
  public var model: String
  /// The latent vector, (D).
  public var z: [Float]
  /// The predicted class of `z` (JSON key `class`), recomputed after each operation.
  public var className: String
  /// The probability of `className` for `z`.
  public var p: Float
  /// The source image's size, so `decode --size original` can scale back.
  public var size: ImageSize
  /// Channels of the source image, 1...4.
  public var channels: Int
  /// Operations applied so far, oldest first, each a JSON object such as
  /// `{"transfer":{"to":"dress","t":0.5}}`; passed through as they are.
  public var ops: [JSONValue]
  /// Position in a generated sequence, counted from 1.
  public var frame: Int?
  /// The top classes and their probabilities, most likely first (`classify`).
  public var probs: [(className: String, p: Float)]?

  /// A latent record; `ops`, `frame` and `probs` default to absent.
  public init(
    id: String, src: String?, model: String, z: [Float], className: String, p: Float,
    size: ImageSize, channels: Int, ops: [JSONValue] = [], frame: Int? = nil,
    probs: [(className: String, p: Float)]? = nil
  ) {
    self.id = id
    self.src = src
    self.model = model
    self.z = z
    self.className = className
    self.p = p
    self.size = size
    self.channels = channels
    self.ops = ops
    self.frame = frame
    self.probs = probs
  }

  /// Field by field; floats compare as numbers (`0 == -0`), `probs` in order.
  public static func == (lhs: LatentRecord, rhs: LatentRecord) -> Bool {
    guard lhs.id == rhs.id, lhs.src == rhs.src, lhs.model == rhs.model, lhs.z == rhs.z,
          lhs.className == rhs.className, lhs.p == rhs.p, lhs.size == rhs.size,
          lhs.channels == rhs.channels, lhs.ops == rhs.ops, lhs.frame == rhs.frame else { return false }
    switch (lhs.probs, rhs.probs) {
    case (nil, nil): return true
    case (let a?, let b?):
      return a.count == b.count && zip(a, b).allSatisfy { $0.className == $1.className && $0.p == $1.p }
    default: return false
    }
  }
}

/// An image written by `decode`.
public struct ImageRecord: Hashable, Sendable {
  /// The id of the latent it was decoded from.
  public var id: String
  /// Where the image was written.
  public var path: String

  /// An image record for `id` written at `path`.
  public init(id: String, path: String) {
    self.id = id
    self.path = path
  }
}

/// A record that failed at some stage; later stages pass it on unchanged.
public struct ErrorRecord: Hashable, Sendable {
  /// The failed record's id, nil when unknown (a line that could not be read).
  public var id: String?
  /// The input path, nil when unknown.
  public var src: String?
  /// The stage that failed: `encode`, `transfer`, `manifest`...
  public var stage: String
  /// What went wrong, lower case: `line 12: missing field "z"`.
  public var message: String
  /// The manifest line number, for a malformed line.
  public var line: Int?

  /// An error record; `id`, `src` and `line` default to unknown.
  public init(id: String? = nil, src: String? = nil, stage: String, message: String, line: Int? = nil) {
    self.id = id
    self.src = src
    self.stage = stage
    self.message = message
    self.line = line
  }
}
