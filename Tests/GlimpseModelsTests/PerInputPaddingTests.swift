import GlimpseCore
import GlimpseModels
import Testing

/// `EfficientNetLite0.padsSamePerInput()` against PyTorch's EfficientNet-Lite0 with per-input TF-"same" pads.
@Suite struct PerInputPaddingTests {
    /// The chelsea reference input in [0, 1], padded with 0.5 to 249×249 (12 px top/left, 13 px bottom/right).
    static func paddedInput() throws -> Tensor {
        let x = try ModelFixtureTests.chelseaInput().scalars
        return Tensor(shape: [1, 3, 249, 249]) { s, n in
            for i in 0..<n {
                let (c, y, xx) = (i / (249 * 249), i / 249 % 249 - 12, i % 249 - 12)
                s[i] = (0..<224).contains(y) && (0..<224).contains(xx) ? x[c * 224 * 224 + y * 224 + xx] : 0.5
            }
        }
    }

    @Test(.enabled(if: ModelFixtureTests.lite != nil, "EfficientNet-Lite0 weights missing: run scripts/setup.sh"))
    func oddSideMatchesPyTorchsDynamicPadding() throws {
        let model = try #require(ModelFixtureTests.lite)
        let x = try Self.paddedInput()
        let reference = try TestData.tensor("block10_dynamic_pad_249_1x112x16x16.npy")
        let perInput = try withoutGradient { try model.padsSamePerInput().run(x, capturing: ["_blocks.10"]).layer("_blocks.10") }
        #expect(perInput.shape == [1, 112, 16, 16])
        let error = maxAbsDiff(perInput, reference)
        #expect(error <= 1e-3, "max abs \(error)")
        // The static 224 pads give a 15×15 map at 249 (the stride-2 layers see odd sides): a different network there.
        let fixed = try withoutGradient { try model.run(x, capturing: ["_blocks.10"]).layer("_blocks.10") }
        #expect(fixed.shape == [1, 112, 15, 15])
        // At 224 both are the same network.
        let x224 = try ModelFixtureTests.chelseaInput()
        let a = try withoutGradient { try model.run(x224, capturing: ["_blocks.10"]).layer("_blocks.10") }
        let b = try withoutGradient { try model.padsSamePerInput().run(x224, capturing: ["_blocks.10"]).layer("_blocks.10") }
        #expect(a.scalars == b.scalars)
    }
}
