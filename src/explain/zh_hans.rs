//! Facts into Simplified Chinese: one short paragraph per line, one per
//! connection. The terms are those of Chinese TCP teaching
//! (`i18n/glossary.tsv`); state names stay as RFC 9293 spells them.
//!
//! Typesetting: full-width punctuation, a space between Chinese and Latin
//! letters or digits, none next to full-width punctuation. `zh_hant.rs` is
//! made from this file by `i18n/hant.py`: change this one, then run it.

use super::{
    capture_artefact, dsack, icmp_errors_by_problem, ms, num, refuses, resend_said_precisely,
    server_unheard, shell_word, shown_late, unheard_end, unseen_second_fin, write_count, write_ms,
    FlagLetters, List,
};
use crate::model::{IcmpError, IcmpProblem};
use crate::track::report::{
    Acked, Backoff, ClosedBy, ConnectionSummary, Event, EventKind, Evidence, Handshake, IcmpReport,
    Inference, Note, ResetKind, Role, SegmentReport, Teardown, Vantage,
};
use crate::track::state::{Reason, TcpState};
use std::fmt::Write;

fn who(role: Role) -> &'static str {
    match role {
        Role::Client => "客户端",
        Role::Server => "服务器",
    }
}

/// Writes `第 N 行`, `第 A、B、C 行` or `第 A–Z 行` (more than three).
fn write_lines(t: &mut String, list: &[u64]) {
    match list {
        [] => return,
        [first, .., last] if list.len() > 3 => {
            t.push_str("第 ");
            num(t, *first);
            t.push('–');
            num(t, *last);
        }
        _ => {
            t.push_str("第 ");
            let mut items = List::new("、");
            for l in list {
                num(items.next(t), *l);
            }
        }
    }
    t.push_str(" 行");
}

/// Writes `第 N 行` when there is a line to refer to.
fn write_line(t: &mut String, line: Option<u64>) {
    if let Some(l) = line {
        write_lines(t, &[l]);
    }
}

/// Writes what a RST says (from its `reset` event): a refusal, a reply for a
/// connection its sender no longer has, or an abort.
fn write_reset(t: &mut String, r: &SegmentReport) {
    let me = who(r.from);
    let Some(e) = r.events.iter().find(|e| e.kind == EventKind::Reset) else {
        // A copy of an earlier RST: said with the copy.
        t.push_str("RST");
        return;
    };
    match ResetKind::of_note(e.note.as_ref()) {
        Some(ResetKind::Refused) => {
            t.push_str("RST，回应");
            match e.of_line {
                Some(l) => {
                    write_lines(t, &[l]);
                    t.push_str("的连接尝试");
                }
                None => t.push_str(
                    "一次抓包中没有的连接尝试（seq 为 0，ack 是那次尝试的初始序列号 + 1）",
                ),
            }
            t.push_str("：该端口上没有程序在监听，尝试被拒绝（连接从未建立）");
        }
        Some(ResetKind::AfterClose) => {
            t.push_str("RST，回应");
            match e.of_line {
                Some(l) => {
                    write_lines(t, &[l]);
                    t.push('的');
                }
                None => t.push_str("一个"),
            }
            t.push_str("报文段");
            if let Some(s) = e.seconds {
                t.push('（');
                write_ms(t, s);
                t.push_str(" 之后）");
            }
            let _ = write!(t, "：{me}已经没有对应的连接了");
            t.push_str(match e.evidence {
                Some(Evidence::NoTimestamps) => "（这个 RST 没有带该连接使用的 TCP 时间戳：它不是由套接字发出的，就像主机回应一个不属于任何连接的报文段那样）",
                Some(Evidence::OwnFin) => "（它已关闭了自己这一侧：数据或 ACK 到达时，套接字已经不存在）",
                _ => "",
            });
        }
        _ => {
            let _ = write!(t, "RST，{me}立即中止连接，不经过 FIN 交换");
            match e.of_line {
                Some(l) => {
                    t.push_str("。它在");
                    write_lines(t, &[l]);
                    t.push_str("发出自己的 FIN");
                    match e.seconds {
                        Some(s) => {
                            t.push('，');
                            write_ms(t, s);
                            t.push_str(" 之后");
                        }
                        None => t.push_str(" 之后，"),
                    }
                    t.push_str("又发出了这个 RST，其间没有收到任何东西：它的关闭以中止告终（关闭时还有未读数据，或 SO_LINGER 为 0）");
                }
                None => t.push_str("（应用程序中止、SO_LINGER 为 0，或关闭时还有未读数据）"),
            }
        }
    }
}

