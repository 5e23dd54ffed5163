//! Zeek-compatible `history` and `conn_state` strings (Zeek's conn.log), so a
//! connection can be matched with what a Zeek user already knows.

use super::report::{Role, Sides};
use crate::model::{Flags, TcpPacket};
use crate::seq::SeqNumber;
use std::fmt;

/// Zeek's history: one letter per event kind, upper case for the originator (client).
#[derive(Debug, Clone, Default)]
pub struct History {
    letters: String,
    /// Per side: letters recorded once only (a bit per letter), last seq of
    /// f/h/r/s, log counters of t/w/g.
    once: Sides<u32>,
    last_seq: Sides<[Option<SeqNumber>; 4]>,
    counts: Sides<[u64; 3]>,
    sent: Sides<bool>,
}

impl History {
    /// Records what one segment adds to the history.
    pub fn update(
        &mut self,
        from: Role,
        p: &TcpPacket,
        len: u32,
        retransmitted: bool,
        seq: SeqNumber,
        end: SeqNumber,
    ) {
        self.sent[from] = true;
        let f = p.flags;
        let (syn, fin, rst, ack) = (
            f.contains(Flags::SYN),
            f.contains(Flags::FIN),
            f.contains(Flags::RST),
            f.contains(Flags::ACK),
        );
        if syn && (fin || rst) {
            self.once(from, 'q');
        }
        if fin && rst {
            self.once(from, 'i');
        }
        if syn {
            self.repeatable(from, if ack { 'h' } else { 's' }, 1, seq);
        }
        if fin {
            // Zeek compares the FIN's seq + len.
            self.repeatable(from, 'f', 2, end);
        }
        if rst {
            self.repeatable(from, 'r', 3, seq);
        }
        if len > 0 {
            self.once(from, 'd');
        } else if ack && !syn && !fin && !rst {
            self.once(from, 'a');
        }
        if retransmitted && len > 0 {
            self.logarithmic(from, 't', 0);
        }
        if p.win == Some(0) && !syn && !fin && !rst {
            self.logarithmic(from, 'w', 1);
        }
        if p.checksum.as_ref().is_some_and(|c| c.computed.is_some()) {
            self.logarithmic(from, 'c', 2);
        }
    }

    /// Whether this side sent anything.
    pub fn active(&self, side: Role) -> bool {
        self.sent[side]
    }

    fn push(&mut self, from: Role, c: char) {
        self.letters.push(match from {
            Role::Client => c.to_ascii_uppercase(),
            Role::Server => c,
        });
    }

    /// `c` is a lower-case letter.
    fn once(&mut self, from: Role, c: char) {
        let bit = 1u32 << (u32::from(c) & 31);
        let seen = &mut self.once[from];
        if *seen & bit == 0 {
            *seen |= bit;
            self.push(from, c);
        }
    }

    fn repeatable(&mut self, from: Role, c: char, slot: usize, seq: SeqNumber) {
        let Some(last) = self.last_seq[from].get_mut(slot) else {
            return;
        };
        if *last != Some(seq) {
            *last = Some(seq);
            self.push(from, c);
        }
    }

    /// Recorded at the 1st, 10th, 100th ... occurrence.
    fn logarithmic(&mut self, from: Role, c: char, slot: usize) {
        let Some(n) = self.counts[from].get_mut(slot) else {
            return;
        };
        *n = n.saturating_add(1);
        let count = *n;
        let mut threshold = 1u64;
        while threshold < count {
            threshold = threshold.saturating_mul(10);
        }
        if threshold == count {
            self.push(from, c);
        }
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letters)
    }
}

/// Zeek's `conn_state` from what each side did (originator = client).
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub fn conn_state(
    orig_syn: bool,
    resp_syn: bool,
    established: bool,
    orig_fin: bool,
    resp_fin: bool,
    orig_rst: bool,
    resp_rst: bool,
    orig_active: bool,
    resp_active: bool,
) -> String {
    let s = if resp_rst && orig_syn && !established {
        "REJ"
    } else if orig_rst && orig_syn && !resp_active {
        "RSTOS0"
    } else if resp_rst && resp_syn && !orig_active {
        "RSTRH"
    } else if orig_syn && !resp_active {
        if orig_fin {
            "SH"
        } else {
            "S0"
        }
    } else if resp_syn && !orig_active && resp_fin {
        "SHR"
    } else if !orig_syn && !resp_syn {
        "OTH"
    } else if orig_rst {
        "RSTO"
    } else if resp_rst {
        "RSTR"
    } else if orig_fin && resp_fin {
        "SF"
    } else if orig_fin {
        "S2"
    } else if resp_fin {
        "S3"
    } else if established {
        "S1"
    } else {
        "OTH"
    };
    s.to_string()
}
