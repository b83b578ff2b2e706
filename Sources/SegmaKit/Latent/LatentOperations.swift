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