/// Appends the explanation of `r` to `t`.
pub(super) fn write_segment(r: &SegmentReport, t: &mut String) {
    t.reserve(384);
    let has = |k: EventKind| r.events.iter().any(|e| e.kind == k);
    let letters = FlagLetters::of(&r.flags);
    let flag = |letter: u8| letters.has(letter);
    let (syn, fin, rst, ack) = (flag(b'S'), flag(b'F'), flag(b'R'), flag(b'.'));
    let peer = who(r.from.other());
    t.push_str(who(r.from));
    t.push_str(" → ");
    t.push_str(peer);
    t.push('：');

    // What it carries.
    let mut parts = List::new("；");
    if syn && ack {
        let _ = write!(
            parts.next(t),
            "SYN-ACK，{}接受连接，同时发出自己的 SYN",
            who(r.from)
        );
    } else if syn {
        parts.next(t).push_str("SYN，请求建立连接");
    }
    if let Some(raw) = r.seq_raw.filter(|_| syn) {
        let _ = write!(parts.next(t), "初始序列号 {raw}（相对序列号 0）");
    }
    if r.len > 0 {
        let first = r.seq.unwrap_or(0);
        let last = first.wrapping_add(r.len).wrapping_sub(1);
        let data = parts.next(t);
        num(data, r.len);
        data.push_str(" 字节数据（相对序列号 ");
        num(data, first);
        if r.len > 1 {
            data.push('–');
            num(data, last);
        }
        data.push('）');
        if flag(b'P') {
            data.push_str("，带 PSH（推送：立即交给应用程序）");
        }
    }
    if flag(b'U') {
        parts
            .next(t)
            .push_str("URG 置位（紧急数据：紧急指针指出紧急数据的结束位置）");
    }
    if flag(b'E') && !syn {
        parts
            .next(t)
            .push_str("ECE 置位（回显接收方看到的拥塞标记）");
    }
    if flag(b'W') && !syn {
        parts.next(t).push_str("CWR 置位（发送方已减小拥塞窗口）");
    }
    if flag(b'E') && syn {
        parts.next(t).push_str("支持 ECN");
    }
    if fin && ack {
        let _ = write!(
            parts.next(t),
            "FIN，表示{}没有更多数据要发送了（它的应用程序关闭了连接，或关闭了写方向）",
            who(r.from)
        );
    } else if fin {
        // (Every segment of a connection after its SYN carries an ACK.)
        parts
            .next(t)
            .push_str("FIN 置位但没有 ACK（连接中的端点不会这样发送：这是构造出来的报文段）");
    }
    if rst {
        write_reset(parts.next(t), r);
    }
    if parts.count == 0 {
        t.push_str(if ack {
            "纯确认（不带数据）"
        } else {
            "不带任何标志的报文段"
        });
    }
    t.push('。');

    if let Some(o) = &r.offer {
        if o.mss.is_some() || o.sack_permitted || o.timestamps || o.wscale.is_some() || o.fast_open
        {
            t.push_str("它携带的选项：");
            let mut offers = List::new("、");
            if let Some(m) = o.mss {
                let _ = write!(offers.next(t), "MSS {m}（能接收的最大报文段长度）");
            }
            if o.sack_permitted {
                offers.next(t).push_str("允许 SACK");
            }
            if o.timestamps {
                offers.next(t).push_str("时间戳");
            }
            if let Some(w) = o.wscale {
                let _ = write!(
                    offers.next(t),
                    "窗口缩放因子 {w}（其窗口值以 {} 字节为单位）",
                    1u64 << w.min(14)
                );
            }
            if o.fast_open {
                offers.next(t).push_str("TCP Fast Open cookie");
            }
            t.push('。');
        }
    }

    // What the ACK acknowledges.
    if let Some(a) = &r.acked {
        write_acked(t, a, r.ack, peer);
    } else if ack && !rst && !fin && r.len == 0 && r.ack.is_some() && !syn {
        // (Said only of empty segments: one that carries data or a FIN is about that.)
        t.push_str("它的 ACK（ack ");
        num(t, r.ack.unwrap_or(0));
        t.push_str("）没有确认任何新内容。");
    }
    let note = |code: Inference| r.notes.contains(&code);
    if let Some(line) = r
        .peer_fin_unacked
        .filter(|_| !has(EventKind::SimultaneousClose))
    {
        if note(Inference::PeerFinSacked) {
            let _ = write!(t, "它没有确认{peer}第 {line} 行的 FIN，但它的 SACK 块表明那个 FIN 已经到达：FIN 乱序到达，排在缺失的字节之后等待（FIN 只能按序处理）。");
        } else {
            let _ = write!(
                t,
                "它没有确认{peer}第 {line} 行的 FIN：发出这个报文段时，那个 FIN 还没有被处理。"
            );
        }
    }
    if note(Inference::PeerFinInferred) {
        if r.sack.is_empty() {
            let _ = write!(t, "抓包中只有这一方的包：它的 ACK 在自己的 FIN 之后单独前移了 1，说明{peer}已经发出了 FIN（推断；{peer}的 FIN 不在抓包中）。");
        } else {
            let _ = write!(t, "它的 SACK 块覆盖了 ACK 之后一个孤立的序列号，而抓包中看不到{peer}在那里发送过任何东西：很可能是{peer}的 FIN，因前面的字节缺失而乱序到达（推断）。");
        }
    } else if note(Inference::PeerFinSacked) && r.peer_fin_unacked.is_none() {
        let _ = write!(t, "它的 SACK 块表明{peer}的 FIN 已经到达。");
    }
    if note(Inference::LateHandshakeAck) {
        let _ = write!(t, "它只确认了{peer}的 SYN：这是握手的 ACK，却出现在{}随后发出的数据之后（两者在途中被重排了；不是重复确认）。", who(r.from));
    }
    let dsack = dsack(r);
    let write_blocks = |t: &mut String, blocks: &[(u32, u32)]| {
        let mut list = List::new("、");
        for (a, b) in blocks {
            let block = list.next(t);
            num(block, *a);
            block.push('–');
            num(block, b.wrapping_sub(1));
        }
    };
    let (dup, sack) = r.sack.split_at(usize::from(dsack));
    if !dup.is_empty() {
        t.push_str("D-SACK：字节 ");
        write_blocks(t, dup);
        t.push_str(if has(EventKind::KeepAliveAck) {
            " 被收到了两次（RFC 2883）：那是保活探测的字节，它早已收到。"
        } else {
            " 被收到了两次（RFC 2883），所以重发它们是不必要的。"
        });
    }
    if !sack.is_empty() {
        t.push_str("SACK：它还收到了字节 ");
        write_blocks(t, sack);
        t.push_str("（所以它的 ACK 与这些字节之间的部分，就是缺失的字节）。");
    }
    if let Some(rtt) = r.handshake_rtt {
        let _ = write!(
            t,
            "三次握手完成：从 SYN 到这个 ACK 用了 {}（从抓包点看到的握手往返时间）。",
            ms(rtt)
        );
    }
    if let Some(w) = r.window.filter(|_| !syn && !rst) {
        if w == 0 {
            let _ = write!(t, "它通告零窗口：它的接收缓冲区已满，{peer}必须停止发送。");
        }
    }

    for e in &r.events {
        write_event(t, e, r);
    }
    if !has(EventKind::Reset) && note(Inference::Excerpt) {
        t.push_str("这些序列号看起来已经是相对值（粘贴的片段？）：绝对值未知。");
    }
    if note(Inference::RolesInferred) {
        t.push_str(if refuses(r) {
            "没有看到 SYN：这个 RST 回应的是哪一端的连接尝试，哪一端就是客户端。"
        } else if !ack && !syn && !rst {
            "没有看到 SYN，也没有 ACK：这是一个不属于任何连接的探测（端口扫描发出的）；发出它的一端算作客户端。"
        } else {
            "没有看到 SYN：抓包从连接中途开始；客户端是根据端口猜出来的（推断）。"
        });
    }
    if note(Inference::Renumbered) {
        t.push_str("它的相对序列号与该行显示的不同：抓包从连接中途开始时，tcpdump 从每个方向在抓包中的第一个包开始计数，而 tcpexplain 和 Wireshark 一样，从第一个字节之前的那个序列号开始计数（第二个方向的第一个字节，就是第一个包所确认的那个字节）。");
    }

    // States.
    write_states(t, r);
}

