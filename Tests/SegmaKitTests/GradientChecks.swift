import Numerics
import Testing

/// Records the first mismatch between an `analytic` gradient and a `numeric` one
/// (finite differences) and expects none: one message per tensor, not one per value.
func expectGradientClose(
  _ what: String, _ analytic: [Float], _ numeric: [Double], absolute: Double, relative: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(analytic.count == numeric.count, sourceLocation: sourceLocation)
  var failures = 0
  for i in numeric.indices
  where !Double(analytic[i]).isApproximatelyEqual(
    to: numeric[i], absoluteTolerance: absolute, relativeTolerance: relative)
  {
    if failures == 0 {
      Issue.record(
        "\(what)[\(i)]: backward \(analytic[i]), finite difference \(numeric[i])", sourceLocation: sourceLocation)
    }
    failures += 1
  }
  #expect(failures == 0, "\(what): \(failures) of \(numeric.count) mismatch", sourceLocation: sourceLocation)
}

/// A loss term's backward accumulates and scales: run twice it adds twice the gradients,
/// and `scale` multiplies them. `gradients(scale)` runs backward once into zeros;
/// `backward` adds one unscaled backward into the buffers it is given.
func expectBackwardAccumulatesAndScales(
  gradients: (_ scale: Float) -> (dLatents: [Float], dMeans: [Float]),
  backward: (_ dLatents: inout [Float], _ dMeans: inout [Float]) -> Void,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let once = gradients(1)
  var dLatents = [Float](repeating: 0, count: once.dLatents.count)
  var dMeans = [Float](repeating: 0, count: once.dMeans.count)
  backward(&dLatents, &dMeans)
  backward(&dLatents, &dMeans)
  func expectMultiple(_ what: String, _ actual: [Float], _ factor: Double, of base: [Float]) {
    expectGradientClose(
      what, actual, base.map { factor * Double($0) }, absolute: 1e-7, relative: 1e-5, sourceLocation: sourceLocation)
  }
  expectMultiple("twice dLatents", dLatents, 2, of: once.dLatents)
  expectMultiple("twice dMeans", dMeans, 2, of: once.dMeans)
  let scaled = gradients(-2.5)
  expectMultiple("scaled dLatents", scaled.dLatents, -2.5, of: once.dLatents)
  expectMultiple("scaled dMeans", scaled.dMeans, -2.5, of: once.dMeans)
  #expect(once.dLatents.contains { $0 != 0 } && once.dMeans.contains { $0 != 0 }, sourceLocation: sourceLocation)
}

/// The central difference of `loss` in coordinate `i` of `root[keyPath: path]`, divided by
/// the step Float actually took (STYLE §9); the coordinate is restored afterwards.
func centralDifference<Root>(
  of loss: (Root) -> Double, in root: inout Root, _ path: WritableKeyPath<Root, [Float]>, at i: Int,
  step h: Float = 1e-2
) -> Double {
  let saved = root[keyPath: path][i]
  root[keyPath: path][i] = saved + h
  let up = loss(root), upValue = root[keyPath: path][i]
  root[keyPath: path][i] = saved - h
  let down = loss(root), downValue = root[keyPath: path][i]
  root[keyPath: path][i] = saved
  return (up - down) / Double(upValue - downValue)
}
