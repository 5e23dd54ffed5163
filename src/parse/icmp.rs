//! ICMP and ICMPv6 errors: the text after `src > dst: ` of a packet that tells
//! a sender its packet could not be delivered (print-icmp.c, print-icmp6.c).
//!
//! Only the errors that can concern a TCP segment are read (unreachable, need
//! to frag / packet too big, time exceeded); any other ICMP text gives `None`
//! and stays a plain "other" packet.

use super::tcp::dec as number;
use super::Res;
use crate::model::{IcmpError, IcmpProblem};
use compact_str::CompactString;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, space1};
use nom::combinator::{map, opt, rest, value};
use nom::sequence::{delimited, preceded, terminated};
use nom::Parser;

/// What an error names besides its problem, as borrowed text.
#[derive(Default)]
struct Named<'a> {
    about: Option<&'a str>,
    transport: Option<&'a str>,
    port: Option<&'a str>,
    mtu: Option<u32>,
}

type Read<'a> = (IcmpProblem, Named<'a>);

/// A problem about an address.
fn about<'a>(problem: IcmpProblem) -> impl Fn(&'a str) -> Read<'a> {
    move |about| {
        let named = Named {
            about: Some(about),
            ..Named::default()
        };
        (problem, named)
    }
}

/// `ADDRESS tcp port PORT`, as both versions print it.
fn port_unreachable<'a>((about, transport, port): (&'a str, &'a str, &'a str)) -> Read<'a> {
    let named = Named {
        about: Some(about),
        transport: Some(transport),
        port: Some(port),
        mtu: None,
    };
    (IcmpProblem::PortUnreachable, named)
}

/// Reads `reporter > to: ICMP …` (or `ICMP6, …`) when it is an error about a packet.
pub fn error(text: &str) -> Option<Box<IcmpError>> {
    let (reporter, after) = text.split_once(" > ")?;
    let (to, body) = after.split_once(": ")?;
    // `-v` prints the ICMPv6 checksum verdict first: `[icmp6 sum ok] `.
    let body = match body.strip_prefix('[') {
        Some(b) => b.split_once("] ").map_or(body, |(_, after)| after),
        None => body,
    };
    let (_, (problem, named)) = alt((v4, v6)).parse(body).ok()?;
    let owned = |s: Option<&str>| s.map(CompactString::from);
    Some(Box::new(IcmpError {
        reporter: reporter.into(),
        to: to.into(),
        problem,
        about: owned(named.about),
        transport: owned(named.transport),
        port: owned(named.port),
        mtu: named.mtu,
    }))
}

fn address(input: &str) -> Res<'_, &str> {
    take_while1(|c: char| c != ' ' && c != ',').parse(input)
}

fn transport(input: &str) -> Res<'_, &str> {
    alt((tag("tcp"), tag("udp"))).parse(input)
}

/// ` - admin prohibited filter` and the like: refused by policy, not by the network.
fn reason(after: &str) -> Option<IcmpProblem> {
    let reason = after.split(',').next().unwrap_or("");
    reason
        .contains("prohibited")
        .then_some(IcmpProblem::Prohibited)
}

/// IPv4 (print-icmp.c): `ICMP host 10.0.0.9 unreachable`, `ICMP 10.0.0.9 tcp port 80
/// unreachable`, `ICMP 10.0.0.9 unreachable - need to frag (mtu 1280)`, `ICMP time
/// exceeded in-transit`, ...
fn v4(input: &str) -> Res<'_, Read<'_>> {
    use IcmpProblem::*;
    let net_or_host = map(
        (
            alt((
                value(NetUnreachable, tag("net ")),
                value(HostUnreachable, tag("host ")),
            )),
            terminated(address, tag(" unreachable")),
            rest,
        ),
        |(problem, a, after)| about(reason(after).unwrap_or(problem))(a),
    );
    let port = map(
        (
            terminated(address, char(' ')),
            transport,
            delimited(tag(" port "), address, tag(" unreachable")),
        ),
        port_unreachable,
    );
    let protocol = map(
        terminated(address, (tag(" protocol "), digit1, tag(" unreachable"))),
        about(ProtocolUnreachable),
    );
    let need_frag = map(
        terminated(address, tag(" unreachable - need to frag")),
        about(TooBig),
    );
    let other = map(
        (terminated(address, tag(" unreachable")), rest),
        |(a, after)| about(reason(after).unwrap_or(Unreachable))(a),
    );
    let time = map(
        alt((
            tag("time exceeded in-transit"),
            tag("ip reassembly time exceeded"),
        )),
        |_| (TimeExceeded, Named::default()),
    );
    let (after, (problem, mut named)) = preceded(
        tag("ICMP "),
        alt((net_or_host, port, protocol, need_frag, other, time)),
    )
    .parse(input)?;
    if problem == TooBig {
        (_, named.mtu) = opt(delimited(tag(" (mtu "), number, char(')'))).parse(after)?;
    }
    Ok((after, (problem, named)))
}