fn write_acked(t: &mut String, a: &Acked, ack: Option<u32>, peer: &str) {
    t.push_str("它的 ACK");
    if let Some(v) = ack {
        t.push_str("（ack ");
        num(t, v);
        t.push('）');
    }
    if a.first == a.last && !a.lines.is_empty() {
        t.push_str("没有确认任何新内容：它回应的是");
        write_lines(t, &a.lines);
        t.push_str("重发的副本（那些字节此前已被确认）。");
        return;
    }
    if !a.syn && a.bytes == 0 && !a.fin {
        let _ = write!(t, "前移到 {}，但没有覆盖抓包中可见的任何报文段。", a.last);
        return;
    }
    t.push_str("确认了");
    t.push_str(peer);
    write_lines(t, &a.lines);
    t.push_str("的 ");
    // (`SYN 和 FIN`, `288 字节数据和 FIN`: a space only next to Latin letters.)
    let and = |t: &mut String| {
        if t.ends_with(|c: char| c.is_ascii_alphabetic()) {
            t.push_str(" 和 ");
        } else if !t.ends_with(' ') {
            t.push_str("和 ");
        }
    };
    if a.syn {
        and(t);
        t.push_str("SYN");
    }
    if a.bytes > 0 {
        and(t);
        num(t, a.bytes);
        t.push_str(" 字节数据");
    }
    if a.fin {
        and(t);
        t.push_str("FIN");
    }
    if let Some(rtt) = a.rtt {
        t.push_str("，距其发出 ");
        write_ms(t, rtt);
    }
    t.push('。');
}

/// Why bytes whose earlier segment an ICMP "too big" error reported were sent again.
const PATH_MTU_RESEND: &str = "：一个 ICMP 差错报文说那个报文段对这条路径来说太大，于是发送方立即改用路径能容纳的较小报文段重发了这些字节（路径 MTU 发现）。";

/// Ends a sentence about an artefact of the capture with Wireshark's labels on
/// the line (`；Wireshark 的标签（a, b）{what}。`), when it has any.
fn write_labels(t: &mut String, r: &SegmentReport, what: &str) {
    let mut labels = r.events.iter().filter(|x| x.kind.is_wireshark());
    if let Some(first) = labels.next() {
        t.push_str("；Wireshark 的标签（");
        t.push_str(first.kind.name());
        for x in labels {
            t.push_str(", ");
            t.push_str(x.kind.name());
        }
        t.push('）');
        t.push_str(what);
    }
    t.push('。');
}

/// Writes the backoff a resend's wait shows, and ends the sentence.
fn write_backoff(t: &mut String, backoff: Option<Backoff>, constant: &str) {
    match backoff {
        Some(Backoff::Doubling) => {
            t.push_str("；这次等待约为上一次的两倍（实测的指数退避）。");
        }
        Some(Backoff::Constant) => {
            t.push_str("；与上一次的等待大致相同");
            t.push_str(constant);
            t.push('。');
        }
        _ => t.push('。'),
    }
}

