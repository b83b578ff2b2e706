import Testing
@testable import Manifest

/// Floats written in shortest form read back with the same bits.
@Suite struct FloatRoundTripTests {
  /// Random finite bit patterns (subnormals included, as every exponent is
  /// equally likely) plus the edge values, through whole records.
  @Test func randomBitPatternsRoundTripExactly() throws {
    var generator = SeededGenerator(seed: 0x5E6A_0001)
    var values: [Float] = [
      0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
      Float.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
      0.1, 1, -1, 16_777_216, Float(16_777_216).nextUp, .ulpOfOne,
    ]
    while values.count < 10_000 {
      let x = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))
      if x.isFinite { values.append(x) }
    }
    var manifest: [UInt8] = []
    for start in stride(from: 0, to: values.count, by: 20) {
      let z = Array(values[start..<min(start + 20, values.count)])
      let probs = [(className: "a", p: z[0]), (className: "b", p: z[z.count - 1])]
      try Record.latent(latent("r\(start)", z: z, probs: probs)).encodeLine(into: &manifest)
    }
    let (records, _) = try readRecords(manifest)
    var readBack: [Float] = []
    for record in records {
      guard case .latent(let latent) = record else {
        Issue.record("not a latent: \(record)")
        continue
      }
      readBack += latent.z
      #expect(latent.probs?.first?.p.bitPattern == latent.z.first?.bitPattern)
      #expect(latent.probs?.last?.p.bitPattern == latent.z.last?.bitPattern)
    }
    #expect(readBack.count == values.count)
    let mismatches = zip(values, readBack).filter { $0.bitPattern != $1.bitPattern }
    #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(3))")
  }

  @Test func shortestFormsAreWritten() throws {
    let record = Record.latent(latent("a", z: [0.1, 1e-5, 1, 0.3, .leastNormalMagnitude]))
    let text = try encodedText(record)
    #expect(text.contains(#""z":[0.1,1e-05,1.0,0.3,1.1754944e-38]"#))
  }

  /// A decimal just above a Float midpoint rounds to that midpoint in Double,
  /// and Double → Float then breaks the tie the wrong way. The decoder must
  /// round the text to Float once.
  @Test(arguments: [
    ("1.0000000596046447753906251", 0x3F80_0001 as UInt32),  // above the midpoint: up
    ("1.000000059604644775390625", 0x3F80_0000),  // exactly the midpoint: to even
    ("1.0000000596046447753906249", 0x3F80_0000),  // below: down
    ("-1.0000000596046447753906251", 0xBF80_0001),
    ("340282356779733661637539395448142568448", 0x7F7F_FFFF),  // just below the overflow midpoint
    // Half the least subnormal, 2^-150: exactly (to even, 0), just below, just above.
    ("7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015625e-46", 0),
    ("7.00649232162408535461864791644958065640e-46", 0),
    ("7.0064923216240853546186479164495806564013097093825788587853414194489554134293030074331909418106079101563e-46", 1),
  ])
  func floatsAreRoundedOnceFromText(text: String, bits: UInt32) throws {
    let line = #"{"v":1,"type":"latent","id":"a","src":null,"model":"m","z":["# + text
      + #"],"class":"c","p":"# + text + #","size":[1,1],"channels":1}"#
    guard case .latent(let record) = decode(line) else {
      Issue.record("not decoded: \(decode(line))")
      return
    }
    #expect(record.z.first?.bitPattern == bits)
    #expect(record.p.bitPattern == bits)
  }

  /// The case above is real: rounding through Double gets it wrong.
  @Test func doubleRoundingWouldBeWrong() throws {
    let viaDouble = Float(try #require(Double("1.0000000596046447753906251")))
    #expect(viaDouble.bitPattern == 0x3F80_0000)
  }

  @Test func valuesBeyondFloatRangeAreRejected() {
    let line = #"{"v":1,"type":"latent","id":"a","src":null,"model":"m","z":[1,3.4028236e38],"class":"c","p":0.5,"size":[1,1],"channels":1}"#
    #expect(decode(line, lineNumber: 4) == manifestError("z[1] is out of float range", line: 4, id: "a"))
    let largest = line.replacingOccurrences(of: "3.4028236e38", with: "3.4028235e38")
    guard case .latent(let record) = decode(largest) else {
      Issue.record("largest float rejected")
      return
    }
    #expect(record.z[1] == .greatestFiniteMagnitude)
  }
}
