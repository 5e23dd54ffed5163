//! What precedes the protocol text: packet number, timestamp, link layer.

use super::{fail, Res};
use crate::model::{LinkLayer, Prefix, TimeForm, Timestamp};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{opt, recognize};
use nom::Parser;

/// Parses `[pktnum] [timestamp]` and an optional link-layer prefix.
pub fn prefix(input: &str) -> Res<'_, Prefix> {
    let (rest, (number, number_pad, number_sep)) = packet_number(input)?;
    let after = skip_time_error(rest);
    let time_unreadable = after.len() != rest.len();
    let (rest, timestamp) = opt(timestamp).parse(after)?;
    // The common case, `IP `/`IP6 ` right after the time, has no link-layer header.
    // (PPP's `-e` header `IP (0x0021), ` also starts with `IP `.)
    let plain_ip =
        (rest.starts_with("IP ") && !rest.starts_with("IP (0x")) || rest.starts_with("IP6 ");
    let (rest, link) = if plain_ip {
        (rest, None)
    } else {
        opt(nom::combinator::map(link_layer, Box::new)).parse(rest)?
    };
    Ok((
        rest,
        Prefix {
            number,
            number_pad,
            number_sep,
            timestamp,
            time_unreadable,
            link,
        },
    ))
}

/// `-#` prints `%5u` then two spaces; pasted article dumps use `N ` then the time.
fn packet_number(input: &str) -> Res<'_, (Option<u64>, u8, u8)> {
    // Most lines start with the time: digits then `:` (no number).
    let digits = input.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && input.as_bytes().get(digits) != Some(&b' ') {
        return Ok((input, (None, 0, 0)));
    }
    let attempt: Res<'_, _> = (space0, digit1, alt((tag("  "), tag(" ")))).parse(input);
    let width = |s: &str| u8::try_from(s.len()).unwrap_or(u8::MAX);
    match attempt {
        Ok((rest, (pad, digits, sep))) => match digits.parse::<u64>() {
            Ok(n) => Ok((rest, (Some(n), width(pad), width(sep)))),
            Err(_) => Ok((input, (None, 0, 0))),
        },
        Err(_) => Ok((input, (None, 0, 0))),
    }
}

fn fixed_digits(n: usize) -> impl Fn(&str) -> Res<'_, u32> {
    move |i| {
        let (rest, d) = take_while_m_n(n, n, |c: char| c.is_ascii_digit()).parse(i)?;
        Ok((rest, d.parse().unwrap_or(0)))
    }
}

/// `.ffffff` or `.fffffffff` (or more digits for out-of-range values): nanoseconds and digit count.
fn fraction(input: &str) -> Res<'_, (i128, u8)> {
    let (rest, digits) = nom::sequence::preceded(char('.'), digit1).parse(input)?;
    let count = u8::try_from(digits.len()).unwrap_or(u8::MAX);
    let value: i128 = digits.parse().unwrap_or(0);
    let nanos = match 9i32.checked_sub(i32::from(count)) {
        Some(shift) if shift >= 0 => value.saturating_mul(10i128.pow(shift.unsigned_abs())),
        _ => value, // more than 9 digits: an invalid value tcpdump printed as is
    };
    Ok((rest, (nanos, count)))
}

/// `HH:MM:SS.frac` in nanoseconds.
fn clock(input: &str) -> Res<'_, (i128, u8)> {
    if let Some(fast) = clock_fast(input) {
        return Ok(fast);
    }
    clock_general(input)
}