/// Writes the sentence an event adds, if it adds one.
fn write_event(t: &mut String, e: &Event, r: &SegmentReport) {
    let peer = who(r.from.other());
    let start = t.len();
    // Wireshark's labels on what the capture point did are explained as that.
    if capture_artefact(r) && e.kind.is_wireshark() {
        return;
    }
    match e.kind {
        EventKind::CaptureCopy => {
            t.push_str("这与");
            write_line(t, e.of_line);
            if e.of_line.is_none() {
                t.push_str("之前的某个包");
            }
            t.push_str("是同一个包");
            // (One pair of parentheses for the evidence and the interfaces.)
            let same_header = e.evidence == Some(Evidence::IpIdTtl);
            match (same_header, &e.note) {
                (true, Some(n)) => {
                    let _ = write!(t, "（IP id 和 TCP 首部都相同；{n}）");
                }
                (true, None) => t.push_str("（IP id 和 TCP 首部都相同）"),
                (false, Some(n)) => {
                    let _ = write!(t, "（{n}）");
                }
                (false, None) => {}
            }
            t.push('，');
            if let Some(s) = e.seconds {
                write_ms(t, s);
                t.push_str(" 之后");
            }
            t.push_str(match e.evidence {
                Some(Evidence::IpIdTtl) => "以更低的 TTL 再次被看到：它多经过了几个路由器，又一次经过抓包点（路由环路，或一条两次经过抓包主机的路径）。这不是新的报文段",
                Some(Evidence::Identical) => "每个字段原样又被打印了一次：在多个接口上抓包时（-i any；这个 tcpdump 不打印接口名），包每经过一个接口，tcpdump 就打印一次，比如在网桥上，或在转发它的主机上。这不是新的报文段",
                _ => "在另一个接口上再次被看到：在多个接口上抓包时（-i any），包每经过一个接口，tcpdump 就打印一次，比如抓包主机转发它的时候。这不是新的报文段",
            });
            write_labels(t, r, "是因为同一个包被看到了两次");
        }
        EventKind::SeenLate => {
            t.push_str("第一次看到这些字节：它们填补了");
            write_line(t, e.of_line);
            t.push_str("指出的空缺，而");
            t.push_str(peer);
            match &e.note {
                Some(Note::AckedOn(line)) => {
                    let _ = write!(t, "早在第 {line} 行就已确认了它们");
                }
                Some(n) => {
                    let _ = write!(t, "早已（{n}）确认了它们");
                }
                None => t.push_str("早已确认了它们"),
            }
            t.push_str("。很可能是抓包点晚看到了这个包（镜像端口延迟了某一方向，或抓包由两个抓包点合并而成），这是推断：接收方比抓包点更早收到了它");
            write_labels(t, r, "把它当成了重发");
        }
        EventKind::Retransmission => {
            // (Said by the more precise event on the line.)
            if resend_said_precisely(r) {
                return;
            }
            t.push_str("重传");
            if e.of_line.is_some() {
                t.push_str("（重发的是");
                write_line(t, e.of_line);
                t.push('）');
            }
            if e.note == Some(Note::PathMtu) {
                t.push_str(PATH_MTU_RESEND);
            } else {
                if let Some(s) = e.seconds {
                    t.push_str("，距上一次发送 ");
                    write_ms(t, s);
                }
                if dsack(r) {
                    t.push_str("：它是这一方对刚收到的重复数据（其 D-SACK 块）的回应；发送方是在这个回应里顺带重复了这些序列号，而不是因为重传定时器超时。");
                } else if let Some(rt) = e.round_trip {
                    t.push_str("：重发得比一个往返时间（握手测得 ");
                    write_ms(t, rt);
                    t.push_str("）还快，所以不是超时重传。");
                } else if e.note == Some(Note::TailProbe) {
                    t.push_str("：这是最后发出的报文段，在收到对它的 ACK 之前、也早于重传定时器触发（Linux 上至少 200 ms）就再次发出，很可能是尾部丢失探测（TLP，RFC 8985），即重发最后一个报文段，让由此换来的 ACK 表明丢了什么——这是根据时间推断的。");
                } else {
                    t.push_str("：这段序列号之前已经发送过，但没有及时等到对它的 ACK，发送方认为它丢失了（重传定时器超时）");
                    write_backoff(t, e.backoff, "");
                }
            }
        }
        EventKind::FastRetransmission => {
            t.push_str("快速重传");
            if e.of_line.is_some() {
                t.push_str("（重发的是");
                write_line(t, e.of_line);
                t.push('）');
            }
            let _ = write!(t, "：{peer}对这些字节发出了重复确认，所以发送方没有等定时器超时就重发了它们。");
        }
        EventKind::SpuriousRetransmission => t.push_str("伪重传：这里的每个字节都早已被确认；这次重发是不必要的。"),
        EventKind::OutOfOrder if e.note == Some(Note::PathMtu) => {
            t.push_str("重发");
            if e.of_line.is_some() {
                t.push_str("（来自");
                write_line(t, e.of_line);
                t.push('）');
            }
            t.push_str(PATH_MTU_RESEND);
            t.push_str("Wireshark 的标签（out_of_order）是根据时间判断的：它出现在序列号最高的报文段之后一个往返时间之内。");
        }
        EventKind::OutOfOrder => t.push_str("乱序：这些字节的序列号低于已经看到的数据，却紧随其后到达（是在网络中被重排了，而不是重发）。"),
        EventKind::LostSegment => t.push_str("前一个报文段未被抓到：这个报文段的起始序列号超出了抓包中该发送方已发送数据的末尾；有报文段在抓包点之前丢失了，或者抓包漏掉了它（也可能稍后才出现）。"),
        EventKind::AckLostSegment => {
            let _ = write!(t, "确认了未抓到的报文段：它确认的{peer}数据尚未在抓包中出现——抓包漏掉了它们，或者它们稍后才出现。");
        }
        EventKind::DuplicateAck => {
            let _ = write!(t, "第 {} 个重复确认", e.count.unwrap_or(1));
            if e.of_line.is_some() {
                t.push_str("（与");
                write_line(t, e.of_line);
                t.push_str("的 ACK 相同）");
            }
            t.push_str("：ack 相同，窗口相同，不带数据；");
            if dsack(r) {
                t.push_str("它是因为收到了重复的报文段（D-SACK）而发出的，不是因为有空缺。");
            } else {
                match e.note {
                    Some(Note::OldSegment) => {
                        let _ = write!(t, "它回应的是{peer}刚才那个没有带来新内容的报文段（比这个 ACK 更旧的报文段会得到一个 ACK 作为回应），并不表示有空缺。");
                    }
                    Some(Note::Gap) => t.push_str("接收方仍在等待它的 ACK 所指的那个字节（有空缺，或有报文段丢失）。"),
                    _ => {
                        let _ = write!(t, "抓包中看不到{peer}在它之后发送过任何东西，所以它在这里并不表示有空缺。");
                    }
                }
            }
        }
        // Said with the window and with the flags.
        EventKind::ZeroWindow | EventKind::Reset | EventKind::Evicted => t.truncate(start),
        EventKind::ZeroWindowProbe => {
            let _ = write!(t, "零窗口探测：向{peer}的零窗口发送一个字节，以探知窗口何时重新打开。");
        }
        EventKind::ZeroWindowProbeAck => t.push_str("对零窗口探测的回复：窗口仍然关闭。"),
        EventKind::WindowFull => {
            let _ = write!(t, "窗口已满：这个报文段恰好填满了{peer}通告的窗口；发送方必须等待 ACK。");
        }
        EventKind::WindowUpdate => t.push_str("窗口更新：只有通告的窗口变了（接收方腾出了空间）。"),
        EventKind::KeepAlive => {
            let inferred = matches!(e.note, Some(Note::Inferred | Note::ZeroWindowProbeInferred));
            t.push_str(if inferred {
                "保活：一段静默之后的空 ACK，重复了它上一次的 ACK，而对端没有未被确认的数据；不加 -S 或 -v 时，tcpdump 不打印这里的 seq，而 Linux 保活探测的 seq 恰好落后一个字节（根据时间和序列号推断）。Linux 探测零窗口时也发送落后一个字节的空报文段，所以如果对端的窗口为 0，这就是一个零窗口探测。"
            } else if r.len == 0 {
                "保活（Wireshark 的标签）：它的序列号比下一个待发字节小 1，以促使对端作出回应。Linux 探测零窗口时也发送落后一个字节的空报文段，所以如果对端的窗口为 0，这就是一个零窗口探测。"
            } else {
                "保活：它重发对端已经确认过的最后一个字节，促使对端作出回应（一个无用的字节，Windows 就是这样发送保活探测的）。"
            });
        }
        EventKind::KeepAliveAck => t.push_str("保活确认：对端回应了探测，说明它还活着。"),
        EventKind::ReusedPorts => t.push_str("端口号重用：一个新连接使用了与之前某个连接相同的地址和端口。"),
        EventKind::SynRetransmission => {
            let _ = write!(
                t,
                "SYN 重发（第 {} 次尝试",
                e.count.map_or(2, |c| c.saturating_add(1))
            );
            if let Some(l) = e.of_line {
                let _ = write!(t, "，第一次在第 {l} 行");
            }
            t.push('）');
            if let Some(s) = e.seconds {
                let _ = write!(t, "，距上一次 {}", ms(s));
            }
            t.push_str("：没有及时收到 SYN-ACK");
            write_backoff(t, e.backoff, "（固定间隔）");
        }
        EventKind::DelayedAck => {
            t.push_str("这个 ACK ");
            if e.of_line.is_some() {
                t.push('在');
                write_line(t, e.of_line);
                t.push_str("的报文段之后");
            }
            t.push_str("等了");
            if let Some(s) = e.seconds {
                t.push(' ');
                write_ms(t, s);
            }
            if let Some(rt) = e.round_trip {
                let _ = write!(t, "，比这里测得的到{}的往返时间（{}）还长", who(r.from), ms(rt));
            }
            t.push_str("：根据时间推断，很可能是延迟确认（Linux 会等待 40 ms 到 200 ms，希望把 ACK 捎带在数据上）。");
        }
        EventKind::FinAcksFin => {
            let _ = write!(t, "也就是说，这个 FIN 顺带确认了{peer}");
            write_line(t, e.of_line);
            let _ = write!(t, "的 FIN：关闭只用了三个报文段，而不是四个（三次挥手）。很可能是{}的应用程序在延迟确认的定时器触发之前就关闭了，于是 ACK 就捎带在了 FIN 上。", who(r.from));
        }
        EventKind::SimultaneousClose => {
            let _ = write!(t, "这个 FIN 没有确认{peer}");
            write_line(t, e.of_line);
            t.push_str("的 FIN：它是在那个 FIN 到达之前发出的。两个 FIN 在途中交错而过——这是同时关闭，双方都会经过 CLOSING 状态。");
        }
        EventKind::HalfClose => {
            let _ = write!(t, "在{peer}");
            write_line(t, e.of_line);
            let _ = write!(t, "的 FIN 之后还有数据：这是半关闭；{peer}已停止发送，但仍在接收。");
        }
    }
}

