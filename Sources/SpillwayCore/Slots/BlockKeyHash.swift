// The one hash of a BlockKey: every open-addressing table (SlotTable) and the replay's
// per-request key set use it.

extension BlockKey {
    /// A 64-bit hash of the key's bytes (length included). Not Hasher: the table needs a
    /// stable, cheap mix, and SipHash costs more than the whole rest of a lookup. Each word is
    /// multiplied by a distinct odd constant, then the sum is finalised with MurmurHash3's
    /// fmix64 so sequential trace ids spread over all table bits.
    @inline(__always)
    var tableHash: UInt64 {
        var h = UInt64(length) &* 0x9E37_79B9_7F4A_7C15
        h ^= w0 &* 0xC2B2_AE3D_27D4_EB4F
        h ^= w1 &* 0x1656_67B1_9E37_79F9
        h ^= w2 &* 0x85EB_CA77_C2B2_AE63
        h ^= w3 &* 0x27D4_EB2F_1656_67C5
        h ^= w4 &* 0x9E37_79B1_85EB_CA87
        h ^= w5 &* 0xFF51_AFD7_ED55_8CCD
        h ^= w6 &* 0xC4CE_B9FE_1A85_EC53
        h ^= w7 &* 0x94D0_49BB_1331_11EB
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
