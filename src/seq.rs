//! Sequence numbers: 32-bit values compared and added modulo 2^32 (RFC 9293 §3.4).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A TCP sequence or acknowledgment number, modulo 2^32.
///
/// Ordering is serial-number arithmetic: `a < b` when `b - a` (wrapping) is in
/// `1..2^31`, so comparisons stay right across the wrap at 2^32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// `self + n`, wrapping.
    #[must_use]
    pub fn plus(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }

    /// `self - other` as a signed distance (valid when the two are within 2^31).
    #[must_use]
    pub fn diff(self, other: SeqNumber) -> i64 {
        // Reinterpreting the wrapped difference as i32 is the serial-arithmetic rule.
        i64::from(self.0.wrapping_sub(other.0) as i32)
    }

    /// Offset of `self` from `base`, wrapping (a relative sequence number).
    #[must_use]
    pub fn offset_from(self, base: SeqNumber) -> u32 {
        self.0.wrapping_sub(base.0)
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeqNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.diff(*other).cmp(&0)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_wraps() {
        let near_top = SeqNumber(u32::MAX - 5);
        let wrapped = near_top.plus(10);
        assert_eq!(wrapped, SeqNumber(4));
        assert!(near_top < wrapped);
        assert_eq!(wrapped.diff(near_top), 10);
        assert_eq!(near_top.diff(wrapped), -10);
        assert_eq!(wrapped.offset_from(near_top), 10);
    }
}