/// The closing sentence of a line that changes no state, in three pieces
/// around the client's and the server's states (see [`write_states`]).
pub(super) const STATES: (&str, &str, &str) = ("当前状态：客户端 ", "，服务器 ", "。");

/// Writes `当前状态：客户端 S，服务器 S。` with the changes this line shows and why.
fn write_states(t: &mut String, r: &SegmentReport) {
    t.push_str("当前状态：");
    let mut parts = List::new("，");
    for role in [Role::Client, Role::Server] {
        let s = parts.next(t);
        let mut steps = r.transitions.iter().filter(|t| t.who == role).peekable();
        let Some(first) = steps.peek() else {
            s.push_str(who(role));
            s.push(' ');
            s.push_str(r.state.get(role).name());
            continue;
        };
        let _ = write!(s, "{} {}", who(role), first.from);
        for step in steps.clone() {
            let _ = write!(s, " → {}", step.to);
        }
        s.push('（');
        let mut reasons = List::new("；");
        for step in steps {
            let why = reasons.next(s);
            why.push_str(reason(step.why));
            // (Inside the parentheses: no parentheses of its own.)
            if step.cause_line != r.line {
                let _ = write!(why, "，见第 {} 行", step.cause_line);
            }
            if step.inferred {
                why.push_str("，这是假定的");
            }
        }
        s.push('）');
    }
    t.push('。');
    if let Some(step) = shown_late(r) {
        let _ = write!(
            t,
            "{}发出上一个报文段时，还没有处理第 {} 行的报文段（那个 ACK 没有覆盖它）；这个 ACK 表明它现在已经处理了。",
            who(step.who),
            step.cause_line
        );
    }
    if r.transitions.iter().any(|t| t.to == TcpState::TimeWait) {
        t.push_str("TIME_WAIT 持续 2×MSL（Linux 上为 60 秒），好让网络中迟到的报文段自然消失。");
    }
}

