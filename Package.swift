// swift-tools-version: 6.1
// The Sluice control plane. Target layout and import rules: docs/architecture.md
// (DESIGN.md §1). Imports point down; `make build` passes
// `--explicit-target-dependency-import-check error`, so an import that the
// target graph below does not declare fails the build.
import PackageDescription

/// One settings array for every target (STYLE.md §12).
let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["Sluice"]),
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .library(name: "SluiceSockets", targets: ["SluiceSockets"]),
        .library(name: "SluiceHTTPClient", targets: ["SluiceHTTPClient"]),
        .library(name: "SluiceAWS", targets: ["SluiceAWS"]),
        // For Benchmarks/ (the `SELECT 1` floor of the API benchmark).
        .library(name: "SluicePostgres", targets: ["SluicePostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // YAML (DESIGN.md §1): config-as-code files in `SluiceCLI`; the
        // tests read docs/openapi.yaml with it.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // C shims and system libraries.
        .target(name: "CSluiceSystem", path: "Sources/CSluiceSystem"),
        // libcurl; Debian package .apt(["libcurl4-openssl-dev"]).
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),

        // Infrastructure libraries: no knowledge of Sluice's domain.
        .target(name: "SluiceSockets", dependencies: ["CSluiceSystem"], swiftSettings: settings),
        .target(name: "SluiceHTTP", dependencies: ["SluiceSockets", log, coreMetrics], swiftSettings: settings),
        .target(name: "SluiceHTTPClient", dependencies: ["CCurl"], swiftSettings: settings),
        .target(name: "SluiceAWS", dependencies: ["SluiceHTTPClient", "COpenSSL"], swiftSettings: settings),
        .target(name: "SluicePostgres", dependencies: ["CLibPQ", log], swiftSettings: settings),
        .target(name: "SluiceKubeflow", dependencies: ["SluiceHTTPClient", "SluiceAWS"], swiftSettings: settings),

        // Domain, persistence and API.
        .target(name: "SluiceDomain", swiftSettings: settings),
        // Pure, I/O-free streaming record codecs for the dataset copy: CSV and
        // JSONL splitting, gzip, the quality profiler (decisions.md 48).
        .target(name: "SluiceRecords", dependencies: ["CZlib"], swiftSettings: settings),
        .target(name: "SluiceStore", dependencies: ["SluiceDomain", "SluicePostgres"], swiftSettings: settings),
        .target(name: "SluiceAPI", dependencies: ["SluiceHTTP", "SluiceDomain", "SluiceRecords", log], swiftSettings: settings),
        .target(name: "SluiceCloud", dependencies: ["SluiceDomain", "SluiceAWS", "SluiceHTTPClient", "SluiceKubeflow"], swiftSettings: settings),
        // Work queue runner, reconciler protocol and the reconcilers (DESIGN.md §5).
        .target(name: "SluiceReconcile", dependencies: ["SluiceDomain", "SluiceRecords", log, coreMetrics], swiftSettings: settings),
        // The inference data plane (`sluice gateway`).
        .target(name: "SluiceGateway", dependencies: ["SluiceHTTP", "SluiceHTTPClient", "SluiceDomain", log, coreMetrics], swiftSettings: settings),

        // Application.
        .target(name: "SluiceApp", dependencies: ["SluiceHTTP", "SluiceSockets", "SluiceHTTPClient", "SluiceAWS", "SluicePostgres", "SluiceDomain", "SluiceStore", "SluiceAPI", "SluiceCloud", "SluiceKubeflow", "SluiceGateway", "SluiceReconcile", log, metrics, coreMetrics, prometheus, lifecycle, unixSignals], swiftSettings: settings),
        // The client commands (`sluice login`, `sluice datasets ...`, `sluice apply`): REST over libcurl.
        .target(name: "SluiceCLI", dependencies: ["SluiceHTTPClient", argumentParser, yams], swiftSettings: settings),
        .executableTarget(name: "Sluice", dependencies: ["SluiceApp", "SluiceCLI", argumentParser, log], swiftSettings: settings),

        // Test support and tests.
        .target(name: "SluiceTesting", dependencies: ["SluiceSockets", "SluiceHTTP", log], path: "Tests/SluiceTesting", swiftSettings: settings),
        .testTarget(name: "SluiceSocketsTests", dependencies: ["SluiceSockets", "SluiceTesting"], swiftSettings: settings),
        .testTarget(
            name: "SluiceHTTPTests",
            dependencies: ["SluiceHTTP", "SluiceSockets", "SluiceTesting", log],
            swiftSettings: settings
        ),
        .testTarget(name: "SluiceHTTPClientTests", dependencies: ["SluiceHTTPClient", "SluiceTesting", "SluiceHTTP", "SluiceGateway"], swiftSettings: settings),
        .testTarget(
            name: "SluiceAWSTests",
            dependencies: ["SluiceAWS", "SluiceHTTPClient", "SluiceHTTP", "SluiceTesting"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "SluiceKubeflowTests",
            dependencies: ["SluiceKubeflow", "SluiceHTTPClient", "SluiceAWS", "SluiceHTTP", "SluiceTesting"],
            swiftSettings: settings
        ),
        .testTarget(name: "SluicePostgresTests", dependencies: ["SluicePostgres", "SluiceTesting"], swiftSettings: settings),
        .testTarget(name: "SluiceDomainTests", dependencies: ["SluiceDomain"], swiftSettings: settings),
        .testTarget(name: "SluiceRecordsTests", dependencies: ["SluiceRecords"], swiftSettings: settings),
        .testTarget(name: "SluiceStoreTests", dependencies: ["SluiceStore", "SluiceDomain", "SluicePostgres", "SluiceTesting"], swiftSettings: settings),
        .testTarget(
            name: "SluiceReconcileTests",
            dependencies: [
                "SluiceReconcile", "SluiceRecords", "SluiceDomain", "SluiceStore", "SluiceCloud", "SluiceAWS", "SluiceHTTPClient",
                "SluicePostgres", "SluiceTesting", log,
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "SluiceGatewayTests", dependencies: ["SluiceGateway", "SluiceDomain", "SluiceHTTPClient", log], swiftSettings: settings),
        .testTarget(name: "SluiceAPITests", dependencies: ["SluiceAPI", "SluiceDomain", "SluiceHTTP", log], swiftSettings: settings),
        .testTarget(
            name: "SluiceAppTests",
            dependencies: ["SluiceApp", "SluiceAPI", "SluiceAWS", "SluiceHTTP", "SluicePostgres", "SluiceSockets", "SluiceTesting", "SluiceGateway", "SluiceReconcile", "SluiceStore", "SluiceCloud", "SluiceKubeflow", "SluiceDomain", "SluiceHTTPClient", log, .product(name: "Yams", package: "Yams")],
            swiftSettings: settings
        ),
    ]
)
