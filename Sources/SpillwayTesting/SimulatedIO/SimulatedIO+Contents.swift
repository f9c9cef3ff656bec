// Seeding a simulated directory with given file bytes, so fuzzers and hostile-input tests
// open a tier over exactly the bytes they choose.
extension SimulatedIO {
    /// Makes `name` hold exactly `bytes` in both images (durable, nothing unsynced), creating
    /// it when absent. The file is a new object: a backend made by `reopened` that shares
    /// the old one keeps its bytes.
    package func replaceContents(ofFileNamed name: String, with bytes: [UInt8]) {
        let file = File(name: name)
        file.current = bytes
        file.durable = bytes
        files[name] = file
    }
}

extension SimulatedIO {
    /// Every file of every directory, sorted: the home's by name, an extra directory's as
    /// `"<directory>/<name>"` (to check an open created or removed nothing).
    package var fileNamesForTesting: [String] { files.keys.sorted() }
}
