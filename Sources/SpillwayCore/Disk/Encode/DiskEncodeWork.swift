// One payload encode the disk tier hands to a `DiskEncoder`, and the one function every
// encoder runs on it (so inline and threaded encoders produce the same bytes).
import CSpillwayCompute

/// Encode `rawLength` bytes at `source` with `codec` into `destination` (the payload area
/// of a job's staging buffer, right behind the record header). `source` is either the same
/// memory (the row was copied into staging first) or the caller's row, which the caller
/// keeps untouched until the store completes (`DiskTierOptions.zeroCopy`).
package struct DiskEncodeWork: @unchecked Sendable {
    /// The tier's job index; returned in the result.
    package var tag: Int32
    package var codec: DiskCodec
    package var source: UnsafeRawPointer
    package var destination: UnsafeMutableRawPointer
    package var rawLength: Int
    /// Largest encoded length kept: a longer encode stores the row raw instead.
    package var capacity: Int

    package init(
        tag: Int32, codec: DiskCodec, source: UnsafeRawPointer,
        destination: UnsafeMutableRawPointer, rawLength: Int, capacity: Int
    ) {
        self.tag = tag
        self.codec = codec
        self.source = source
        self.destination = destination
        self.rawLength = rawLength
        self.capacity = capacity
    }

    /// Leaves the stored payload at `destination` (encoded when it fits in `capacity`,
    /// else the raw bytes) and returns its codec, length and CRC32C. `scratch` holds at
    /// least `rawLength` bytes and is used by this call only.
    package func perform(scratch: UnsafeMutableRawPointer) -> DiskEncodeResult {
        let inPlace = UnsafeRawPointer(destination) == source
        guard codec != .none, rawLength > 0, capacity > 0 else {
            // Nothing to try (no room for any encoding): the raw bytes as they are.
            let crc =
                inPlace
                ? CRC32C.checksum(UnsafeRawBufferPointer(start: source, count: rawLength))
                : CRC32C.copyAndChecksum(
                    from: UnsafeRawBufferPointer(start: source, count: rawLength), to: destination)
            return DiskEncodeResult(tag: tag, codec: .none, storedLength: rawLength, payloadCRC: crc)
        }
        if inPlace, codec == .lz4 {
            // LZ4 cannot compress over its own input: compress into scratch, and copy only
            // the (shorter) encoded bytes back, checksummed on the way; a row that did not
            // shrink is still intact in place.
            let encoded = codec.encodePayload(
                source, rawLength: rawLength, into: scratch, capacity: capacity,
                scratch: scratch)
            if encoded > 0 {
                let crc = CRC32C.copyAndChecksum(
                    from: UnsafeRawBufferPointer(start: scratch, count: encoded), to: destination)
                return DiskEncodeResult(tag: tag, codec: codec, storedLength: encoded, payloadCRC: crc)
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: source, count: rawLength))
            return DiskEncodeResult(tag: tag, codec: .none, storedLength: rawLength, payloadCRC: crc)
        }
        let encoded = codec.encodePayload(
            source, rawLength: rawLength, into: destination, capacity: capacity, scratch: scratch)
        if encoded > 0 {
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: destination, count: encoded))
            return DiskEncodeResult(tag: tag, codec: codec, storedLength: encoded, payloadCRC: crc)
        }
        // Did not shrink enough: put the raw bytes back (a failed LZ4 may have written part
        // of `destination`) and checksum them.
        let crc: UInt32
        if !inPlace {
            crc = CRC32C.copyAndChecksum(
                from: UnsafeRawBufferPointer(start: source, count: rawLength), to: destination)
        } else {
            // The shuffled copy in scratch is the only intact one: unshuffle it back.
            DiskCodec.shuffle(scratch, into: destination, rawLength: rawLength, inverse: true)
            crc = CRC32C.checksum(UnsafeRawBufferPointer(start: destination, count: rawLength))
        }
        return DiskEncodeResult(tag: tag, codec: .none, storedLength: rawLength, payloadCRC: crc)
    }
}
