// swift-tools-version: 6.1
// libFuzzer harnesses for segma, one executable per target (see fuzz/README.md).
// A package of its own so that `swift build` and `swift test` of segma never try to
// link them: they have no `main`, libFuzzer provides it.
import PackageDescription

let package = Package(
  name: "segma-fuzz",
  dependencies: [.package(name: "segma", path: "..")],
  targets: [
    .executableTarget(
      name: "FuzzImage", dependencies: [.product(name: "ImageCodecs", package: "segma")]),
    .executableTarget(
      name: "FuzzManifestLine", dependencies: [.product(name: "Manifest", package: "segma")]),
    .executableTarget(
      name: "FuzzManifestStream", dependencies: [.product(name: "Manifest", package: "segma")]),
    .executableTarget(
      name: "FuzzModelFile", dependencies: [.product(name: "SegmaKit", package: "segma")]),
  ]
)
