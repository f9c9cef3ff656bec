// A tier striped over several directories: the home's manifest of them, and the checks
// that an open gives the directories the tier was created with, in the same order.

extension DiskTier {
    /// First line of `spillway-directories`; the directories' paths follow, one a line.
    static var directoryManifestHeader: String { "spillway-directories 1" }

    /// Checks the backend's directories against the home's manifest (when it has one) and
    /// lists the extra directories. An extra directory must hold no data file but its own
    /// (`spillway-data.K` in directory K: another name means the list is out of order or
    /// the directory belongs to another tier), and, when the tier is being created, not
    /// even that one (a leftover of another tier).
    /// - Returns: the file names of directories 1...N-1.
    /// - Throws: `DiskTierError.invalidOptions` naming the difference.
    static func checkDirectories(io: IO, homeFiles: [String], creating: Bool) throws
        -> [[String]]
    {
        let given = io.directoryPaths
        if homeFiles.contains(DiskLayout.directoryManifestFileName) {
            let recorded = try readDirectoryManifest(io: io)
            if recorded.count != given.count || recorded.dropFirst() != given.dropFirst() {
                throw DiskTierError(
                    .invalidOptions, directoryDifference(recorded: recorded, given: given))
            }
        }
        var listings: [[String]] = []
        for index in given.indices.dropFirst() {
            let names: [String]
            do { names = try io.listFiles(inDirectory: index) } catch {
                throw DiskTierError(.backend, "cannot list \(given[index]): \(error)")
            }
            let own = DiskLayout.dataFileName(index)
            if let other = names.first(where: { $0.hasPrefix("spillway-") && $0 != own }) {
                throw DiskTierError(
                    .invalidOptions,
                    "\(given[index]), directory \(index + 1) of this open, holds \(other): it is another directory of this tier (give them in the order they were created) or of another tier; an extra directory holds only \(own)"
                )
            }
            if creating && names.contains(own) {
                throw DiskTierError(
                    .invalidOptions,
                    "\(given[index]) already holds \(own) but \(given[0]) holds no tier: it is left from another tier; remove it or choose an empty directory"
                )
            }
            listings.append(names)
        }
        return listings
    }

    /// Checks, once the newest checkpoint is known, that it names as many data files as
    /// this open has directories, and that none of them was missing (created by this open).
    static func checkDataFiles(recorded: Int, directories: [String], created: [String]) throws {
        if recorded != directories.count {
            throw DiskTierError(
                .invalidOptions,
                "the tier in \(directories[0]) stripes over \(recorded) \(recorded == 1 ? "directory" : "directories"), this open gives \(directories.count) (\(directories.joined(separator: ", "))): give the directories it was created with, home first, in the same order"
            )
        }
        if let missing = created.first {
            throw DiskTierError(
                .notFound,
                "\(missing) was missing from its directory: the tier's blocks there are gone; restore the file, or remove the tier's spillway-* files in every directory to start empty"
            )
        }
    }

    /// What differs between the directories a tier was created with and those given.
    static func directoryDifference(recorded: [String], given: [String]) -> String {
        var differences: [String] = []
        for index in 1..<max(recorded.count, given.count) {
            let was = index < recorded.count ? recorded[index] : "none"
            let now = index < given.count ? given[index] : "none"
            if was != now { differences.append("directory \(index + 1): created \(was), given \(now)") }
        }
        return "the tier in \(given[0]) was created over \(recorded.count) directories (\(recorded.joined(separator: ", "))), this open gives \(given.count) (\(given.joined(separator: ", "))): "
            + differences.joined(separator: "; ")
            + ". A tier's directories are fixed at creation: give the same list, home first"
    }

    /// Reads the home's `spillway-directories`: its paths, the home's first.
    static func readDirectoryManifest(io: IO) throws -> [String] {
        let name = DiskLayout.directoryManifestFileName
        let file: IOFileID
        do { file = try io.openFile(name, options: IOFileOptions()) } catch {
            throw DiskTierError(.backend, "cannot open \(name): \(error)")
        }
        defer { io.closeFile(file) }
        let size = Int((try? io.fileSize(file)) ?? 0)
        let page = DiskLayout.pageBytes
        guard size > 0, size % page == 0, size <= 64 * page else {
            throw DiskTierError(
                .indexCorrupt, "\(name) has \(size) bytes, not 1...64 whole pages: it is damaged")
        }
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: size, alignment: max(page, io.requiredAlignment))
        defer { buffer.deallocate() }
        let moved = blockingTransfer(
            io: io, kind: .read, file: file, offset: 0, buffer: buffer, length: size)
        guard moved == size else {
            throw DiskTierError(.backend, "reading \(name) failed (result \(moved))")
        }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: size)
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == directoryManifestHeader, lines.last == "", lines.count >= 4 else {
            throw DiskTierError(.indexCorrupt, "\(name) is not a directory manifest: it is damaged")
        }
        return Array(lines.dropFirst().dropLast())
    }

    /// Writes the home's `spillway-directories` durably (before the data files are
    /// reserved, so a tier with several data files always has it).
    static func writeDirectoryManifest(io: IO, directories: [String]) throws {
        let name = DiskLayout.directoryManifestFileName
        let text = ([directoryManifestHeader] + directories).joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        let page = DiskLayout.pageBytes
        let length = DiskLayout.roundUp(bytes.count, to: page)
        guard length <= 64 * page, !directories.contains(where: { $0.contains("\n") }) else {
            throw DiskTierError(
                .invalidOptions, "the directory paths are too long or hold a newline: use shorter paths")
        }
        let file: IOFileID
        do { file = try io.openFile(name, options: IOFileOptions(create: true)) } catch {
            throw DiskTierError(.backend, "cannot create \(name): \(error)")
        }
        defer { io.closeFile(file) }
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: length, alignment: max(page, io.requiredAlignment))
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let written = blockingTransfer(
            io: io, kind: .write, file: file, offset: 0, buffer: buffer, length: length)
        let synced = blockingTransfer(
            io: io, kind: .sync, file: file, offset: 0, buffer: nil, length: 0)
        guard written == length, synced == 0 else {
            throw DiskTierError(
                .backend, "writing \(name) failed (result \(written), sync \(synced)); retry")
        }
    }
}