/// The common `HH:MM:SS.ffffff` / `.fffffffff` shape followed by more text,
/// read a word at a time; `None` for anything else ([`clock_general`] reads it).
pub(super) fn clock_fast(input: &str) -> Option<(&str, (i128, u8))> {
    use super::tcp::{eight_digits, non_digits};
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let b = input.as_bytes();
    let word = |at: usize| {
        Some(u64::from_le_bytes(
            b.get(at..at.checked_add(8)?)?.try_into().ok()?,
        ))
    };
    // `HH:MM:SS`: colons at bytes 2 and 5, digits elsewhere.
    const COLONS: u64 = 0x0000_ff00_00ff_0000;
    let hms = word(0)?;
    if hms & COLONS != 0x0000_3a00_003a_0000 || b.get(8) != Some(&b'.') {
        return None;
    }
    let hms = (hms & !COLONS) | (ZEROS & COLONS);
    if non_digits(hms) != 0 {
        return None;
    }
    let d = hms.wrapping_sub(ZEROS).to_le_bytes();
    let two = |i: usize| Some(u64::from(*d.get(i)?) * 10 + u64::from(*d.get(i + 1)?));
    let secs = two(0)? * 3600 + two(3)? * 60 + two(6)?;
    // Six digits (microseconds) or nine (nanoseconds), then something else.
    let frac = word(9)?;
    let count = non_digits(frac).trailing_zeros() / 8;
    let (digits, nanos) = match count {
        6 => (6u8, eight_digits(frac << 16 | 0x3030)? * 1000),
        8 if b.get(17).is_some_and(u8::is_ascii_digit)
            && !b.get(18).is_some_and(u8::is_ascii_digit) =>
        {
            (9, eight_digits(frac)? * 10 + u64::from(b.get(17)? - b'0'))
        }
        _ => return None,
    };
    let rest = input.get(9 + usize::from(digits)..)?;
    Some((rest, (i128::from(secs * 1_000_000_000 + nanos), digits)))
}

fn clock_general(input: &str) -> Res<'_, (i128, u8)> {
    let (rest, (h, _, m, _, s, (frac, digits))) = (
        digit1,
        char(':'),
        fixed_digits(2),
        char(':'),
        fixed_digits(2),
        fraction,
    )
        .parse(input)?;
    let hours: i128 = h.parse().unwrap_or(0);
    let secs = hours
        .saturating_mul(3600)
        .saturating_add(i128::from(m) * 60)
        .saturating_add(i128::from(s));
    Ok((
        rest,
        (
            secs.saturating_mul(1_000_000_000).saturating_add(frac),
            digits,
        ),
    ))
}

/// One of the `-t` forms, followed by one space.
pub fn timestamp(input: &str) -> Res<'_, Timestamp> {
    // The default form, as the alternatives below would read it (none other starts `DD:`).
    if let Some((rest, (nanos, digits))) = clock_fast(input) {
        if let Some(rest) = rest.strip_prefix(' ') {
            let ts = Timestamp {
                form: TimeForm::TimeOfDay,
                nanos,
                digits,
                date: None,
            };
            return Ok((rest, ts));
        }
    }
    let date = |i| {
        let (rest, (y, _, mo, _, d, _, (nanos, digits))) = (
            fixed_digits(4),
            char('-'),
            fixed_digits(2),
            char('-'),
            fixed_digits(2),
            char(' '),
            clock,
        )
            .parse(i)?;
        Ok((
            rest,
            Timestamp {
                form: TimeForm::Date,
                nanos,
                digits,
                date: Some((
                    u16::try_from(y).unwrap_or(0),
                    u8::try_from(mo).unwrap_or(0),
                    u8::try_from(d).unwrap_or(0),
                )),
            },
        ))
    };
    let offset = |i| {
        let (rest, (sign, (nanos, digits))) = (alt((char(' '), char('-'))), clock).parse(i)?;
        Ok((
            rest,
            Timestamp {
                form: TimeForm::Offset,
                nanos: if sign == '-' { -nanos } else { nanos },
                digits,
                date: None,
            },
        ))
    };
    let time_of_day = |i| {
        let (rest, (nanos, digits)) = clock(i)?;
        Ok((
            rest,
            Timestamp {
                form: TimeForm::TimeOfDay,
                nanos,
                digits,
                date: None,
            },
        ))
    };
    let unix = |i| {
        let (rest, (secs, (frac, digits))) = (digit1, fraction).parse(i)?;
        let secs: i128 = secs.parse().unwrap_or(0);
        Ok((
            rest,
            Timestamp {
                form: TimeForm::Unix,
                nanos: secs.saturating_mul(1_000_000_000).saturating_add(frac),
                digits,
                date: None,
            },
        ))
    };
    let (rest, ts) = alt((date, offset, time_of_day, unix)).parse(input)?;
    let (rest, _) = char(' ').parse(rest)?;
    Ok((rest, ts))
}

fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// `aa:bb:cc:dd:ee:ff` with an optional ` (oui Vendor)` note.
pub fn mac(input: &str) -> Res<'_, &str> {
    recognize((
        take_while_m_n(2, 2, is_hex),
        nom::multi::count((char(':'), take_while_m_n(2, 2, is_hex)), 5),
        opt((tag(" (oui "), take_while(|c| c != ')'), char(')'))),
    ))
    .parse(input)
}

/// The text up to and including `, length N: ` that ends an `-e` link header.
fn until_frame_length(input: &str) -> Res<'_, (&str, Option<u32>)> {
    let mut search = 0usize;
    while let Some(pos) = input.get(search..).and_then(|s| s.find("length ")) {
        let at = search.saturating_add(pos);
        let after = input.get(at.saturating_add(7)..).unwrap_or("");
        if let Ok((rest, n)) = (digit1::<&str, super::Expected<'_>>, tag(": ")).parse(after) {
            let body = input.get(..at).unwrap_or("");
            return Ok((rest, (body, n.0.parse().ok())));
        }
        search = at.saturating_add(7);
    }
    fail(input, "`length N: ` ending the link-layer header")
}

/// Link-layer prefixes: `-e` Ethernet, Linux cooked v1 (`-e`) and v2 (always).
pub fn link_layer(input: &str) -> Res<'_, LinkLayer> {
    alt((ethernet, cooked_v1, cooked_v2, other_link)).parse(input)
}

/// Other `-e` link headers: PPP `IP (0x0021), `, BSD loopback `AF IPv4 (2), `,
/// IPoIB `IPOIB, `, each ending in `length N: `; raw IP `ip: `.
fn other_link(input: &str) -> Res<'_, LinkLayer> {
    let rest = if let Some(rest) = input.strip_prefix("ip: ") {
        rest
    } else {
        let (rest, _) = alt((
            recognize((tag("IP (0x"), take_while1(is_hex), tag("), "))),
            recognize((tag("AF "), take_while1(|c| c != ','), tag(", "))),
            tag("IPOIB, "),
        ))
        .parse(input)?;
        until_frame_length(rest)?.0
    };
    let raw_len = input.len().saturating_sub(rest.len());
    let raw = input.get(..raw_len).unwrap_or("").to_string();
    Ok((rest, LinkLayer::Other { raw }))
}

fn ethernet(input: &str) -> Res<'_, LinkLayer> {
    let (rest, (src, _, dst, _)) = (mac, tag(" > "), mac, tag(", ")).parse(input)?;
    let (mut rest, (body, length)) = until_frame_length(rest)?;
    // 802.1Q tags follow the frame length: `vlan N, p N[, DEI], ethertype X (0x..), `.
    let mut tags = String::new();
    while rest.starts_with("vlan ") {
        let Some(end) = rest.find("), ") else { break };
        let cut = end.saturating_add(3);
        tags.push_str(", ");
        tags.push_str(rest.get(..end.saturating_add(1)).unwrap_or(""));
        rest = rest.get(cut..).unwrap_or("");
    }
    let body = format!("{body}{tags}");
    let mut vlans = Vec::new();
    let mut ethertype = String::new();
    for item in body.split(", ") {
        if let Some(id) = item.strip_prefix("vlan ") {
            vlans.extend(id.parse::<u16>().ok());
        } else if let Some(t) = item.strip_prefix("ethertype ") {
            ethertype.clear();
            ethertype = t.split(" (").next().unwrap_or(t).to_string();
        } else if !item.starts_with("p ") && item != "DEI" && ethertype.is_empty() {
            item.clone_into(&mut ethertype); // `-e -q` prints the bare name
        }
    }
    let raw_len = input.len().saturating_sub(rest.len());
    Ok((
        rest,
        LinkLayer::Ethernet {
            src: src.to_string(),
            dst: dst.to_string(),
            vlans,
            ethertype,
            length,
            raw: input.get(..raw_len).unwrap_or("").to_string(),
        },
    ))
}

