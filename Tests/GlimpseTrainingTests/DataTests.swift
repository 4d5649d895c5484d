import Foundation
import GlimpseCore
import Testing
import GlimpseTraining

@Suite struct DataTests {
    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func gzipAndIDXReadTheRealLabels() throws {
        let parsed = try IDX.parse(Gzip.decompress(Support.testLabelsGzip()))
        #expect(parsed.shape == [10000])
        var counts = [Int](repeating: 0, count: 10)
        for b in parsed.bytes { counts[Int(b)] += 1 }
        #expect(counts == [Int](repeating: 1000, count: 10))
    }

    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func everyTruncationAndFlipIsATypedError() throws {
        let data = try Support.testLabelsGzip()
        for length in Array(0..<64) + Array(stride(from: 64, to: data.count, by: 97)) + [data.count - 1] {
            #expect(throws: TrainingError.self) { try IDX.parse(Gzip.decompress(data.prefix(length))) }
        }
        var rng = SeededRNG(seed: 3)
        for _ in 0..<40 {
            var bytes = [UInt8](data)
            let i = 10 + Int(rng.next() % UInt64(bytes.count - 10))
            bytes[i] ^= UInt8(1 + rng.next() % 255)
            // A flipped byte breaks the deflate stream or the CRC-32/length trailer; zlib reports both.
            #expect(throws: TrainingError.self) { try IDX.parse(Gzip.decompress(Data(bytes))) }
        }
        #expect(throws: TrainingError.self) { try Gzip.decompress(Data("not gzip at all, just text".utf8)) }
    }

    @Test func idxHeaderErrors() throws {
        #expect(throws: TrainingError.self) { try IDX.parse(Data([0, 0, 8])) }
        #expect(throws: TrainingError.self) { try IDX.parse(Data([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0])) }  // float elements
        #expect(throws: TrainingError.self) { try IDX.parse(Data([0, 0, 8, 1, 0, 0, 0, 3, 1, 2])) }        // one byte short
        #expect(throws: TrainingError.self) { try IDX.parse(Data([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255])) }
        let ok = try IDX.parse(Data([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 7, 9]))
        #expect(ok.shape == [2, 1] && ok.bytes == [7, 9])
    }

    @Test(.enabled(if: Support.fashionMNISTPresent, "needs the Debian package dataset-fashion-mnist"))
    func fashionMNISTTestSplit() throws {
        let test = try FashionMNIST.load(.test)
        #expect(test.count == 10000 && test.channels == 1 && test.height == 28 && test.width == 28)
        #expect(test.pixels.min()! == 0 && test.pixels.max()! == 1)
        let (x, labels) = test.batch([0, 9999])
        #expect(x.shape == [2, 1, 28, 28] && labels == [test.labels[0], test.labels[9999]])
        #expect(throws: TrainingError.self) { try FashionMNIST.load(.test, from: URL(fileURLWithPath: "/nonexistent")) }
    }

    @Test func batchScheduleIsASeededPermutationPerEpoch() throws {
        let s = try BatchSchedule(exampleCount: 100, batchSize: 32, seed: 5)
        #expect(s.batchesPerEpoch == 3)
        let e0 = s.order(epoch: 0), e1 = s.order(epoch: 1)
        #expect(e0.sorted() == Array(0..<100) && e1.sorted() == Array(0..<100))
        #expect(e0 != e1 && e0 == s.order(epoch: 0))
        #expect(e0 != (try BatchSchedule(exampleCount: 100, batchSize: 32, seed: 6)).order(epoch: 0))
        #expect(s.batch(2, of: e0) == Array(e0[64..<96]))
        #expect(throws: TrainingError.self) { try BatchSchedule(exampleCount: 10, batchSize: 32, seed: 0) }
    }

    @Test func augmentation() throws {
        var rng = SeededRNG(seed: 1)
        let x = Tensor.uniform([4, 2, 8, 8], rng: &rng)
        #expect(try Augmentation.none.apply(x, rng: &rng).scalars == x.scalars)
        // Flip only: every image is itself or its mirror.
        let flipped = try Augmentation(flip: true).apply(x, rng: &rng)
        var mirrors = 0
        for n in 0..<4 {
            let same = (0..<2).allSatisfy { c in (0..<8).allSatisfy { i in (0..<8).allSatisfy { j in flipped[n, c, i, j] == x[n, c, i, j] } } }
            let mirror = (0..<2).allSatisfy { c in (0..<8).allSatisfy { i in (0..<8).allSatisfy { j in flipped[n, c, i, j] == x[n, c, i, 7 - j] } } }
            #expect(same || mirror)
            if mirror && !same { mirrors += 1 }
        }
        #expect(mirrors > 0 && mirrors < 4)
        // Shift: each image is a translated copy (zeros enter from the border).
        let shifted = try Augmentation(maxShift: 2).apply(x, rng: &rng)
        #expect(shifted.shape == x.shape && shifted.scalars.contains(0))
        // Random-sized crop to another size, seeded.
        var a = SeededRNG(seed: 9), b = SeededRNG(seed: 9)
        let crop = Augmentation.randomSizedCrop(5)
        let c1 = try crop.apply(x, rng: &a), c2 = try crop.apply(x, rng: &b)
        #expect(c1.shape == [4, 2, 5, 5] && c1.scalars == c2.scalars)
        #expect(c1.scalars.allSatisfy { (0...1).contains($0) })
        #expect(throws: TrainingError.self) { try Augmentation(areaRange: 0...1).apply(x, rng: &rng) }
    }
}
