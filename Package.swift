// swift-tools-version:6.1
import PackageDescription

/// Numeric targets are optimised even in debug builds (debug Swift is 30-340x slower on kernels),
/// and compiled for AVX2/FMA (x86-64-v3) so that SIMD code vectorises.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"]),
]

let package = Package(
    name: "Glimpse",
    products: [
        .library(name: "Glimpse", targets: ["GlimpseCore", "GlimpseFormats", "GlimpseImage", "GlimpseModels",
                                            "GlimpseVis", "GlimpseSaliency", "GlimpseMetrics", "GlimpseTraining", "GlimpseAttacks", "GlimpseDefenses",
                                            "GlimpseGallery"]),
        .executable(name: "glimpse", targets: ["glimpse"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CGlimpseZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "GlimpseCore", dependencies: ["COpenBLAS", "CFFTW"],
                swiftSettings: numericSettings, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "GlimpseFormats", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: numericSettings),
        .target(name: "GlimpseImage", dependencies: ["CPNG", "CTurboJPEG"], swiftSettings: numericSettings),
        .target(name: "GlimpseModels", dependencies: ["GlimpseCore", "GlimpseFormats", "GlimpseImage"],
                resources: [.copy("Resources/imagenet_classes.txt")], swiftSettings: numericSettings),
        .target(name: "GlimpseVis", dependencies: ["GlimpseCore", "GlimpseImage", "GlimpseModels"],
                swiftSettings: numericSettings),
        .target(name: "GlimpseSaliency", dependencies: ["GlimpseCore", "GlimpseImage", "GlimpseModels", "GlimpseFormats"],
                swiftSettings: numericSettings),
        .target(name: "GlimpseDefenses", dependencies: ["GlimpseCore", "GlimpseImage", "GlimpseModels", "GlimpseSaliency"],
                swiftSettings: numericSettings),
        .target(name: "GlimpseGallery"),
        .target(name: "GlimpseMetrics", dependencies: ["GlimpseCore", "GlimpseFormats", "GlimpseModels", "GlimpseSaliency"],
                swiftSettings: numericSettings),
        .target(name: "GlimpseTraining", dependencies: ["CGlimpseZlib", "GlimpseCore", "GlimpseFormats", "GlimpseImage", "GlimpseModels", "GlimpseSaliency"],
                swiftSettings: numericSettings),
        .target(name: "GlimpseAttacks", dependencies: ["GlimpseCore", "GlimpseFormats", "GlimpseImage", "GlimpseModels", "GlimpseSaliency",
                                                .product(name: "Yams", package: "Yams")],
                swiftSettings: numericSettings),
        .executableTarget(name: "glimpse", dependencies: [
            "GlimpseCore", "GlimpseFormats", "GlimpseImage", "GlimpseModels", "GlimpseVis", "GlimpseSaliency", "GlimpseGallery", "GlimpseMetrics",
            "GlimpseTraining", "GlimpseAttacks", "GlimpseDefenses",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: numericSettings),

        .testTarget(name: "GlimpseCoreTests", dependencies: ["GlimpseCore"], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseFormatsTests", dependencies: ["GlimpseFormats"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseImageTests", dependencies: ["GlimpseImage", "GlimpseFormats"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseModelsTests", dependencies: ["GlimpseModels"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseCLITests", dependencies: ["glimpse", "GlimpseImage"]),
        .testTarget(name: "GlimpseVisTests", dependencies: ["GlimpseVis"], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseDefensesTests", dependencies: ["GlimpseDefenses", "GlimpseModels", "GlimpseCore"],
                    swiftSettings: numericSettings),
        .testTarget(name: "GlimpseDocsTests", dependencies: ["GlimpseCore", "GlimpseImage", "GlimpseModels", "GlimpseSaliency",
                                                            "GlimpseVis", "GlimpseDefenses", "GlimpseAttacks", "GlimpseMetrics"],
                    swiftSettings: numericSettings),
        .testTarget(name: "GlimpseGalleryTests", dependencies: ["GlimpseGallery", "GlimpseImage"]),
        .testTarget(name: "GlimpseSaliencyTests", dependencies: ["GlimpseSaliency", "GlimpseFormats"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseMetricsTests", dependencies: ["GlimpseMetrics", "GlimpseSaliency", "GlimpseFormats"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "GlimpseTrainingTests", dependencies: ["GlimpseTraining", "GlimpseModels", "GlimpseFormats"],
                    swiftSettings: numericSettings),
        .testTarget(name: "GlimpseAttacksTests", dependencies: ["GlimpseAttacks", "GlimpseFormats"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
    ],
    swiftLanguageModes: [.v5]
)
