//! The table of `to_pandas()`, one row per segment, and the explanations, as
//! a whole trace keeps them (see `store.rs`): native buffers that NumPy and
//! Arrow read.

use crate::track::report::{Role, SegmentReport, States};
use crate::track::state::TcpState;
use compact_str::CompactString;
use std::collections::HashMap;

/// Rows per chunk of the Arrow text column (about 13 MB of text).
const TEXT_CHUNK: usize = 1 << 16;

/// One chunk of the text column in Arrow's layout for large strings: int64
/// offsets, then the text.
pub(super) type TextChunk = (Vec<i64>, String);

/// Codes for a categorical column, categories in order of first appearance.
/// A value is first compared with the last one; then few categories are
/// searched in order (faster than hashing), many by a map. Columns of an enum
/// ([`Categories::push_key`]) look the code up by the variant's index.
#[derive(Default)]
pub(super) struct Categories {
    index: HashMap<String, i32>,
    pub(super) names: Vec<String>,
    pub(super) codes: Vec<i32>,
    /// The code of each small key seen so far.
    by_key: Vec<Option<i32>>,
    last: Option<i32>,
}

const FEW: usize = 16;

impl Categories {
    fn push(&mut self, name: &str) {
        let last = self
            .last
            .filter(|&c| self.names.get(c as usize).is_some_and(|n| n == name));
        let code = match last.or_else(|| self.find(name)) {
            Some(c) => c,
            None => self.add(name),
        };
        self.last = Some(code);
        self.codes.push(code);
    }

    /// Pushes `name`, the name of small key `key` (an enum's variant index).
    fn push_key(&mut self, key: usize, name: &str) {
        if let Some(&Some(code)) = self.by_key.get(key) {
            self.codes.push(code);
            return;
        }
        self.push_new_key(key, name);
    }

    /// [`Categories::push_key`] for a key not seen yet.
    #[cold]
    fn push_new_key(&mut self, key: usize, name: &str) {
        self.push(name);
        if self.by_key.len() <= key {
            self.by_key.resize(key + 1, None);
        }
        if let Some(slot) = self.by_key.get_mut(key) {
            *slot = self.last;
        }
    }

    fn find(&self, name: &str) -> Option<i32> {
        if self.names.len() <= FEW {
            let i = self.names.iter().position(|n| n == name)?;
            i32::try_from(i).ok()
        } else {
            self.index.get(name).copied()
        }
    }

    fn add(&mut self, name: &str) -> i32 {
        let code = i32::try_from(self.names.len()).unwrap_or(i32::MAX);
        self.names.push(name.to_string());
        if self.names.len() > FEW {
            if self.index.is_empty() {
                for (i, n) in self.names.iter().enumerate() {
                    self.index
                        .insert(n.clone(), i32::try_from(i).unwrap_or(i32::MAX));
                }
            } else {
                self.index.insert(name.to_string(), code);
            }
        }
        code
    }
}

/// A categorical column of an enum's values, which it gives back.
pub(super) struct Enums<T> {
    pub(super) categories: Categories,
    /// The value of each code.
    values: Vec<T>,
}

impl<T> Default for Enums<T> {
    fn default() -> Self {
        Enums {
            categories: Categories::default(),
            values: Vec::new(),
        }
    }
}

impl<T: Copy> Enums<T> {
    /// Pushes `value`, of variant index `key`, named `name`.
    fn push(&mut self, value: T, key: usize, name: &str) {
        self.categories.push_key(key, name);
        // (Codes are given in order of first appearance: a new one is the next.)
        let code = self.categories.codes.last().copied().unwrap_or_default();
        if usize::try_from(code) == Ok(self.values.len()) {
            self.values.push(value);
        }
    }

    fn get(&self, row: usize) -> Option<T> {
        let code = *self.categories.codes.get(row)?;
        self.values.get(usize::try_from(code).ok()?).copied()
    }
}

#[derive(Default)]
pub(super) struct Nullable {
    pub(super) values: Vec<i64>,
    pub(super) missing: Vec<bool>,
}

impl Nullable {
    fn push(&mut self, v: Option<i64>) {
        self.values.push(v.unwrap_or(0));
        self.missing.push(v.is_none());
    }

    fn get(&self, row: usize) -> Option<Option<i64>> {
        let missing = *self.missing.get(row)?;
        Some((!missing).then(|| self.values.get(row).copied()).flatten())
    }
}

