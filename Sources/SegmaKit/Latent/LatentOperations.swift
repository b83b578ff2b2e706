/// Operations on latent vectors (DESIGN §3): pure functions of their inputs and the
/// model's means, so any stage can run them record by record.

/// `(1 − t)·a + t·b`, written so that t = 0 gives a and t = 1 gives b exactly
/// (`a + t·(b − a)` missed b at t = 1 for 8.5% of random Float pairs; STYLE §9).
public func interpolate(from a: [Float], to b: [Float], fraction t: Float) -> [Float] {
  precondition(a.count == b.count, "latents of different sizes")
  return zip(a, b).map { (1 - t) * $0 + t * $1 }
}

/// A sample of N(mean, T²·I), the mixture component's distribution scaled by `temperature`.
public func sample(around mean: [Float], temperature: Float, using random: inout SeededRandom) -> [Float] {
  mean.map { $0 + temperature * random.normal() }
}

/// Continuous class transfer: `z + t · (m_to − m_from)`, keeping the style (the offset
/// of z from its class mean) while moving it from one component towards another.
public func transfer(_ z: [Float], from mean: [Float], to target: [Float], amount t: Float) -> [Float] {
  precondition(z.count == mean.count && z.count == target.count, "latents of different sizes")
  return (0..<z.count).map { z[$0] + t * (target[$0] - mean[$0]) }
}

/// Restyle: `m_class + (z_ref − m_refClass)`: the class of one record with the style
/// (offset from its own class mean) of a reference.
public func restyle(classMean: [Float], reference: [Float], referenceMean: [Float]) -> [Float] {
  precondition(classMean.count == reference.count && reference.count == referenceMean.count)
  return (0..<classMean.count).map { classMean[$0] + (reference[$0] - referenceMean[$0]) }
}

/// Intensity of class traits: `z + s · (m_class − m_away)`; s > 0 moves away from the
/// other component (stronger traits of the own class), s < 0 towards it.
public func intensify(_ z: [Float], classMean: [Float], awayFrom other: [Float], amount s: Float) -> [Float] {
  precondition(z.count == classMean.count && z.count == other.count)
  return (0..<z.count).map { z[$0] + s * (classMean[$0] - other[$0]) }
}
