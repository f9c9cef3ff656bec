// What a finished payload encode reports back to the disk tier.

/// The stored payload a `DiskEncodeWork` left in its destination.
public struct DiskEncodeResult: Equatable, Sendable {
    /// The work's tag (the tier's job index).
    public var tag: Int32
    /// `.none` when the row did not shrink enough and is stored raw.
    public var codec: DiskCodec
    public var storedLength: Int
    public var payloadCRC: UInt32

    public init(tag: Int32, codec: DiskCodec, storedLength: Int, payloadCRC: UInt32) {
        self.tag = tag
        self.codec = codec
        self.storedLength = storedLength
        self.payloadCRC = payloadCRC
    }
}