fn direction(input: &str) -> Res<'_, &str> {
    alt((tag("In"), tag("Out"), tag("B"), tag("M"), tag("P"))).parse(input)
}

/// SLL v1 with `-e`: ` In mac ethertype IPv4 (0x0800), length N: `.
fn cooked_v1(input: &str) -> Res<'_, LinkLayer> {
    let (rest, (_, dir, _, _, _)) = (
        space0,
        direction,
        char(' '),
        opt((mac, char(' '))),
        tag("ethertype "),
    )
        .parse(input)?;
    let (rest, _) = until_frame_length(rest)?;
    let raw_len = input.len().saturating_sub(rest.len());
    Ok((
        rest,
        LinkLayer::Cooked {
            interface: None,
            direction: dir.to_string(),
            raw: input.get(..raw_len).unwrap_or("").to_string(),
        },
    ))
}

/// SLL v2: `eth0  Out ` (interface left-aligned in 5 columns, direction in 3), with `-e` more.
fn cooked_v2(input: &str) -> Res<'_, LinkLayer> {
    let (rest, (iface, _, dir, _)) = (
        take_while1(|c: char| !c.is_whitespace()),
        take_while1(|c| c == ' '),
        direction,
        take_while1(|c| c == ' '),
    )
        .parse(input)?;
    let rest = if rest.starts_with("ifindex ") {
        until_frame_length(rest)?.0
    } else {
        rest
    };
    let raw_len = input.len().saturating_sub(rest.len());
    Ok((
        rest,
        LinkLayer::Cooked {
            interface: Some(iface.to_string()),
            direction: dir.to_string(),
            raw: input.get(..raw_len).unwrap_or("").to_string(),
        },
    ))
}

/// Messages tcpdump prints instead of a time it could not convert.
const TIME_ERRORS: [&str; 5] = [
    "[Error converting time] ",
    "[timestamp overflow] ",
    "[timestamp < 1970-01-01 00:00:00 UTC] ",
    "[localtime() or gmtime() couldn't convert the date and time] ",
    "Date fail  ",
];

/// Skips a time-conversion message; the record then has no timestamp.
fn skip_time_error(input: &str) -> &str {
    if !input.starts_with(['[', 'D']) {
        return input;
    }
    TIME_ERRORS
        .iter()
        .find_map(|e| input.strip_prefix(e))
        .unwrap_or(input)
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// Times with digits, colons and dots anywhere: what the word-at-a-time
        /// reading accepts, the grammar reads the same.
        #[test]
        fn fast_clock_reads_as_the_grammar(
            (h, m, s) in (0u8..100, 0u8..100, 0u8..100),
            frac in "[0-9]{0,11}",
            tail in "( IP| |x|:|[0-9])?",
            edit in proptest::option::of((0usize..24, proptest::sample::select(&b"0123456789:. x"[..]))),
        ) {
            let mut time = format!("{h:02}:{m:02}:{s:02}.{frac}{tail}").into_bytes();
            if let Some((at, c)) = edit {
                if let Some(b) = time.get_mut(at) {
                    *b = c;
                }
            }
            let time = String::from_utf8(time).unwrap();
            if let Some(fast) = super::clock_fast(&time) {
                proptest::prop_assert_eq!(Ok(fast), super::clock_general(&time).map_err(|_| ()), "{:?}", time);
            }
        }
    }

    #[test]
    fn fast_clock_reads_micro_and_nanoseconds() {
        let read = |t| super::clock_fast(t).map(|(rest, v)| (v, rest));
        assert_eq!(
            read("05:50:27.223176 IP"),
            Some(((21_027_223_176_000, 6), " IP"))
        );
        assert_eq!(
            read("23:59:59.123456789 IP"),
            Some(((86_399_123_456_789, 9), " IP"))
        );
        assert_eq!(read("05:50:27.2231760 IP"), None);
        assert_eq!(read("05:50:27.22317"), None);
    }
}
