/// Strict decoding of config sections: a misspelt key is an error rather than a silently ignored setting.
enum ConfigKeys {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A scalar written as a word or a number, kept as its text.
    struct Scalar: Decodable {
        let text: String

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { text = String(i) }
            else if let d = try? c.decode(Double.self) { text = String(d) }
            else { text = try c.decode(String.self) }
        }
    }

    /// Throws `DecodingError.dataCorrupted` naming the first key of the decoder's mapping that `Keys` lacks.
    static func rejectUnknown<Keys: CodingKey>(_ decoder: Decoder, _ keys: Keys.Type) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where Keys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: "unknown key '\(key.stringValue)'"))
        }
    }
}
