//! Characters that must not reach a terminal (or a JSON string that `jq -r`
//! prints to one) as they are: they move the cursor, run escape sequences,
//! reorder text or draw nothing at all, so a stranger's text could hide or
//! disguise what it says.
//!
//! The set is taken from the Unicode Character Database, not listed by hand:
//! every code point that is a control (General_Category Cc), a format
//! character (Cf: soft hyphen, bidirectional marks and isolates, the byte-order
//! mark, interlinear annotations, tag characters, ...), a line or paragraph
//! separator (Zl, Zp), a Bidi_Control, or a Default_Ignorable_Code_Point
//! (zero-width and filler characters, variation selectors, and the code points
//! Unicode reserves as ignorable). A unit test holds [`INVISIBLE`] equal to
//! those properties as the `icu_properties` crate gives them, and prints the
//! table anew when a Unicode update changes them.

/// The invisible characters, as sorted, disjoint, inclusive ranges of code points.
#[rustfmt::skip]
pub const INVISIBLE: &[(u32, u32)] = &[
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x034F, 0x034F),
    (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
];

/// Whether `c` is invisible (see the module's documentation). Newline and tab
/// are controls, and so are invisible here; callers that keep them say so.
pub fn is_invisible(c: char) -> bool {
    let c = c as u32;
    // (Most text is printable ASCII: decided by one comparison.)
    if (0x20..0x7f).contains(&c) {
        return false;
    }
    match INVISIBLE.binary_search_by(|&(start, _)| start.cmp(&c)) {
        Ok(_) => true,
        Err(0) => false,
        Err(i) => INVISIBLE.get(i - 1).is_some_and(|&(_, end)| c <= end),
    }
}

/// Whether a character whose UTF-8 encoding starts with the bytes `lead`
/// (0xC2 or above) and `next` may be invisible: a quick test on bytes, so
/// that scanners look closer at few characters (`→`, `é`, `–` need no look).
pub fn may_start(lead: u8, next: u8) -> bool {
    match lead {
        // U+0080..U+00BF: C1 controls and the soft hyphen.
        0xc2 => next <= 0x9f || next == 0xad,
        // U+2000..U+207F: zero-width, bidirectional and separator marks.
        0xe2 => next <= 0x81,
        0xcd | 0xd8 | 0xdb | 0xdc | 0xe0 | 0xe1 | 0xe3 | 0xef | 0xf0 | 0xf3 => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint, GeneralCategory};
    use icu_properties::{CodePointMapData, CodePointSetData};

    /// The table is exactly the Unicode properties it is documented to be,
    /// for every code point; on a difference the right table is printed.
    #[test]
    fn table_is_the_unicode_properties() {
        let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
        let bidi = CodePointSetData::new::<BidiControl>();
        let category = CodePointMapData::<GeneralCategory>::new();
        let wanted = |c: u32| {
            ignorable.contains32(c)
                || bidi.contains32(c)
                || matches!(
                    category.get32(c),
                    GeneralCategory::Control
                        | GeneralCategory::Format
                        | GeneralCategory::LineSeparator
                        | GeneralCategory::ParagraphSeparator
                )
        };
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for c in (0..=0x10_ffffu32).filter(|&c| wanted(c)) {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == c => *end = c,
                _ => ranges.push((c, c)),
            }
        }
        let table: Vec<String> = ranges
            .iter()
            .map(|(a, b)| format!("(0x{a:04X}, 0x{b:04X})"))
            .collect();
        assert_eq!(
            INVISIBLE,
            ranges.as_slice(),
            "the table should be:\n{}",
            table.join(", ")
        );
        for c in (0..=0x10_ffffu32).filter_map(char::from_u32) {
            assert_eq!(is_invisible(c), wanted(c as u32), "U+{:04X}", c as u32);
            // The quick test on bytes misses none of them.
            let mut utf8 = [0u8; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            if let [lead @ 0xc2..=0xff, next, ..] = bytes {
                assert!(
                    !is_invisible(c) || may_start(*lead, *next),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }
}
