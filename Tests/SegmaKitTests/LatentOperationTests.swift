import SegmaKit
import Testing
import TestSupport

/// Identities of the latent operations (DESIGN §3, STYLE §9).
@Suite struct LatentOperationTests {
  func randomVector(_ random: inout SeededGenerator, _ d: Int = 10) -> [Float] {
    (0..<d).map { _ in Float.random(in: -3...3, using: &random) }
  }

  @Test func interpolationHitsBothEndsExactly() {
    var random = SeededGenerator(seed: 1)
    for _ in 0..<1000 {
      let (a, b) = (randomVector(&random), randomVector(&random))
      #expect(interpolate(from: a, to: b, fraction: 0) == a)
      #expect(interpolate(from: a, to: b, fraction: 1) == b)
    }
  }

  @Test func transferOfAComponentMeanLandsOnTheTarget() {
    var random = SeededGenerator(seed: 2)
    let (mi, mj, z) = (randomVector(&random), randomVector(&random), randomVector(&random))
    let landed = transfer(mi, from: mi, to: mj, amount: 1)
    #expect(zip(landed, mj).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(transfer(z, from: mi, to: mj, amount: 0) == z)
    // The style (offset from the own mean) is kept along the way.
    let moved = transfer(z, from: mi, to: mj, amount: 1)
    for k in z.indices { #expect(abs((moved[k] - mj[k]) - (z[k] - mi[k])) < 1e-5) }
  }

  @Test func restyleByAReferenceAtItsOwnMeanGivesTheClassMean() {
    var random = SeededGenerator(seed: 3)
    let (mi, mr) = (randomVector(&random), randomVector(&random))
    #expect(restyle(classMean: mi, reference: mr, referenceMean: mr) == mi)
  }

  @Test func intensityZeroIsTheIdentityAndSignsMoveAwayOrToward() {
    var random = SeededGenerator(seed: 4)
    let (z, mi, mj) = (randomVector(&random), randomVector(&random), randomVector(&random))
    #expect(intensify(z, classMean: mi, awayFrom: mj, amount: 0) == z)
    func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
    #expect(distance(intensify(z, classMean: mi, awayFrom: mj, amount: 1), mj) > distance(z, mj))
    #expect(distance(intensify(z, classMean: mi, awayFrom: mj, amount: -0.5), mj) < distance(z, mj))
  }

  @Test func samplesAreSeededAndSpreadByTemperature() {
    let mean = [Float](repeating: 2, count: 10)
    var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9)
    #expect(sample(around: mean, temperature: 1, using: &a) == sample(around: mean, temperature: 1, using: &b))
    var random = SeededRandom(seed: 10)
    #expect(sample(around: mean, temperature: 0, using: &random) == mean)
    var spread: Float = 0
    for _ in 0..<200 { spread += sample(around: mean, temperature: 0.5, using: &random).reduce(0) { $0 + ($1 - 2) * ($1 - 2) } }
    let variance = spread / 2000
    #expect(abs(variance - 0.25) < 0.04, "variance \(variance)")
  }
}
