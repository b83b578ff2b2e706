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
