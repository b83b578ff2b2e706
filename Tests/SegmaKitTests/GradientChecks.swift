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
