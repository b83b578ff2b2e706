// Writing records: one line each, keys in the fixed order of DESIGN section 5,
// so the same records always give the same bytes.

extension Record {
  /// Appends this record as one JSON line, `\n` included.
  ///
  /// Key order: `v`, `type`, then latent `id src model z class p size channels
  /// [ops] [frame] [probs]`, image `id path`, error `id src stage message [line]`.
  /// `src` and an error's unknown `id` are written as `null`; empty `ops`, nil
  /// `frame`, `probs` and `line` are left out. Floats (`z`, `p`, `probs`) are
  /// written in Float32 shortest form.
  ///
  /// - Throws: `ManifestError.nonFiniteNumber(field:)`; `buffer` is then left as
  ///   it was, never with half a line.
  public func encodeLine(into buffer: inout [UInt8]) throws(ManifestError) {
    let originalCount = buffer.count
    var writer = JSONWriter()
    // Swap rather than copy, so appending does not duplicate the buffer.
    swap(&writer.bytes, &buffer)
    defer { swap(&writer.bytes, &buffer) }
    do throws(ManifestError) {
      try encode(with: &writer)
    } catch {
      writer.bytes.removeSubrange(originalCount...)
      throw error
    }
  }

  /// This record as one JSON line, `\n` included.
  /// - Throws: `ManifestError.nonFiniteNumber(field:)`.
  public func encodedLine() throws(ManifestError) -> [UInt8] {
    var line: [UInt8] = []
    try encodeLine(into: &line)
    return line
  }

  private func encode(with writer: inout JSONWriter) throws(ManifestError) {
    switch self {
    case .latent(let record): try record.encode(with: &writer)
    case .image(let record): record.encode(with: &writer)
    case .error(let record): record.encode(with: &writer)
    }
    writer.bytes.append(UInt8(ascii: "\n"))
  }
}

extension LatentRecord {
  fileprivate func encode(with writer: inout JSONWriter) throws(ManifestError) {
    writer.writeRaw(#"{"v":1,"type":"latent","id":"#)
    writer.writeString(id)
    writer.writeRaw(#","src":"#)
    writer.writeOptionalString(src)
    writer.writeRaw(#","model":"#)
    writer.writeString(model)
    writer.writeRaw(#","z":["#)
    for (i, value) in z.enumerated() {
      if i > 0 { writer.writeRaw(",") }
      try writer.writeFloat(value, field: "z")
    }
    writer.writeRaw(#"],"class":"#)
    writer.writeString(className)
    writer.writeRaw(#","p":"#)
    try writer.writeFloat(p, field: "p")
    writer.writeRaw(#","size":["#)
    writer.writeInt(size.width)
    writer.writeRaw(",")
    writer.writeInt(size.height)
    writer.writeRaw(#"],"channels":"#)
    writer.writeInt(channels)
    if !ops.isEmpty {
      writer.writeRaw(#","ops":"#)
      try writer.write(.array(ops), field: "ops")
    }
    if let frame {
      writer.writeRaw(#","frame":"#)
      writer.writeInt(frame)
    }
    if let probs {
      writer.writeRaw(#","probs":{"#)
      for (i, entry) in probs.enumerated() {
        if i > 0 { writer.writeRaw(",") }
        writer.writeString(entry.className)
        writer.writeRaw(":")
        try writer.writeFloat(entry.p, field: "probs")
      }
      writer.writeRaw("}")
    }
    writer.writeRaw("}")
  }
}

extension ImageRecord {
  fileprivate func encode(with writer: inout JSONWriter) {
    writer.writeRaw(#"{"v":1,"type":"image","id":"#)
    writer.writeString(id)
    writer.writeRaw(#","path":"#)
    writer.writeString(path)
    writer.writeRaw("}")
  }
}

extension ErrorRecord {
  fileprivate func encode(with writer: inout JSONWriter) {
    writer.writeRaw(#"{"v":1,"type":"error","id":"#)
    writer.writeOptionalString(id)
    writer.writeRaw(#","src":"#)
    writer.writeOptionalString(src)
    writer.writeRaw(#","stage":"#)
    writer.writeString(stage)
    writer.writeRaw(#","message":"#)
    writer.writeString(message)
    if let line {
      writer.writeRaw(#","line":"#)
      writer.writeInt(line)
    }
    writer.writeRaw("}")
  }
}

extension JSONWriter {
  fileprivate mutating func writeOptionalString(_ s: String?) {
    if let s { writeString(s) } else { writeNull() }
  }
}
