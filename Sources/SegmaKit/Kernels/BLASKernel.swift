import COpenBLAS
import Foundation

/// Start-up choice of OpenBLAS kernels (DESIGN §9).
///
/// Debian's OpenBLAS 0.3.21 does not recognise some newer CPUs and falls back to
/// generic SSE3 ("Prescott") kernels, 3.5x slower for our GEMMs. It reads
/// `OPENBLAS_CORETYPE` only when the library loads, before `main`, so the fix is to
/// re-execute once with the variable set. A value the user set is always respected.
public enum BLASKernel {
  /// Kernels that already use AVX2 or better: nothing to gain by re-executing.
  public static let fastKernels: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]
  /// Set in the re-executed process so `--verbose` can say what happened.
  public static let marker = "SEGMA_BLAS_REEXECUTED"

  /// The kernel worth forcing on this CPU, or nil when OpenBLAS's own choice is fine.
  public static func betterKernel(current: String, cpuFlags: Set<String>) -> String? {
    guard !fastKernels.contains(current.lowercased()) else { return nil }
    if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
    if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }

  /// The kernel family OpenBLAS chose when it loaded, e.g. "Prescott", "Zen" or "SkylakeX".
  public static var current: String { String(cString: openblas_get_corename()) }

  /// Re-executes this program with a better `OPENBLAS_CORETYPE` if one applies; returns
  /// (and the run goes on with OpenBLAS's choice) when none does or exec fails.
  public static func selectAtStartup() {
    let environment = ProcessInfo.processInfo.environment
    guard environment["OPENBLAS_CORETYPE"] == nil else { return }
    let chosen = current
    guard let kernel = betterKernel(current: chosen, cpuFlags: cpuFlags()) else { return }
    setenv("OPENBLAS_CORETYPE", kernel, 1)
    setenv(marker, "\(chosen)->\(kernel)", 1)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // exec failed: carry on with the slower kernel rather than not at all.
    unsetenv("OPENBLAS_CORETYPE")
    unsetenv(marker)
  }

  /// The CPU's feature flags from /proc/cpuinfo (empty where it does not exist).
  public static func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
      let colon = line.firstIndex(of: ":")
    else { return [] }
    return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
  }

  /// What `--verbose` reports about the choice, if a re-execution happened.
  public static var reexecutionNote: String? {
    ProcessInfo.processInfo.environment[marker].map { "OpenBLAS reported \($0.replacingOccurrences(of: "->", with: "; re-ran with OPENBLAS_CORETYPE=")) kernels" }
  }
}
