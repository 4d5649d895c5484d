import Foundation
import Testing

/// `glimpse saliency --method sess:NAME`: SESS wrapping a method from the command line.
@Suite(.enabled(if: CLI.ready)) struct SaliencySESSCLITests {
    @Test func sessWrappedGradCAMWritesANormalisedMap() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("glimpse-sess-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["saliency", "--method", "gradcam, sess:gradcam", "--npy", dir.path, "--png", dir.path,
                             CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("sess:gradcam (class 285"), "\(r.err)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("chelsea_sess-gradcam_285.png").path))
        // The .npy's payload is the last 224·224 float32 values (little-endian); SESS ends with a min-max.
        let data = try Data(contentsOf: dir.appendingPathComponent("chelsea_sess-gradcam_285.npy"))
        let count = 224 * 224
        #expect(data.count > count * 4)
        let values = data.suffix(count * 4).withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        #expect(values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(values.max() == 1 && values.min() == 0)
        // It is not the plain Grad-CAM map (the windows change it).
        let plain = try Data(contentsOf: dir.appendingPathComponent("chelsea_gradcam_285.npy"))
        #expect(plain.suffix(count * 4) != data.suffix(count * 4))
    }

    @Test func helpNamesTheWrapperAndBadNamesFailInOneLine() throws {
        let help = try CLI.run(["saliency", "--help"])
        #expect(help.out.contains("sess:NAME") && help.out.contains("Tursun et al. 2022"), "\(help.out)")
        let bad = try CLI.run(["saliency", "--method", "sess:nope", CLI.photos.appendingPathComponent("chelsea.png").path])
        #expect(bad.status != 0 && bad.status < 128)
        #expect(bad.err.split(separator: "\n").first?.hasPrefix("Error:") == true, "\(bad.err)")
        #expect(bad.err.contains("sess:nope"))
    }
}
