import Testing

import SegmaKit

/// DESIGN §9: re-execute with a better OPENBLAS_CORETYPE only when it helps.
@Suite struct BLASKernelTests {
  let avx512: Set<String> = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"]

  @Test func genericKernelsOnModernCPUsAreReplaced() {
    #expect(BLASKernel.betterKernel(current: "Prescott", cpuFlags: avx512) == "SkylakeX")
    #expect(BLASKernel.betterKernel(current: "Prescott", cpuFlags: ["avx2", "fma"]) == "Haswell")
    #expect(BLASKernel.betterKernel(current: "Sandybridge", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
  }

  @Test func goodKernelsAndOldCPUsAreLeftAlone() {
    #expect(BLASKernel.betterKernel(current: "SkylakeX", cpuFlags: avx512) == nil)
    #expect(BLASKernel.betterKernel(current: "Zen", cpuFlags: ["avx2", "fma"]) == nil)
    #expect(BLASKernel.betterKernel(current: "Haswell", cpuFlags: avx512) == nil)
    #expect(BLASKernel.betterKernel(current: "Prescott", cpuFlags: ["sse3"]) == nil)
  }
}
