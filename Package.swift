// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "segma",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "segma", targets: ["segma"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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

    // MARK: Libraries
    .target(name: "ImageCodecs", dependencies: ["CImageCodecs"]),
    .target(name: "Manifest"),

    // MARK: Command-line tool
    .executableTarget(
      name: "segma",
      dependencies: [
        "ImageCodecs", "Manifest", "COpenBLAS",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: Tests
    .target(name: "TestSupport", dependencies: ["ImageCodecs"], path: "Tests/TestSupport"),
    .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "TestSupport"]),
    .testTarget(name: "ManifestTests", dependencies: ["Manifest", "TestSupport"]),
    .testTarget(name: "segmaTests", dependencies: ["segma", "ImageCodecs", "Manifest", "TestSupport"]),
  ]
)
