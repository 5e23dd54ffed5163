//! The grammar run backwards: a TCP record printed in tcpdump's own form, so that
//! `parse(print(r)) == r`.

use crate::model::{
    Checksum, Flags, IpVersion, LinkLayer, OptionsEnd, Prefix, TcpFormat, TcpOption, TcpPacket,
    TimeForm, Timestamp,
};
use std::fmt::{self, Write};

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = usize::from(self.digits);
        let magnitude = self.nanos.unsigned_abs();
        let secs = magnitude / 1_000_000_000;
        let nanos = magnitude % 1_000_000_000;
        // Micro precision prints the first 6 of the 9 nanosecond digits. More
        // than 9 (an out-of-range value tcpdump printed as is) were added to the
        // seconds when read; any split that adds up the same reads back the same.
        let scale = 10u128.pow(9u32.saturating_sub(u32::from(self.digits)));
        let frac = format!("{:0width$}", nanos / scale, width = digits);
        let clock = |f: &mut fmt::Formatter<'_>| {
            write!(
                f,
                "{:02}:{:02}:{:02}.{frac}",
                secs / 3600,
                (secs / 60) % 60,
                secs % 60
            )
        };
        match self.form {
            TimeForm::TimeOfDay => clock(f),
            TimeForm::Offset => {
                f.write_char(if self.nanos < 0 { '-' } else { ' ' })?;
                clock(f)
            }
            TimeForm::Unix => write!(f, "{secs}.{frac}"),
            TimeForm::Date => {
                let (y, m, d) = self.date.unwrap_or((1970, 1, 1));
                write!(f, "{y:04}-{m:02}-{d:02} ")?;
                clock(f)
            }
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.number {
            let pad = usize::from(self.number_pad);
            let sep = usize::from(self.number_sep.max(1));
            write!(f, "{:pad$}{n}{:sep$}", "", "")?;
        }
        if let Some(ts) = &self.timestamp {
            write!(f, "{ts} ")?;
        }
        match self.link.as_deref() {
            Some(
                LinkLayer::Ethernet { raw, .. }
                | LinkLayer::Cooked { raw, .. }
                | LinkLayer::Other { raw },
            ) => f.write_str(raw),
            None => Ok(()),
        }
    }
}

/// An option as tcpdump prints it (`legacy`: the 3.x `<...>` spelling).
pub fn option_text(option: &TcpOption, legacy: bool) -> String {
    match option {
        TcpOption::Mss { value } => format!("mss {value}"),
        TcpOption::Nop => "nop".into(),
        TcpOption::Eol => "eol".into(),
        TcpOption::Wscale { shift } => format!("wscale {shift}"),
        TcpOption::SackOk => "sackOK".into(),
        TcpOption::Sack { blocks } => {
            let mut s = format!("sack {} ", blocks.len());
            for (l, r) in blocks {
                let _ = write!(s, "{{{l}:{r}}}");
            }
            s
        }
        TcpOption::Timestamp { val, ecr } if legacy => format!("timestamp {val} {ecr}"),
        TcpOption::Timestamp { val, ecr } => format!("TS val {val} ecr {ecr}"),
        TcpOption::Other { text, .. } => text.clone(),
    }
}

fn legacy_flags(flags: Flags) -> String {
    let order = [
        ('S', Flags::SYN),
        ('F', Flags::FIN),
        ('R', Flags::RST),
        ('P', Flags::PSH),
        ('W', Flags::CWR),
        ('E', Flags::ECE),
    ];
    let s: String = order
        .iter()
        .filter(|(_, f)| flags.contains(*f))
        .map(|(c, _)| *c)
        .collect();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

impl TcpPacket {
    fn write_options(&self, f: &mut fmt::Formatter<'_>, legacy: bool) -> fmt::Result {
        let Some(end) = &self.options_end else {
            return Ok(());
        };
        f.write_str(if legacy { " <" } else { ", options [" })?;
        for (i, o) in self.options.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            f.write_str(&option_text(o, legacy))?;
        }
        match end {
            OptionsEnd::Normal => f.write_char(if legacy { '>' } else { ']' }),
            OptionsEnd::BadOpt(text) | OptionsEnd::Truncated(text) => f.write_str(text),
        }
    }

    /// The TCP part only: `src > dst: body`.
    fn write_tcp(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} > {}:", self.src, self.dst)?;
        match self.format {
            TcpFormat::Modern => {
                write!(f, " Flags [{}]", self.flags.letters())?;
                if let Some(c) = &self.checksum {
                    write!(f, ", cksum 0x{:04x}", c.value)?;
                    match c.computed {
                        None => f.write_str(" (correct)")?,
                        Some(v) => write!(f, " (incorrect -> 0x{v:04x})")?,
                    }
                }
                if let Some(s) = self.seq {
                    write!(f, ", seq {}", s.first)?;
                    if let Some(last) = s.last {
                        write!(f, ":{last}")?;
                    }
                }
                if let Some(a) = self.ack {
                    write!(f, ", ack {a}")?;
                }
                if let Some(w) = self.win {
                    write!(f, ", win {w}")?;
                }
                if let Some(u) = self.urg {
                    write!(f, ", urg {u}")?;
                }
                self.write_options(f, false)?;
                if let Some(len) = self.length {
                    write!(f, ", length {len}")?;
                }
                if let Some(note) = &self.length_note {
                    write!(f, " {note}")?;
                }
            }
            TcpFormat::Legacy => {
                write!(f, " {}", legacy_flags(self.flags))?;
                match &self.checksum {
                    Some(Checksum {
                        bracketed: Some(text),
                        ..
                    }) => write!(f, " {text}")?,
                    Some(c) => {
                        write!(f, ", cksum 0x{:04x}", c.value)?;
                        match c.computed {
                            None => f.write_str(" (correct),")?,
                            Some(v) => write!(f, " (incorrect (-> 0x{v:04x}),")?,
                        }
                    }
                    None => {}
                }
                if let (Some(s), Some(len)) = (self.seq, self.length) {
                    write!(f, " {}:{}({len})", s.first, s.last.unwrap_or(s.first))?;
                }
                if let Some(a) = self.ack {
                    write!(f, " ack {a}")?;
                }
                if let Some(w) = self.win {
                    write!(f, " win {w}")?;
                }
                if let Some(u) = self.urg {
                    write!(f, " urg {u}")?;
                }
                self.write_options(f, true)?;
            }
            TcpFormat::Quiet => {
                let lead = self.length_note.as_deref().unwrap_or(" ");
                write!(f, "{lead}tcp {}", self.length.unwrap_or(0))?;
            }
            TcpFormat::Truncated => {}
        }
        if let Some(tail) = &self.tail {
            f.write_str(tail)?;
        }
        Ok(())
    }
}

impl fmt::Display for TcpPacket {
    /// The head line(s) as tcpdump prints them; continuation lines follow, one per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.prefix)?;
        if self.ip_word {
            f.write_str(match self.ip {
                IpVersion::V4 => "IP ",
                IpVersion::V6 => "IP6 ",
            })?;
        }
        if let Some(h) = &self.ip_header {
            write!(f, "({})", h.text)?;
            f.write_str(if h.own_line { "\n    " } else { " " })?;
        }
        if let Some(inner) = &self.inner_prefix {
            f.write_str(inner)?;
        }
        self.write_tcp(f)?;
        for line in self.continuation.iter().chain(&self.dump) {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}