/// IPv6 (print-icmp6.c): `ICMP6, destination unreachable, unreachable route fd00::9`,
/// `…, unreachable port, fd00::9 tcp port 80`, `ICMP6, packet too big, mtu 1280`,
/// `ICMP6, time exceeded in-transit for fd00::9`.
fn v6(input: &str) -> Res<'_, Read<'_>> {
    use IcmpProblem::*;
    let port = map(
        (
            preceded(tag("unreachable port, "), address),
            preceded(char(' '), transport),
            preceded(tag(" port "), address),
        ),
        port_unreachable,
    );
    let unreachable = preceded(
        // (tcpdump prints two spaces before some codes' names: `,  unreachable prohibited`.)
        (tag("destination unreachable,"), space1),
        alt((
            map(
                preceded(tag("unreachable route "), address),
                about(NetUnreachable),
            ),
            map(
                preceded(tag("unreachable prohibited "), address),
                about(Prohibited),
            ),
            map(
                preceded(tag("unreachable address "), address),
                about(HostUnreachable),
            ),
            map(preceded(tag("beyond scope "), address), about(Unreachable)),
            port,
        )),
    );
    let too_big = map(preceded(tag("packet too big, mtu "), number), |mtu| {
        let named = Named {
            mtu: Some(mtu),
            ..Named::default()
        };
        (TooBig, named)
    });
    let time = map(
        preceded(
            tag("time exceeded in-transit"),
            opt(preceded(tag(" for "), address)),
        ),
        |a| {
            let named = Named {
                about: a,
                ..Named::default()
            };
            (TimeExceeded, named)
        },
    );
    preceded(tag("ICMP6, "), alt((unreachable, too_big, time))).parse(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IcmpProblem::*;

    fn read(text: &str) -> (IcmpProblem, Option<String>, Option<String>, Option<u32>) {
        let e = error(text).unwrap_or_else(|| panic!("not read: {text}"));
        (
            e.problem,
            e.about.map(String::from),
            e.port.map(String::from),
            e.mtu,
        )
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn ipv4_errors_as_tcpdump_prints_them() {
        let cases = [
            ("10.0.0.2 > 10.0.0.1: ICMP host 10.1.0.9 unreachable, length 68", HostUnreachable, some("10.1.0.9"), None, None),
            ("r > a: ICMP net 10.1.0.9 unreachable, length 36", NetUnreachable, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 tcp port 80 unreachable, length 68", PortUnreachable, some("10.1.0.9"), some("80"), None),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 tcp port http unreachable, length 68", PortUnreachable, some("10.1.0.9"), some("http"), None),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 protocol 6 unreachable, length 36", ProtocolUnreachable, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 unreachable - need to frag (mtu 1280), length 556", TooBig, some("10.1.0.9"), None, Some(1280)),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 unreachable - need to frag, length 556", TooBig, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP host 10.1.0.9 unreachable - admin prohibited filter, length 68", Prohibited, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP net 10.1.0.9 unreachable - admin prohibited, length 68", Prohibited, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP 10.1.0.9 unreachable - source route failed, length 68", Unreachable, some("10.1.0.9"), None, None),
            ("10.0.0.2 > 10.0.0.1: ICMP time exceeded in-transit, length 68", TimeExceeded, None, None, None),
        ];
        for (text, problem, about, port, mtu) in cases {
            assert_eq!(read(text), (problem, about, port, mtu), "{text}");
        }
    }

    #[test]
    fn ipv6_errors_as_tcpdump_prints_them() {
        let cases = [
            ("fd66::2 > fd66::1: ICMP6, destination unreachable, unreachable route fd67::9, length 88", NetUnreachable, some("fd67::9"), None, None),
            ("fd66::2 > fd66::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable route fd67::9", NetUnreachable, some("fd67::9"), None, None),
            ("a > b: ICMP6, destination unreachable,  unreachable prohibited fd67::9, length 88", Prohibited, some("fd67::9"), None, None),
            ("a > b: ICMP6, destination unreachable, unreachable address fd67::9, length 88", HostUnreachable, some("fd67::9"), None, None),
            ("a > b: ICMP6, destination unreachable, unreachable port, fd67::9 tcp port 80, length 88", PortUnreachable, some("fd67::9"), some("80"), None),
            ("a > b: ICMP6, packet too big, mtu 1280, length 1240", TooBig, None, None, Some(1280)),
            ("a > b: ICMP6, time exceeded in-transit for fd67::9, length 88", TimeExceeded, some("fd67::9"), None, None),
        ];
        for (text, problem, about, port, mtu) in cases {
            assert_eq!(read(text), (problem, about, port, mtu), "{text}");
        }
    }

    #[test]
    fn other_icmp_is_not_an_error() {
        for text in [
            "10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 1, length 64",
            "fe80::1 > ff02::1: ICMP6, router advertisement, length 64",
            "10.0.0.1 > 10.0.0.2: ICMP",
            "10.0.0.1 > 10.0.0.2: ICMP host",
            "no arrow here",
        ] {
            assert_eq!(error(text), None, "{text}");
        }
    }
}