#[derive(Default)]
pub(super) struct Columns {
    pub(super) line: Vec<i64>,
    pub(super) conn: Vec<i64>,
    pub(super) from: Enums<Role>,
    pub(super) flags: Categories,
    pub(super) seq: Nullable,
    pub(super) ack: Nullable,
    pub(super) seq_raw: Nullable,
    pub(super) ack_raw: Nullable,
    pub(super) len: Vec<i64>,
    pub(super) time: Vec<f64>,
    pub(super) window: Nullable,
    pub(super) client_state: Enums<TcpState>,
    pub(super) server_state: Enums<TcpState>,
    pub(super) events: Categories,
}

pub(super) fn event_names(r: &SegmentReport) -> String {
    let names: Vec<&str> = r.events.iter().map(|e| e.kind.name()).collect();
    names.join(",")
}

/// The explanations of a trace's segments, written one at a time as they are
/// kept, in chunks of [`TEXT_CHUNK`] rows.
#[derive(Default)]
pub(super) struct Texts {
    done: Vec<TextChunk>,
    offsets: Vec<i64>,
    text: String,
}

impl Texts {
    pub(super) fn push(&mut self, r: &SegmentReport) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        crate::explain::append_text(r, crate::Lang::En, &mut self.text);
        self.offsets
            .push(i64::try_from(self.text.len()).unwrap_or(i64::MAX));
        if self.offsets.len() > TEXT_CHUNK {
            let chunk = self.take();
            self.done.push(chunk);
        }
    }

    fn take(&mut self) -> TextChunk {
        // (Grown as needed, not reserved: the trace keeps each buffer as it is.)
        (
            std::mem::take(&mut self.offsets),
            std::mem::take(&mut self.text),
        )
    }

    /// The chunks (one empty chunk when there are no rows: it makes an empty column).
    pub(super) fn finish(mut self) -> Vec<TextChunk> {
        if !self.offsets.is_empty() || self.done.is_empty() {
            if self.offsets.is_empty() {
                self.offsets.push(0);
            }
            let last = self.take();
            self.done.push(last);
        }
        self.done
    }
}

impl Columns {
    /// Adds the row of a segment's report.
    pub(super) fn push(&mut self, r: &SegmentReport) {
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.line.push(as_i64(r.line));
        self.conn.push(as_i64(r.conn as u64));
        self.from.push(r.from, r.from as usize, r.from.name());
        self.flags.push(&r.flags);
        self.seq.push(r.seq.map(i64::from));
        self.ack.push(r.ack.map(i64::from));
        self.seq_raw.push(r.seq_raw.map(i64::from));
        self.ack_raw.push(r.ack_raw.map(i64::from));
        self.len.push(i64::from(r.len));
        self.time.push(r.time.unwrap_or(f64::NAN));
        self.window.push(r.window.map(as_i64));
        let state = r.state;
        self.client_state
            .push(state.client, state.client as usize, state.client.name());
        self.server_state
            .push(state.server, state.server as usize, state.server.name());
        if r.events.is_empty() {
            self.events.push_key(0, "");
        } else {
            self.events.push(&event_names(r));
        }
    }

    /// The report of row `row` as far as the table holds it (see
    /// [`Columns::push`]); the fields it does not hold are left empty.
    pub(super) fn report(&self, row: usize) -> Option<SegmentReport> {
        let u32_at = |c: &Nullable| c.get(row).map(|v| v.and_then(|v| u32::try_from(v).ok()));
        Some(SegmentReport {
            line: u64::try_from(*self.line.get(row)?).ok()?,
            conn: usize::try_from(*self.conn.get(row)?).ok()?,
            from: self.from.get(row)?,
            flags: {
                let code = *self.flags.codes.get(row)?;
                CompactString::from(self.flags.names.get(usize::try_from(code).ok()?)?)
            },
            seq: u32_at(&self.seq)?,
            ack: u32_at(&self.ack)?,
            seq_raw: u32_at(&self.seq_raw)?,
            ack_raw: u32_at(&self.ack_raw)?,
            len: u32::try_from(*self.len.get(row)?).ok()?,
            window: self.window.get(row)?.and_then(|v| u64::try_from(v).ok()),
            time: Some(*self.time.get(row)?).filter(|t| !t.is_nan()),
            events: Vec::new(),
            acked: None,
            transitions: Vec::new(),
            state: States {
                client: self.client_state.get(row)?,
                server: self.server_state.get(row)?,
            },
            offer: None,
            sack: Vec::new(),
            peer_fin_unacked: None,
            handshake_rtt: None,
            notes: Vec::new(),
            text: String::new(),
        })
    }
}
