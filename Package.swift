// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TygerKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TygerKit", targets: ["TygerKit"]),
        .library(name: "TygerWorkerDiscovery", targets: ["TygerWorkerDiscovery"]),
        .library(name: "TygerKitTesting", targets: ["TygerKitTesting"]),
        .library(name: "TygerKubernetes", targets: ["TygerKubernetes"]),
        .library(name: "TygerKubernetesTesting", targets: ["TygerKubernetesTesting"]),
        .library(name: "TygerDocker", targets: ["TygerDocker"]),
        .executable(name: "tyger", targets: ["TygerCLI"]),
        .executable(name: "tyger-conformance", targets: ["tyger-conformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "TygerKit",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                "CTygerProcess",
            ]
        ),
        .target(name: "CTygerProcess"),
        .target(name: "TygerWorkerDiscovery"),
        .target(name: "TygerKitTesting", dependencies: ["TygerKit"]),
        .target(
            name: "TygerKubernetes",
            dependencies: [
                "TygerKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "TygerDocker",
            dependencies: [
                "TygerKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TygerKubernetesTesting",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "TygerCLI",
            dependencies: [
                "TygerKit",
                "TygerKubernetes",
                "TygerDocker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/tyger"
        ),
        .executableTarget(
            name: "tyger-conformance",
            dependencies: ["TygerWorkerDiscovery"]
        ),
        .executableTarget(
            name: "prime-worker",
            dependencies: [
                "TygerWorkerDiscovery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Examples/PrimeCount/Worker"
        ),
        .executableTarget(
            name: "prime-job",
            dependencies: [
                "TygerWorkerDiscovery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Examples/PrimeCount/Job"
        ),
        .executableTarget(
            name: "tyger-benchmarks",
            dependencies: [
                "TygerKit", "TygerWorkerDiscovery", "TygerKubernetes", "TygerKubernetesTesting", "tyger-conformance",
                "TygerDocker", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/TygerBenchmarks"
        ),
        .target(name: "TygerTestSupport", path: "Tests/Support"),
        .executableTarget(
            name: "tyger-store-stress",
            dependencies: ["TygerKit"],
            path: "Tests/StoreStress"
        ),
        .executableTarget(
            name: "tyger-process-probe",
            dependencies: ["TygerKit"],
            path: "Tests/ProcessProbe"
        ),
        .testTarget(
            name: "TygerKitTests",
            dependencies: [
                "TygerKit", "TygerKitTesting", "TygerTestSupport", "TygerCLI", "tyger-conformance", "tyger-store-stress",
                "tyger-process-probe", "prime-worker", "prime-job",
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TygerKubernetesTests",
            dependencies: [
                "TygerKubernetes", "TygerKubernetesTesting", "TygerKitTesting", "TygerKit", "TygerTestSupport",
                "tyger-conformance", "TygerCLI",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "TygerKubernetesTestingTests",
            dependencies: ["TygerKubernetesTesting", "TygerTestSupport"]
        ),
        .testTarget(
            name: "TygerKubernetesClientTests",
            dependencies: [
                "TygerKubernetes",
                "TygerKit",
                "TygerTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "TygerDockerTests",
            dependencies: [
                "TygerDocker", "TygerKit", "TygerKitTesting", "TygerTestSupport", "TygerCLI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TygerWorkerDiscoveryTests",
            dependencies: ["TygerWorkerDiscovery"]
        ),
    ]
)

for target in package.targets where [.executable, .test, .regular].contains(target.type) && target.name != "CTygerProcess" {
    var settings = target.swiftSettings ?? []
    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0335-existential-any.md
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0444-member-import-visibility.md
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    // https://github.com/swiftlang/swift-evolution/blob/main/proposals/0409-access-level-on-imports.md
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