/// A connection's summary.
pub(super) fn connection(s: &ConnectionSummary) -> String {
    let mut t = format!("连接 {}：客户端 {} → 服务器 {}", s.conn, s.client, s.server);
    if s.roles_inferred {
        t.push_str("（角色是根据端口猜出来的）");
    }
    if s.segments == 1 {
        let _ = write!(t, "，第 {} 行，1 个报文段", s.first_line);
    } else {
        let _ = write!(
            t,
            "，第 {}–{} 行，共 {} 个报文段",
            s.first_line, s.last_line, s.segments
        );
    }
    if let Some(d) = s.duration {
        let _ = write!(t, "，历时 {}", ms(d));
    }
    let _ = write!(
        t,
        "；客户端发送了 {} 字节，服务器发送了 {} 字节。",
        s.bytes_client, s.bytes_server
    );
    match s.handshake {
        _ if s.teardown == Teardown::Refused && s.conn_state != "REJ" => {
            t.push_str("没有握手：客户端的尝试（一次探测，或抓包漏掉的 SYN）立即被拒绝。");
        }
        Handshake::Complete => {
            t.push_str("看到了完整的三次握手");
            if let Some(rtt) = s.handshake_rtt {
                let _ = write!(t, "（往返时间 {}）", ms(rtt));
            }
            t.push('。');
        }
        Handshake::Partial => t.push_str("只看到了部分握手。"),
        Handshake::None => t.push_str("抓包开始时握手已经完成。"),
    }
    let closer = |c: Option<ClosedBy>| match c {
        Some(ClosedBy::Client) => "客户端",
        Some(ClosedBy::Server) => "服务器",
        Some(ClosedBy::Both) => "双方同时",
        None => "无人",
    };
    t.push_str(&match s.teardown {
        Teardown::ThreeWay | Teardown::FourWay if unseen_second_fin(s).is_some() => format!(
            "双方都关闭了连接，{}先关闭；抓包中没有另一方的 FIN，无法判断是三次挥手还是四次挥手。",
            closer(s.closed_by)
        ),
        Teardown::ThreeWay => format!(
            "用三个报文段完成关闭（三次挥手）：{}先发出 FIN；另一方的 FIN 同时捎带了对它的 ACK。",
            closer(s.closed_by)
        ),
        Teardown::FourWay => format!(
            "用四个报文段完成关闭（四次挥手）：{}先发出 FIN，另一方先单独确认，再发出自己的 FIN。",
            closer(s.closed_by)
        ),
        Teardown::Simultaneous => {
            "同时关闭：两个 FIN 在途中交错而过；双方都经过了 CLOSING 状态。".to_string()
        }
        Teardown::Reset => format!("以{}发出的 RST 结束。", closer(s.closed_by)),
        Teardown::Refused => {
            "被拒绝：服务器用 RST 回应了连接尝试（该端口上没有程序在监听）。".to_string()
        }
        Teardown::HalfClosed => format!(
            "半关闭：{}发出了 FIN；另一方直到抓包结束都没有关闭。",
            closer(s.closed_by)
        ),
        Teardown::Open if server_unheard(s) && !s.icmp_errors.is_empty() => {
            "从未建立：返回的是 ICMP 差错报文，而不是服务器的回应。".to_string()
        }
        Teardown::Open if s.stall.is_some() => "抓包结束时连接停滞：".to_string(),
        Teardown::Open if server_unheard(s) => {
            "从未得到回应：抓包中没有服务器的回复（没有回复，或抓包漏掉了），所以它的状态未知。"
                .to_string()
        }
        Teardown::Open => "抓包结束时连接仍然打开。".to_string(),
    });
    // The trouble, said where it can hide behind the verdict.
    if let Some(st) = &s.stall {
        if s.teardown != Teardown::Open {
            t.push_str("异常：");
        }
        write_stall(&mut t, st);
    }
    if let Some(side) = s.zero_window_at_end {
        let _ = write!(
            t,
            "抓包结束时，{}的接收窗口为 0：{}不能发送（零窗口停滞）。",
            who(side),
            who(side.other())
        );
    }
    if let Some(side) = s.half_close {
        let _ = write!(
            t,
            "{}在{}的 FIN 之后、关闭自己这一侧之前还发送了数据：这是关闭过程中的半关闭。",
            who(side),
            who(side.other())
        );
    }
    for side in &s.fins_inferred {
        let _ = write!(
            t,
            "{}的 FIN 不在抓包中，是根据{}的确认推断出来的。",
            who(*side),
            who(side.other())
        );
    }
    if let Some(side) = s.captured_only {
        let _ = write!(
            t,
            "抓包中只有{0}的包（单向过滤，或抓包点所致）：{1}的包只能从{0}的确认中得知。",
            who(side),
            who(side.other())
        );
    }
    if !s.problems.is_empty() {
        t.push_str("问题：");
        let mut items = List::new("、");
        for (kind, n) in &s.problems {
            let (count, name) = problem_words(kind);
            let item = items.next(&mut t);
            write_count(item, u64::from(*n));
            item.push(' ');
            item.push_str(count);
            if name.starts_with(|c: char| c.is_ascii()) {
                item.push(' ');
            }
            item.push_str(name);
        }
        t.push('。');
    }
    let assumed = |role| {
        if unheard_end(s) == Some(role) {
            "（这是假定的：抓包中没有它发出的任何报文段）"
        } else {
            ""
        }
    };
    let _ = write!(
        t,
        "最终状态：客户端 {}{}，服务器 {}{}。",
        s.final_state.client,
        assumed(Role::Client),
        s.final_state.server,
        assumed(Role::Server)
    );
    if s.delivery_assumed {
        t.push_str("（最后一行之后仍在途中的报文段，均假定已经送达。）");
    }
    match s.time_wait.as_slice() {
        [] => {}
        [one] => {
            let _ = write!(t, "{}将在 TIME_WAIT 状态停留 60 秒（Linux）。", who(*one));
        }
        _ => t.push_str("双方都将在 TIME_WAIT 状态停留 60 秒（Linux）。"),
    }
    if let Some(v) = &s.vantage {
        let _ = write!(
            t,
            "抓包点很可能{}（根据握手时间推断）。",
            match v {
                Vantage::Server => "靠近服务器",
                Vantage::Client => "靠近客户端",
                Vantage::Middle => "位于两者之间",
            }
        );
    }
    let _ = write!(
        t,
        "Zeek：conn_state {}，history {}。",
        s.conn_state, s.history
    );
    if s.evicted {
        t.push_str("已不再跟踪：同时打开的连接太多，而它处于空闲状态，因此被移出了。");
    }
    if let Some(n) = s.events.get("capture_copy") {
        let _ = write!(
            t,
            "其中有 {n} 行是同一个包在另一个接口上再次被看到（-i any）：这里只计一次，Wireshark 则会重复计数。"
        );
    }
    if !s.icmp_errors.is_empty() {
        t.push_str("与它有关的 ICMP 差错报文：");
        let mut items = List::new("；");
        for (p, lines) in icmp_errors_by_problem(s) {
            let t = items.next(&mut t);
            write_lines(t, &lines);
            let _ = write!(t, "（{}）", problem_name(p));
        }
        if s.icmp_errors.len() >= 64 {
            t.push_str("（最多列出前 64 个）");
        }
        t.push('。');
    }
    t
}

