// What a finished payload encode reports back to the disk tier.

/// The stored payload a `DiskEncodeWork` left in its destination.
package struct DiskEncodeResult: Equatable, Sendable {
    /// The work's tag (the tier's job index).
    package var tag: Int32
    /// `.none` when the row did not shrink enough and is stored raw.
    package var codec: DiskCodec
    package var storedLength: Int
    package var payloadCRC: UInt32

    package init(tag: Int32, codec: DiskCodec, storedLength: Int, payloadCRC: UInt32) {
        self.tag = tag
        self.codec = codec
        self.storedLength = storedLength
        self.payloadCRC = payloadCRC
    }
}
