#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The most memory this process has had resident so far, in bytes (`ru_maxrss`).
///
/// Regression tests for inputs that made a decoder allocate gigabytes compare it
/// before and after: the allocation itself succeeds (memory is overcommitted), so
/// the growth of the peak is what shows it.
public func peakResidentBytes() -> Int {
  var usage = rusage()
  #if canImport(Darwin)
  getrusage(RUSAGE_SELF, &usage)
  return Int(usage.ru_maxrss)  // bytes on Darwin
  #else
  getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc's parameter is the enum's raw Int32
  return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
  #endif
}