/// Writes a stall's diagnosis: what was never acknowledged, how often it was
/// sent again, and how the waits grew, as measured.
fn write_stall(t: &mut String, st: &crate::track::report::Stall) {
    t.push_str(who(st.side));
    t.push('的');
    match (st.bytes, st.fin) {
        (0, _) => t.push_str(" FIN"),
        (b, fin) => {
            t.push(' ');
            write_count(t, b);
            t.push_str(" 字节数据");
            if fin {
                t.push_str("和 FIN");
            }
        }
    }
    let _ = write!(
        t,
        "（从第 {} 行起）始终没有被确认，共重发了 ",
        st.since_line
    );
    write_count(t, u64::from(st.resent));
    t.push_str(" 次");
    if let Some(sec) = st.seconds {
        let _ = write!(t, "，历时 {}", ms(sec));
    }
    t.push_str(match st.backoff {
        Some(Backoff::Doubling) => "，呈指数退避（每次等待约为上一次的两倍）。",
        Some(Backoff::Constant) => "，间隔大致相同。",
        _ => "。",
    });
}

/// How a connection ended, in a word or two.
pub(super) fn teardown_name(t: Teardown) -> &'static str {
    match t {
        Teardown::ThreeWay => "三次挥手",
        Teardown::FourWay => "四次挥手",
        Teardown::Simultaneous => "同时关闭",
        Teardown::Reset => "RST 重置",
        Teardown::Refused => "被拒绝",
        Teardown::HalfClosed => "半关闭",
        Teardown::Open => "未关闭",
    }
}

/// A problem kind's counter word and name (`次`, `重传`).
fn problem_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "retransmission" => ("次", "重传"),
        "fast_retransmission" => ("次", "快速重传"),
        "spurious_retransmission" => ("次", "伪重传"),
        "out_of_order" => ("个", "乱序的报文段"),
        "lost_segment" => ("个", "未抓到的报文段"),
        "ack_lost_segment" => ("次", "对未抓到数据的确认"),
        "duplicate_ack" => ("个", "重复确认"),
        "zero_window" => ("次", "零窗口"),
        "zero_window_probe" => ("次", "零窗口探测"),
        "window_full" => ("次", "窗口已满"),
        "syn_retransmission" => ("次", "SYN 重发"),
        _ => ("个", "其他问题"),
    }
}

/// What a binary input (`name`; `-` for standard input) is and what to run
/// instead, in one line.
pub(super) fn binary_input(kind: crate::reader::Binary, name: &str) -> String {
    use crate::reader::Binary;
    let file = shell_word(name);
    let unpack = |tool: &str, what: &str| {
        format!(
            "这是 {what}文件：请运行 `{tool} {file} | tcpexplain`（如果是压缩的抓包文件，\
             则运行 `{tool} {file} | tcpdump -nn -r - | tcpexplain`）"
        )
    };
    match kind {
        Binary::Pcap | Binary::PcapNg => format!(
            "这是 {} 抓包文件，不是 tcpdump 的文本输出：请运行 `tcpdump -nn -r {file} | tcpexplain`",
            kind.name()
        ),
        Binary::Gzip => unpack("zcat", "gzip 压缩"),
        Binary::Zstd => unpack("zstdcat", "zstd 压缩"),
        Binary::Bzip2 => unpack("bzcat", "bzip2 压缩"),
        Binary::Xz => unpack("xzcat", "xz 压缩"),
        Binary::Zip => format!("这是 zip 压缩包：请先解压（`unzip -p {file} | tcpexplain`）"),
        Binary::Utf16 => {
            format!("这是 UTF-16 文本：请运行 `iconv -f UTF-16 -t UTF-8 {file} | tcpexplain`")
        }
        Binary::Data => "这是二进制数据，不是 tcpdump 的文本输出".to_string(),
    }
}

/// Why an end changed state, in words.
pub(super) fn reason(why: Reason) -> &'static str {
    match why {
        Reason::SentUnseenFin => "发出了抓包中看不到的 FIN：对端的 SACK 覆盖了它，这是推断",
        Reason::IcmpEndsAttempt => {
            "一个 ICMP 差错报文表明它的 SYN 无法送达：这次尝试就此结束，Linux 会立即放弃"
        }
        Reason::NothingListens => "这个端口上没有程序在监听：尝试得到的回应是 RST",
        Reason::AckedUnseenSynAck => {
            "发出了对对端 SYN 的 ACK：它已经收到了 SYN-ACK，只是抓包中没有"
        }
        Reason::SentSynAckSimultaneous => "发出 SYN-ACK：同时打开",
        Reason::SentRstNoConnection => {
            "为一个它已不再拥有的连接上的报文段回复 RST：它这一侧早已关闭"
        }
        Reason::SentRst => "发出 RST：连接中止",
        Reason::RefusedByRst => "它的 SYN 得到的回应是 RST：连接被拒绝",
        Reason::ReceivedRst => "收到 RST：连接被重置",
        Reason::SentSyn => "发出 SYN：主动打开",
        Reason::SentSynAck => "对对端的 SYN 回复 SYN-ACK",
        Reason::SentFinPeerFinWaiting => {
            "发出 FIN，而对端乱序到达的 FIN 还排在缺失的字节之后等待：TCP 只按序处理 FIN"
        }
        Reason::ActiveClose => "在对端的 FIN 到达之前就发出了 FIN：主动关闭",
        Reason::PassiveClose => "在对端的 FIN 之后发出 FIN：被动关闭，自己这一侧也关闭了",
        Reason::ReceivedSynAck => "收到了对其 SYN 的 SYN-ACK",
        Reason::SynAcked => "它的 SYN 被确认",
        Reason::FinAcked => "它的 FIN 被确认",
        Reason::FinAckedAfterBoth => "双方都发出 FIN 之后，它的 FIN 被确认",
        Reason::FinAckedClosed => "它的 FIN 被确认：完全关闭",
        Reason::ReceivedSyn => "收到 SYN",
        Reason::ReceivedSynSimultaneous => "收到 SYN：同时打开",
        Reason::PeerClosed => "收到对端的 FIN：对端已关闭",
        Reason::PeerFinCrossed => "在自己的 FIN 被确认之前就收到了对端的 FIN：同时关闭",
        Reason::ReceivedPeerFin => "收到对端的 FIN",
    }
}

