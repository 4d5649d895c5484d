import ArgumentParser
import Foundation
import GlimpseAttacks
import GlimpseCore
import GlimpseImage
import GlimpseModels

struct BenchAttacks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-attacks",
        abstract: "Time PGD-10 (ε 8/255, α 2/255, random start) on one 224×224 photo, with the ratio to a peer timing.",
        discussion: """
        The timed call returns the adversarial image and the model's prediction on it (10 forward + backward passes
        and one forward). scripts/bench_attacks.sh times torchattacks' PGD with the same settings and the same work
        first (scripts/pgd_peer.py, in the anchors venv) and passes its JSON with --peers, so that both are measured
        in the same run; the ratio to torchattacks' attack alone (without the prediction) is printed too.
        """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "Timed repetitions (median, min and max are reported).")
    var runs: Int = 5

    @Option(name: .long, help: "Peer timings JSON written by scripts/pgd_peer.py.")
    var peers: String?

    @Option(name: .long, help: "Image to attack (default: the chelsea sample photo).")
    var image: String?

    func validate() throws {
        guard (1...1000).contains(runs) else { throw ValidationError("--runs must be between 1 and 1000") }
    }

    func run() throws {
        let model = try modelOptions.load()
        let path = image ?? ModelZoo.cacheDirectory.appendingPathComponent("photos/chelsea.png").path
        let x = try model.preprocess(ImageCodec.load(contentsOf: URL(fileURLWithPath: path)))
        let label = Prediction.argmax(try model.logits(x))[0]
        let attack = PGDLinf(eps: 8 / 255, alpha: 2 / 255, steps: 10, randomStart: true, seed: 0)
        var result: AttackResult?
        for _ in 0..<2 { result = try attack.attack(model, images: x, labels: [label]) }
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            result = try attack.attack(model, images: x, labels: [label])
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        let median = times[times.count / 2]
        print(String(format: "Glimpse PGD-10 + prediction (%@): median %.1f ms (min %.1f, max %.1f, %d runs); label %d → %d, success %@",
                     model.name, median, times.first!, times.last!, runs, label, result!.predictions[0], "\(result!.success[0])"))
        if let peers {
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: peers))) as? [String: Any]
            guard let peer = (doc?["pgd10"] as? [String: Any])?["median_ms"] as? Double else {
                throw ValidationError("\(peers) has no pgd10.median_ms")
            }
            print(String(format: "torchattacks PGD-10 + prediction: median %.1f ms → Glimpse is %.2f× faster", peer, peer / median))
            if let bare = (doc?["pgd10_attack_only"] as? [String: Any])?["median_ms"] as? Double {
                print(String(format: "torchattacks PGD-10 alone (one forward pass less than Glimpse's timed call): median %.1f ms → %.2f×",
                             bare, bare / median))
            }
        }
    }
}
