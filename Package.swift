// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Hotline",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hotlined", targets: ["hotlined"]),
        .executable(name: "hotlinectl", targets: ["hotlinectl"]),
        .executable(name: "hotline-gateway", targets: ["hotline-gateway"]),
        .executable(name: "hotline-loadgen", targets: ["hotline-loadgen"]),
        .executable(name: "hotline-fuzz", targets: ["hotline-fuzz"]),
        .executable(name: "hotline-bench", targets: ["hotline-bench"]),
        .executable(name: "hotline-notify", targets: ["hotline-notify"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Pure core: wire grammar, replies, domain types, directory, triage. No NIO, no GRDB.
        .target(
            name: "HotlineCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto")]),
        // Durable store: SQLite through GRDB, group commit.
        .target(
            name: "HotlineStore",
            dependencies: [
                "HotlineCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The daemon's configuration: the TOML file, its limits, and the checks on the files it
        // trusts. Small, so that the operator's tool links it without the server.
        .target(
            name: "HotlineConfiguration",
            dependencies: ["HotlineCore"]
        ),
        // Network front end and service wiring.
        .target(
            name: "HotlineServer",
            dependencies: [
                "HotlineCore",
                "HotlineConfiguration",
                "HotlineStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "hotlined",
            dependencies: [
                "HotlineServer",
                "HotlineConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The one blocking line client (TCP or Unix socket) of hotlinectl, the harness, the
        // benchmarks and the tests: I/O, so not in the pure core.
        .target(name: "HotlineLineClient"),
        // Operator actions behind hotlinectl.
        .target(name: "HotlineControl", dependencies: ["HotlineCore", "HotlineConfiguration", "HotlineLineClient"]),
        .executableTarget(
            name: "hotlinectl",
            dependencies: [
                "HotlineControl",
                "HotlineConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // SMS delivery of escalations: the queue follower, the ledger, smstools' spool.
        .target(
            name: "HotlineNotify",
            dependencies: [
                "HotlineCore", "HotlineConfiguration", "HotlineControl",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hotline-notify",
            dependencies: [
                "HotlineNotify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The gateway kit: client library with a durable spool, and the gateway CLI.
        .target(
            name: "HotlineClient",
            dependencies: [
                "HotlineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "hotline-gateway",
            dependencies: [
                "HotlineClient", "HotlineCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzzing: libFuzzer's driver declaration, the target, and the harness executable.
        .target(name: "CFuzzerDriver"),
        .target(name: "HotlineFuzzing", dependencies: ["HotlineCore", "HotlineConfiguration"]),
        .executableTarget(name: "hotline-fuzz", dependencies: ["HotlineFuzzing", "CFuzzerDriver"]),
        // The daemon as a child process, run as deployed, and a raw line client: the one
        // harness of the tests, the benchmarks and the crash script.
        .target(name: "HotlineHarness", dependencies: ["HotlineConfiguration", "HotlineCore", "HotlineLineClient"]),
        // Load generation for benchmarks.
        .target(
            name: "HotlineBench",
            dependencies: [
                "HotlineCore", "HotlineStore", "HotlineHarness", "HotlineConfiguration", "HotlineNotify", "HotlineLineClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hotline-bench",
            dependencies: [
                "HotlineBench", "HotlineHarness", "HotlineCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hotline-loadgen",
            dependencies: [
                "HotlineServer", "HotlineHarness",
                "HotlineConfiguration",
                "HotlineBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HotlineCoreTests", dependencies: ["HotlineCore"]),
        .testTarget(name: "HotlineClientTests", dependencies: ["HotlineClient", "HotlineCore"]),
        .testTarget(name: "HotlineControlTests", dependencies: ["HotlineControl", "HotlineCore"]),
        .testTarget(
            name: "HotlineNotifyTests",
            dependencies: ["HotlineNotify", "HotlineCore", "HotlineHarness", "HotlineConfiguration", "HotlineLineClient"]
        ),
        .testTarget(
            name: "HotlineStoreTests",
            dependencies: [
                "HotlineStore", "HotlineCore", "HotlineHarness", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HotlineServerTests",
            dependencies: [
                "HotlineServer", "HotlineConfiguration", "HotlineStore", "HotlineCore", "HotlineControl", "HotlineClient",
                "HotlineHarness", "HotlineLineClient",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