/// What a line that is not tcpdump's is, in words.
pub(super) fn other_text(kind: crate::model::TextKind) -> &'static str {
    use crate::model::TextKind;
    match kind {
        TextKind::Command => "不是 tcpdump 的输出：shell 提示符或命令",
        TextKind::Comment => "不是 tcpdump 的输出：注释",
        TextKind::Elision => "不是 tcpdump 的输出：这里省略了若干行",
        TextKind::Interrupt => "不是 tcpdump 的输出：停止抓包的 Ctrl-C",
        TextKind::Separator => "不是 tcpdump 的输出：分隔线",
        TextKind::Tshark => {
            "这是 tshark 或 Wireshark 的摘要行，不是 tcpdump 的文本：要得到抓包文件的 \
             tcpdump 文本，请运行 `tcpdump -nn -r FILE.pcap | tcpexplain`"
        }
        TextKind::Prose => "不是 tcpdump 的输出",
    }
}

/// An ICMP problem in a few words.
pub(super) fn problem_name(p: IcmpProblem) -> &'static str {
    match p {
        IcmpProblem::NetUnreachable => "网络不可达",
        IcmpProblem::HostUnreachable => "主机不可达",
        IcmpProblem::ProtocolUnreachable => "协议不可达",
        IcmpProblem::PortUnreachable => "端口不可达",
        IcmpProblem::Prohibited => "被管理策略禁止",
        IcmpProblem::TooBig => "超过路径 MTU",
        IcmpProblem::TimeExceeded => "TTL 耗尽",
        IcmpProblem::Unreachable => "不可达",
    }
}

/// The text of an ICMP error line: what the error says, which segment it
/// reports, and what follows.
pub(super) fn icmp(r: &IcmpReport, e: &IcmpError) -> String {
    let ends = r.ends.as_ref();
    // (An address is set apart by spaces; `目的地` is not.)
    let about = e
        .about
        .as_deref()
        .map_or_else(|| "目的地".to_string(), |a| format!(" {a} "));
    let subject = about.trim_start();
    let mut t = format!(
        "{} 发给 {} 的 ICMP 差错报文（{}）：",
        e.reporter,
        e.to,
        problem_name(e.problem)
    );
    let _ = match e.problem {
        IcmpProblem::NetUnreachable => write!(t, "途中的一个路由器没有到{about}的路由。"),
        IcmpProblem::HostUnreachable => write!(t, "一个路由器无法把这个包送到{}。", about.trim_end()),
        IcmpProblem::ProtocolUnreachable => write!(t, "{subject}不支持这个包所用的协议。"),
        IcmpProblem::PortUnreachable => write!(
            t,
            "{subject}的{}端口 {} 不接受连接；是主机本身或防火墙的 REJECT 规则用 ICMP 作了回应，而不是回以 TCP RST。",
            e.transport
                .as_deref()
                .map_or_else(String::new, |p| format!(" {} ", p.to_ascii_uppercase())),
            e.port.as_deref().unwrap_or("?")
        ),
        IcmpProblem::Prohibited => write!(t, "通往{about}的路径被策略禁止了（防火墙规则，或 prohibit 路由）。"),
        IcmpProblem::TooBig => {
            t.push_str("一个包超过了下一段链路能承载的大小");
            if let Some(mtu) = e.mtu {
                let _ = write!(t, "（MTU {mtu}）");
            }
            write!(t, "，而且设置了 DF（禁止分片），这是路径 MTU 发现的一部分。")
        }
        IcmpProblem::TimeExceeded => write!(t, "一个包的 TTL（跳数限制）在途中耗尽了（路由环路，或 TTL 设得太低）。"),
        IcmpProblem::Unreachable => write!(t, "{subject}无法到达。"),
    };
    let (Some(conn), Some(from), Some((client, server))) = (r.conn, r.from, ends) else {
        t.push_str("抓包中没有与它对应的 TCP 连接。");
        return t;
    };
    let peer = who(from.other());
    match r.segment {
        Some(s) => {
            let what = if s.syn {
                "SYN".to_string()
            } else if s.fin {
                "FIN".to_string()
            } else if s.len > 0 {
                format!("{} 字节", s.len)
            } else {
                "报文段".to_string()
            };
            let latin = what.starts_with(|c: char| c.is_ascii());
            let space = if latin { " " } else { "" };
            let _ = write!(
                t,
                "它报告的是{}在第 {} 行发出的{space}{what}（连接 {conn}，{client} → {server}）",
                who(from),
                s.line
            );
            if r.inferred {
                t.push_str(if e.problem == IcmpProblem::TooBig {
                    "：差错报文没有说明是哪一个，而这是尚未被报告过的、对这条路径来说太大的最早一个未确认报文段"
                } else if e.port.is_some() {
                    "：差错报文只给出了地址和端口，而这是符合条件的最新一个报文段"
                } else {
                    "：差错报文只给出了地址，而这是符合条件的最新一个报文段"
                });
                t.push_str(if e.to.contains(':') {
                    "（推断：tcpdump 不打印 ICMPv6 差错报文引用的首部）。"
                } else {
                    "（推断；差错报文引用的首部能让这一点确定，tcpdump 加 -v 时会打印它）。"
                });
            } else {
                t.push_str("，差错报文引用了它的首部。");
            }
            if r.undelivered && (s.syn || s.fin) {
                let _ = write!(
                    t,
                    "那个 {what} 从未到达{peer}：{peer}的状态不会因它而改变。"
                );
            } else if r.undelivered && s.len > 0 {
                let _ = write!(t, "那 {what}从未到达{peer}。");
            } else if r.undelivered {
                let _ = write!(t, "那个报文段从未到达{peer}。");
            } else {
                let _ = write!(
                    t,
                    "第 {} 行显示的状态假定它已经到达：当时抓包还无法判断。",
                    s.line
                );
            }
            if e.problem == IcmpProblem::TooBig {
                t.push_str("发送方应当减小报文段长度，用更小的报文段重发那些字节。");
            }
        }
        None => {
            let _ = write!(
                t,
                "它涉及连接 {conn}（{client} → {server}），但不是抓包中可见的某个报文段。",
            );
        }
    }
    t
}
