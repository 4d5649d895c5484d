import Foundation

/// The 1000 ImageNet-1k class names in class-index order (as torchvision lists them).
public enum ImageNetClasses {
    /// All names; index i is class i.
    public static let names: [String] = {
        guard let url = Bundle.module.url(forResource: "imagenet_classes", withExtension: "txt"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }()

    /// The name of class `index`, or "class N" when out of range.
    public static func name(_ index: Int) -> String {
        index >= 0 && index < names.count ? names[index] : "class \(index)"
    }
}
