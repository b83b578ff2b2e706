import COpenBLAS
import Foundation

/// Facts about the numeric libraries in use, for `segma info --system`.
struct SystemInfo {
  var version = segmaVersion
  /// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...".
  var blasConfig = String(cString: openblas_get_config())
  /// The kernel family OpenBLAS chose for this CPU at load time, e.g. "Prescott" or "SkylakeX".
  var blasCore = String(cString: openblas_get_corename())
  var cores = ProcessInfo.processInfo.activeProcessorCount
  var coreTypeOverride = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
}
