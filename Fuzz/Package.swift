// swift-tools-version: 6.1
// libFuzzer targets for TygerKit's spec decoder and TygerWorkerDiscovery's parser.
// Not part of the main package; build and run them with scripts/fuzz.sh. SpecProbe is a
// plain (unsanitized) driver for measuring one input: swift build -c release --product SpecProbe.
import PackageDescription

let package = Package(
    name: "TygerFuzz",
    dependencies: [.package(name: "TygerKit", path: "..")],
    targets: [
        // libFuzzer's entry point, shared by the fuzz targets.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "FuzzSpecDecoder",
            dependencies: ["FuzzDriver", .product(name: "TygerKit", package: "TygerKit")]
        ),
        .executableTarget(
            name: "FuzzDiscovery",
            dependencies: ["FuzzDriver", .product(name: "TygerWorkerDiscovery", package: "TygerKit")]
        ),
        // Not a fuzzer: a plain driver for measuring one input's CPU time and memory.
        .executableTarget(
            name: "SpecProbe",
            dependencies: [.product(name: "TygerKit", package: "TygerKit")]
        ),
    ]
)
