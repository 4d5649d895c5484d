import Foundation
import GlimpseCore
import GlimpseVis

/// The sample photos of scripts/setup.sh (~/.cache/glimpse/photos), when present.
enum Photos {
    static let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["GLIMPSE_CACHE"]
        ?? (NSHomeDirectory() + "/.cache/glimpse")).appendingPathComponent("photos")

    static let present: Bool = {
        let ok = FileManager.default.fileExists(atPath: folder.appendingPathComponent("chelsea.png").path)
        if !ok { print("GlimpseVisTests: sample photos missing (run scripts/setup.sh); skipping photo tests") }
        return ok
    }()

    static func batch(side: Int) throws -> Tensor { try ImageFolder.load(folder, side: side).images }
}
