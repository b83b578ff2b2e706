// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "segma",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "segma", targets: ["segma"]),
    // For the fuzz harnesses in fuzz/, a package of their own.
    .library(name: "ImageCodecs", targets: ["ImageCodecs"]),
    .library(name: "Manifest", targets: ["Manifest"]),
    .library(name: "SegmaKit", targets: ["SegmaKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
  ],
  targets: [
    // MARK: System libraries, found through pkg-config
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng16",
      providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CJPEG", pkgConfig: "libjpeg",
      providers: [.apt(["libjpeg-dev"])]),
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),

    // MARK: C shim: the only place that calls setjmp/longjmp
    .target(
      name: "CImageCodecs",
      dependencies: ["CPNG", "CJPEG"],
      exclude: ["README.md"]),

    // MARK: C kernels: the passes over every parameter (vectorised by clang), the dW kernel, SHA-256, malloc_trim
    .target(name: "CKernels"),

    // MARK: Libraries
    .target(name: "ImageCodecs", dependencies: ["CImageCodecs"]),
    .target(name: "Manifest"),
    .target(
      name: "SegmaKit", dependencies: ["COpenBLAS", "CKernels", .product(name: "Numerics", package: "swift-numerics")]),

    // MARK: Command-line tool
    .executableTarget(
      name: "segma",
      dependencies: [
        "ImageCodecs", "Manifest", "SegmaKit", "COpenBLAS", "CKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: Benchmark (bench/run)
    .executableTarget(
      name: "segma-bench",
      dependencies: ["SegmaKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      path: "bench/segma-bench"),

    // MARK: Tests
    .target(name: "TestSupport", dependencies: ["ImageCodecs"], path: "Tests/TestSupport"),
    .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "TestSupport"]),
    .testTarget(name: "ManifestTests", dependencies: ["Manifest", "TestSupport"]),
    .testTarget(name: "SegmaKitTests", dependencies: ["SegmaKit", "CKernels", "TestSupport"]),
    .testTarget(name: "segmaTests", dependencies: ["segma", "ImageCodecs", "Manifest", "TestSupport"]),
  ]
)
