// swift-tools-version: 6.1
// Benchmarks for Sluice, in their own package so that Hummingbird (the
// yardstick) never enters the product's dependency graph. Build with
//   swift build -c release --package-path Benchmarks --scratch-path Benchmarks/.build
// and run with `make bench-http` (Benchmarks/run-http.sh) or `make bench-api`
// (Benchmarks/run-api.sh); results: docs/benchmarks.md.
import PackageDescription

/// One settings array for every target (STYLE.md §12).
let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sluice-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "BenchSupport",
            dependencies: [.product(name: "SluiceHTTP", package: "sluice"), .product(name: "SluiceSockets", package: "sluice")],
            path: "Sources/BenchSupport",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "sluice-http-bench-server",
            dependencies: [
                "BenchSupport",
                .product(name: "SluiceHTTP", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SluiceHTTPBenchServer",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "sluice-db-bench-server",
            dependencies: [
                "BenchSupport",
                .product(name: "SluiceHTTP", package: "sluice"),
                .product(name: "SluicePostgres", package: "sluice"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SluiceDBBenchServer",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "EventLoopBench",
            dependencies: [.product(name: "SluiceSockets", package: "sluice")],
            path: "Sources/EventLoopBench",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "AWSBench",
            dependencies: [
                .product(name: "SluiceAWS", package: "sluice"),
                .product(name: "SluiceHTTPClient", package: "sluice"),
            ],
            path: "Sources/AWSBench",
            swiftSettings: settings
        ),
        .executableTarget(
            name: "hummingbird-bench-server",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/HummingbirdBenchServer",
            swiftSettings: settings
        ),
    ]
)
