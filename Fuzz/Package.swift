// swift-tools-version: 6.1
// libFuzzer harness for the HTTP/1.1 request decoder. Kept out of the root
// package so `-sanitize=fuzzer` never touches the normal build. Run with
// `scripts/fuzz.sh [seconds]` (or `make fuzz`).
import PackageDescription

let package = Package(
    name: "sluice-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: ".."),
    ],
    targets: [
        // Supplies `HTTPDecoderFuzzer_main`, which SwiftPM's link line expects
        // and `-parse-as-library` suppresses; see FuzzerEntry.c.
        .target(name: "FuzzerEntry"),
        .executableTarget(
            name: "HTTPDecoderFuzzer",
            dependencies: ["FuzzerEntry", .product(name: "SluiceHTTP", package: "sluice")],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
    ]
)
