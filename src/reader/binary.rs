//! Input that is not text, told from its first bytes: the capture file
//! itself, or a compressed file, given where tcpdump's text was expected.

/// What a binary input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// A pcap capture file (either byte order, micro- or nanosecond times).
    Pcap,
    /// A pcapng capture file.
    PcapNg,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    Zip,
    /// Text in UTF-16 (a byte-order mark), as some Windows editors save it.
    Utf16,
    /// Anything else that is mostly control bytes (`/dev/zero`, a program).
    Data,
}

/// Bytes looked at for control bytes.
const SNIFF: usize = 4096;

impl Binary {
    /// What `first` (the first bytes of an input) is, when it is not text.
    pub fn sniff(first: &[u8]) -> Option<Binary> {
        const MAGIC: [(&[u8], Binary); 12] = [
            (&[0xd4, 0xc3, 0xb2, 0xa1], Binary::Pcap),
            (&[0xa1, 0xb2, 0xc3, 0xd4], Binary::Pcap),
            (&[0x4d, 0x3c, 0xb2, 0xa1], Binary::Pcap),
            (&[0xa1, 0xb2, 0x3c, 0x4d], Binary::Pcap),
            (&[0x0a, 0x0d, 0x0d, 0x0a], Binary::PcapNg),
            (&[0x1f, 0x8b], Binary::Gzip),
            (&[0x28, 0xb5, 0x2f, 0xfd], Binary::Zstd),
            (b"BZh", Binary::Bzip2),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0], Binary::Xz),
            (b"PK\x03\x04", Binary::Zip),
            (&[0xff, 0xfe], Binary::Utf16),
            (&[0xfe, 0xff], Binary::Utf16),
        ];
        if let Some((_, kind)) = MAGIC.iter().find(|(magic, _)| first.starts_with(magic)) {
            return Some(*kind);
        }
        // Text has next to none (a stray NUL or escape sequence is shown, not
        // refused); binary data has them everywhere.
        let head = first.get(..first.len().min(SNIFF)).unwrap_or_default();
        let control = head
            .iter()
            .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x1b))
            .count();
        (head.len() >= 16 && control * 10 > head.len()).then_some(Binary::Data)
    }

    /// The snake_case code.
    pub fn name(self) -> &'static str {
        match self {
            Binary::Pcap => "pcap",
            Binary::PcapNg => "pcapng",
            Binary::Gzip => "gzip",
            Binary::Zstd => "zstd",
            Binary::Bzip2 => "bzip2",
            Binary::Xz => "xz",
            Binary::Zip => "zip",
            Binary::Utf16 => "utf16",
            Binary::Data => "binary",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Binary;

    #[test]
    fn binary_inputs_are_told_apart_from_text() {
        let sniff = Binary::sniff;
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Some(Binary::Pcap));
        assert_eq!(sniff(&[0xa1, 0xb2, 0xc3, 0xd4, 0, 2]), Some(Binary::Pcap));
        assert_eq!(sniff(&[0x4d, 0x3c, 0xb2, 0xa1]), Some(Binary::Pcap));
        assert_eq!(
            sniff(&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0]),
            Some(Binary::PcapNg)
        );
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Binary::Gzip));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Some(Binary::Zstd));
        assert_eq!(sniff(b"\xff\xfe1\x002\x00"), Some(Binary::Utf16));
        assert_eq!(sniff(&[0; 4096]), Some(Binary::Data));
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0"),
            Some(Binary::Data)
        );
        // A stray NUL in text is not binary data.
        assert_eq!(sniff(b"12:00:00.000000 IP a > b: x, length 0\0\0\n"), None);
        assert_eq!(
            sniff(b"12:00:00.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S]\n"),
            None
        );
        assert_eq!(sniff(b""), None);
        // (A text that happens to start like a magic number is rare: `BZh` is
        // not a tcpdump line, `PK` neither.)
        assert_eq!(
            sniff("  1  12:00:00.000000 IP6 ::1.1 > ::1.2: Flags [S]\n".as_bytes()),
            None
        );
    }
}
