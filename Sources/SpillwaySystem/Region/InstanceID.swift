// Validation of region instance ids, which become part of a file name in a shared directory.

/// Rules for the `<id>` in `<dir>/vllm_offload_<id>.mmap`.
package enum InstanceID {
    /// Longest accepted id in UTF-8 bytes; keeps the file name (`vllm_offload_` + id +
    /// `.mmap.meta.tmp.<pid>`) well below NAME_MAX = 255.
    package static let maxByteCount = 200

    /// Throws unless `id` is safe as a file-name component: non-empty, at most
    /// `maxByteCount` bytes, no `/`, no `..`, no NUL.
    /// - Throws: `SharedOffloadRegionError.invalidInstanceID` naming the rule broken.
    package static func validate(_ id: String) throws {
        func fail(_ reason: String) -> SharedOffloadRegionError {
            .invalidInstanceID(id: id, reason: reason)
        }
        if id.isEmpty { throw fail("it is empty") }
        if id.utf8.count > maxByteCount {
            throw fail("it is \(id.utf8.count) bytes long, the limit is \(maxByteCount)")
        }
        if id.utf8.contains(0) { throw fail("it contains a NUL byte") }
        if id.contains("/") { throw fail("it contains '/'") }
        if id.contains("..") { throw fail("it contains '..'") }
    }

    /// The region file name for `id` (not validated): `vllm_offload_<id>.mmap`.
    package static func fileName(for id: String) -> String { "vllm_offload_\(id).mmap" }

    /// The instance id and segment index of a segment file name `vllm_offload_<id>.mmap.<i>`
    /// (`i` >= 1, decimal, no leading zero), or nil if the name is not one.
    package static func parseSegment(fileName: String) -> (id: String, index: Int)? {
        guard let dot = fileName.lastIndex(of: ".") else { return nil }
        let digits = fileName[fileName.index(after: dot)...]
        guard !digits.isEmpty, digits.first != "0",
            digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let index = Int(digits), index >= 1,
            let id = parse(fileName: String(fileName[..<dot]))
        else { return nil }
        return (id, index)
    }

    /// The instance id encoded in a region file name, or nil if the name is not one.
    package static func parse(fileName: String) -> String? {
        let prefix = "vllm_offload_"
        let suffix = ".mmap"
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix),
            fileName.count > prefix.count + suffix.count
        else { return nil }
        return String(fileName.dropFirst(prefix.count).dropLast(suffix.count))
    }
}
