import Foundation
import GlimpseMetrics
import Testing

/// Docs/data/photo-boxes.json (our hand-annotated pointing-game boxes) and resuming evaluation records.
@Suite struct PhotoBoxesTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Docs/data/photo-boxes.json")

    @Test func bundledBoxesParseAndLieInsideTheInput() throws {
        let boxes = try PointingGame.boxes(json: Data(contentsOf: Self.file))
        #expect(Set(boxes.keys) == ["astronaut.png", "coffee.png", "motorcycle_left.png", "rocket.jpg"])
        for (image, list) in boxes {
            #expect(!list.isEmpty, "\(image)")
            for b in list {
                // The frame of `glimpse evaluate`: the 224×224 model input (centre square crop, then resize).
                #expect(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 224 && b.y1 <= 224 && b.x0 < b.x1 && b.y0 < b.y1, "\(image) \(b)")
                // Not the whole frame: a box that covers everything makes every map a hit.
                #expect((b.x1 - b.x0) * (b.y1 - b.y0) < 224 * 224 * 3 / 4, "\(image) \(b)")
            }
        }
    }

    @Test(arguments: ["[1, 2]", "{\"a.png\": [[5, 0, 4, 9]]}", "{\"a.png\": [[0, 0, 4]]}", "{\"a.png\": [[0.5, 0, 4, 4]]}"])
    func malformedBoxesAreTypedErrors(json: String) {
        #expect(throws: MetricError.self) { try PointingGame.boxes(json: Data(json.utf8)) }
    }

    @Test func resumedRecordsComputeOnlyWhatIsMissing() {
        var old = EvaluationRecord(image: "a.png", method: "gradcam", classIndex: 3, milliseconds: 10)
        old.deletion = 0.1
        old.insertion = 0.2
        #expect(old.missing([.deletion, .insertion, .pointing], hasBoxes: false).isEmpty)
        #expect(old.missing([.deletion, .insertion, .pointing, .adcc], hasBoxes: true) == [.pointing, .adcc])
        var new = EvaluationRecord(image: "a.png", method: "gradcam", classIndex: 3, milliseconds: 99)
        new.deletion = 0.9
        new.pointingHit = true
        old.fill(from: new)
        #expect(old.deletion == 0.1 && old.insertion == 0.2 && old.pointingHit == true && old.milliseconds == 10)
        #expect(old.missing([.deletion, .insertion, .pointing], hasBoxes: true).isEmpty)
    }
}
