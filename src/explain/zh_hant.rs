//! Facts into Traditional Chinese. Made from `zh_hans.rs` by
//! `i18n/hant.py` (OpenCC s2twp and the glossary's terms): do not edit;
//! change `zh_hans.rs` and run `python3 i18n/hant.py`.

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
        Role::Client => "用戶端",
        Role::Server => "伺服器",
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
            t.push_str("RST，回應");
            match e.of_line {
                Some(l) => {
                    write_lines(t, &[l]);
                    t.push_str("的連線嘗試");
                }
                None => {
                    t.push_str("一次擷取中沒有的連線嘗試（seq 為 0，ack 是那次嘗試的初始序號 + 1）")
                }
            }
            t.push_str("：該連接埠上沒有程式在監聽，嘗試被拒絕（連線從未建立）");
        }
        Some(ResetKind::AfterClose) => {
            t.push_str("RST，回應");
            match e.of_line {
                Some(l) => {
                    write_lines(t, &[l]);
                    t.push('的');
                }
                None => t.push_str("一個"),
            }
            t.push_str("區段");
            if let Some(s) = e.seconds {
                t.push('（');
                write_ms(t, s);
                t.push_str(" 之後）");
            }
            let _ = write!(t, "：{me}已經沒有對應的連線了");
            t.push_str(match e.evidence {
                Some(Evidence::NoTimestamps) => "（這個 RST 沒有帶該連線使用的 TCP 時間戳記：它不是由 socket 發出的，就像主機回應一個不屬於任何連線的區段那樣）",
                Some(Evidence::OwnFin) => "（它已關閉了自己這一側：資料或 ACK 到達時，socket 已經不存在）",
                _ => "",
            });
        }
        _ => {
            let _ = write!(t, "RST，{me}立即中止連線，不經過 FIN 交換");
            match e.of_line {
                Some(l) => {
                    t.push_str("。它在");
                    write_lines(t, &[l]);
                    t.push_str("發出自己的 FIN");
                    match e.seconds {
                        Some(s) => {
                            t.push('，');
                            write_ms(t, s);
                            t.push_str(" 之後");
                        }
                        None => t.push_str(" 之後，"),
                    }
                    t.push_str("又發出了這個 RST，其間沒有收到任何東西：它的關閉以中止告終（關閉時還有未讀資料，或 SO_LINGER 為 0）");
                }
                None => t.push_str("（應用程式中止、SO_LINGER 為 0，或關閉時還有未讀資料）"),
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
            "SYN-ACK，{}接受連線，同時發出自己的 SYN",
            who(r.from)
        );
    } else if syn {
        parts.next(t).push_str("SYN，請求建立連線");
    }
    if let Some(raw) = r.seq_raw.filter(|_| syn) {
        let _ = write!(parts.next(t), "初始序號 {raw}（相對序號 0）");
    }
    if r.len > 0 {
        let first = r.seq.unwrap_or(0);
        let last = first.wrapping_add(r.len).wrapping_sub(1);
        let data = parts.next(t);
        num(data, r.len);
        data.push_str(" 位元組資料（相對序號 ");
        num(data, first);
        if r.len > 1 {
            data.push('–');
            num(data, last);
        }
        data.push('）');
        if flag(b'P') {
            data.push_str("，帶 PSH（推送：立即交給應用程式）");
        }
    }
    if flag(b'U') {
        parts
            .next(t)
            .push_str("URG 置位（緊急資料：緊急指標指出緊急資料的結束位置）");
    }
    if flag(b'E') && !syn {
        parts
            .next(t)
            .push_str("ECE 置位（回顯接收方看到的擁塞標記）");
    }
    if flag(b'W') && !syn {
        parts.next(t).push_str("CWR 置位（傳送方已減小擁塞視窗）");
    }
    if flag(b'E') && syn {
        parts.next(t).push_str("支援 ECN");
    }
    if fin && ack {
        let _ = write!(
            parts.next(t),
            "FIN，表示{}沒有更多資料要傳送了（它的應用程式關閉了連線，或關閉了寫方向）",
            who(r.from)
        );
    } else if fin {
        // (Every segment of a connection after its SYN carries an ACK.)
        parts
            .next(t)
            .push_str("FIN 置位但沒有 ACK（連線中的端點不會這樣傳送：這是構造出來的區段）");
    }
    if rst {
        write_reset(parts.next(t), r);
    }
    if parts.count == 0 {
        t.push_str(if ack {
            "純確認（不帶資料）"
        } else {
            "不帶任何旗標的區段"
        });
    }
    t.push('。');

    if let Some(o) = &r.offer {
        if o.mss.is_some() || o.sack_permitted || o.timestamps || o.wscale.is_some() || o.fast_open
        {
            t.push_str("它攜帶的選項：");
            let mut offers = List::new("、");
            if let Some(m) = o.mss {
                let _ = write!(offers.next(t), "MSS {m}（能接收的最大區段大小）");
            }
            if o.sack_permitted {
                offers.next(t).push_str("允許 SACK");
            }
            if o.timestamps {
                offers.next(t).push_str("時間戳記");
            }
            if let Some(w) = o.wscale {
                let _ = write!(
                    offers.next(t),
                    "視窗縮放因子 {w}（其視窗值以 {} 位元組為單位）",
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
        t.push_str("）沒有確認任何新內容。");
    }
    let note = |code: Inference| r.notes.contains(&code);
    if let Some(line) = r
        .peer_fin_unacked
        .filter(|_| !has(EventKind::SimultaneousClose))
    {
        if note(Inference::PeerFinSacked) {
            let _ = write!(t, "它沒有確認{peer}第 {line} 行的 FIN，但它的 SACK 區塊表明那個 FIN 已經到達：FIN 亂序到達，排在缺失的位元組之後等待（FIN 只能按序處理）。");
        } else {
            let _ = write!(
                t,
                "它沒有確認{peer}第 {line} 行的 FIN：發出這個區段時，那個 FIN 還沒有被處理。"
            );
        }
    }
    if note(Inference::PeerFinInferred) {
        if r.sack.is_empty() {
            let _ = write!(t, "擷取中只有這一方的封包：它的 ACK 在自己的 FIN 之後單獨前移了 1，說明{peer}已經發出了 FIN（推斷；{peer}的 FIN 不在擷取中）。");
        } else {
            let _ = write!(t, "它的 SACK 區塊覆蓋了 ACK 之後一個孤立的序號，而擷取中看不到{peer}在那裡傳送過任何東西：很可能是{peer}的 FIN，因前面的位元組缺失而亂序到達（推斷）。");
        }
    } else if note(Inference::PeerFinSacked) && r.peer_fin_unacked.is_none() {
        let _ = write!(t, "它的 SACK 區塊表明{peer}的 FIN 已經到達。");
    }
    if note(Inference::LateHandshakeAck) {
        let _ = write!(t, "它只確認了{peer}的 SYN：這是握手的 ACK，卻出現在{}隨後發出的資料之後（兩者在途中被重排了；不是重複確認）。", who(r.from));
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
        t.push_str("D-SACK：位元組 ");
        write_blocks(t, dup);
        t.push_str(if has(EventKind::KeepAliveAck) {
            " 被收到了兩次（RFC 2883）：那是保活探測的位元組，它早已收到。"
        } else {
            " 被收到了兩次（RFC 2883），所以重發它們是不必要的。"
        });
    }
    if !sack.is_empty() {
        t.push_str("SACK：它還收到了位元組 ");
        write_blocks(t, sack);
        t.push_str("（所以它的 ACK 與這些位元組之間的部分，就是缺失的位元組）。");
    }
    if let Some(rtt) = r.handshake_rtt {
        let _ = write!(
            t,
            "三次握手完成：從 SYN 到這個 ACK 用了 {}（從擷取點看到的握手往返時間）。",
            ms(rtt)
        );
    }
    if let Some(w) = r.window.filter(|_| !syn && !rst) {
        if w == 0 {
            let _ = write!(t, "它通告零視窗：它的接收緩衝區已滿，{peer}必須停止傳送。");
        }
    }

    for e in &r.events {
        write_event(t, e, r);
    }
    if !has(EventKind::Reset) && note(Inference::Excerpt) {
        t.push_str("這些序號看起來已經是相對值（貼上的片段？）：絕對值未知。");
    }
    if note(Inference::RolesInferred) {
        t.push_str(if refuses(r) {
            "沒有看到 SYN：這個 RST 回應的是哪一端的連線嘗試，哪一端就是用戶端。"
        } else if !ack && !syn && !rst {
            "沒有看到 SYN，也沒有 ACK：這是一個不屬於任何連線的探測（連接埠掃描發出的）；發出它的一端算作用戶端。"
        } else {
            "沒有看到 SYN：擷取從連線中途開始；用戶端是根據連接埠猜出來的（推斷）。"
        });
    }
    if note(Inference::Renumbered) {
        t.push_str("它的相對序號與該行顯示的不同：擷取從連線中途開始時，tcpdump 從每個方向在擷取中的第一個封包開始計數，而 tcpexplain 和 Wireshark 一樣，從第一個位元組之前的那個序號開始計數（第二個方向的第一個位元組，就是第一個封包所確認的那個位元組）。");
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
        t.push_str("沒有確認任何新內容：它回應的是");
        write_lines(t, &a.lines);
        t.push_str("重發的副本（那些位元組此前已被確認）。");
        return;
    }
    if !a.syn && a.bytes == 0 && !a.fin {
        let _ = write!(t, "前移到 {}，但沒有覆蓋擷取中可見的任何區段。", a.last);
        return;
    }
    t.push_str("確認了");
    t.push_str(peer);
    write_lines(t, &a.lines);
    t.push_str("的 ");
    // (`SYN 和 FIN`, `288 位元組資料和 FIN`: a space only next to Latin letters.)
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
        t.push_str(" 位元組資料");
    }
    if a.fin {
        and(t);
        t.push_str("FIN");
    }
    if let Some(rtt) = a.rtt {
        t.push_str("，距其發出 ");
        write_ms(t, rtt);
    }
    t.push('。');
}

/// Why bytes whose earlier segment an ICMP "too big" error reported were sent again.
const PATH_MTU_RESEND: &str = "：一個 ICMP 錯誤訊息說那個區段對這條路徑來說太大，於是傳送方立即改用路徑能容納的較小區段重發了這些位元組（路徑 MTU 發現）。";

/// Ends a sentence about an artefact of the capture with Wireshark's labels on
/// the line (`；Wireshark 的標籤（a, b）{what}。`), when it has any.
fn write_labels(t: &mut String, r: &SegmentReport, what: &str) {
    let mut labels = r.events.iter().filter(|x| x.kind.is_wireshark());
    if let Some(first) = labels.next() {
        t.push_str("；Wireshark 的標籤（");
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
            t.push_str("；這次等待約為上一次的兩倍（實測的指數退避）。");
        }
        Some(Backoff::Constant) => {
            t.push_str("；與上一次的等待大致相同");
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
            t.push_str("這與");
            write_line(t, e.of_line);
            if e.of_line.is_none() {
                t.push_str("之前的某個封包");
            }
            t.push_str("是同一個封包");
            // (One pair of parentheses for the evidence and the interfaces.)
            let same_header = e.evidence == Some(Evidence::IpIdTtl);
            match (same_header, &e.note) {
                (true, Some(n)) => {
                    let _ = write!(t, "（IP id 和 TCP 標頭都相同；{n}）");
                }
                (true, None) => t.push_str("（IP id 和 TCP 標頭都相同）"),
                (false, Some(n)) => {
                    let _ = write!(t, "（{n}）");
                }
                (false, None) => {}
            }
            t.push('，');
            if let Some(s) = e.seconds {
                write_ms(t, s);
                t.push_str(" 之後");
            }
            t.push_str(match e.evidence {
                Some(Evidence::IpIdTtl) => "以更低的 TTL 再次被看到：它多經過了幾個路由器，又一次經過擷取點（路由迴圈，或一條兩次經過擷取主機的路徑）。這不是新的區段",
                Some(Evidence::Identical) => "每個欄位原樣又被印出了一次：在多個介面上擷取時（-i any；這個 tcpdump 不印出介面名），封包每經過一個介面，tcpdump 就印出一次，比如在橋接器上，或在轉發它的主機上。這不是新的區段",
                _ => "在另一個介面上再次被看到：在多個介面上擷取時（-i any），封包每經過一個介面，tcpdump 就印出一次，比如擷取主機轉發它的時候。這不是新的區段",
            });
            write_labels(t, r, "是因為同一個封包被看到了兩次");
        }
        EventKind::SeenLate => {
            t.push_str("第一次看到這些位元組：它們填補了");
            write_line(t, e.of_line);
            t.push_str("指出的空缺，而");
            t.push_str(peer);
            match &e.note {
                Some(Note::AckedOn(line)) => {
                    let _ = write!(t, "早在第 {line} 行就已確認了它們");
                }
                Some(n) => {
                    let _ = write!(t, "早已（{n}）確認了它們");
                }
                None => t.push_str("早已確認了它們"),
            }
            t.push_str("。很可能是擷取點晚看到了這個封包（鏡像連接埠延遲了某一方向，或擷取由兩個擷取點合併而成），這是推斷：接收方比擷取點更早收到了它");
            write_labels(t, r, "把它當成了重發");
        }
        EventKind::Retransmission => {
            // (Said by the more precise event on the line.)
            if resend_said_precisely(r) {
                return;
            }
            t.push_str("重傳");
            if e.of_line.is_some() {
                t.push_str("（重發的是");
                write_line(t, e.of_line);
                t.push('）');
            }
            if e.note == Some(Note::PathMtu) {
                t.push_str(PATH_MTU_RESEND);
            } else {
                if let Some(s) = e.seconds {
                    t.push_str("，距上一次傳送 ");
                    write_ms(t, s);
                }
                if dsack(r) {
                    t.push_str("：它是這一方對剛收到的重複資料（其 D-SACK 區塊）的回應；傳送方是在這個回應裡順帶重複了這些序號，而不是因為重傳計時器逾時。");
                } else if let Some(rt) = e.round_trip {
                    t.push_str("：重發得比一個往返時間（握手測得 ");
                    write_ms(t, rt);
                    t.push_str("）還快，所以不是逾時重傳。");
                } else if e.note == Some(Note::TailProbe) {
                    t.push_str("：這是最後發出的區段，在收到對它的 ACK 之前、也早於重傳計時器觸發（Linux 上至少 200 ms）就再次發出，很可能是尾部丟失探測（TLP，RFC 8985），即重發最後一個區段，讓由此換來的 ACK 表明丟了什麼——這是根據時間推斷的。");
                } else {
                    t.push_str("：這段序號之前已經傳送過，但沒有及時等到對它的 ACK，傳送方認為它丟失了（重傳計時器逾時）");
                    write_backoff(t, e.backoff, "");
                }
            }
        }
        EventKind::FastRetransmission => {
            t.push_str("快速重傳");
            if e.of_line.is_some() {
                t.push_str("（重發的是");
                write_line(t, e.of_line);
                t.push('）');
            }
            let _ = write!(t, "：{peer}對這些位元組發出了重複確認，所以傳送方沒有等計時器逾時就重發了它們。");
        }
        EventKind::SpuriousRetransmission => t.push_str("偽重傳：這裡的每個位元組都早已被確認；這次重發是不必要的。"),
        EventKind::OutOfOrder if e.note == Some(Note::PathMtu) => {
            t.push_str("重發");
            if e.of_line.is_some() {
                t.push_str("（來自");
                write_line(t, e.of_line);
                t.push('）');
            }
            t.push_str(PATH_MTU_RESEND);
            t.push_str("Wireshark 的標籤（out_of_order）是根據時間判斷的：它出現在序號最高的區段之後一個往返時間之內。");
        }
        EventKind::OutOfOrder => t.push_str("亂序：這些位元組的序號低於已經看到的資料，卻緊隨其後到達（是在網路中被重排了，而不是重發）。"),
        EventKind::LostSegment => t.push_str("前一個區段未被擷取到：這個區段的起始序號超出了擷取中該傳送方已傳送資料的末尾；有區段在擷取點之前丟失了，或者擷取漏掉了它（也可能稍後才出現）。"),
        EventKind::AckLostSegment => {
            let _ = write!(t, "確認了未擷取到的區段：它確認的{peer}資料尚未在擷取中出現——擷取漏掉了它們，或者它們稍後才出現。");
        }
        EventKind::DuplicateAck => {
            let _ = write!(t, "第 {} 個重複確認", e.count.unwrap_or(1));
            if e.of_line.is_some() {
                t.push_str("（與");
                write_line(t, e.of_line);
                t.push_str("的 ACK 相同）");
            }
            t.push_str("：ack 相同，視窗相同，不帶資料；");
            if dsack(r) {
                t.push_str("它是因為收到了重複的區段（D-SACK）而發出的，不是因為有空缺。");
            } else {
                match e.note {
                    Some(Note::OldSegment) => {
                        let _ = write!(t, "它回應的是{peer}剛才那個沒有帶來新內容的區段（比這個 ACK 更舊的區段會得到一個 ACK 作為回應），並不表示有空缺。");
                    }
                    Some(Note::Gap) => t.push_str("接收方仍在等待它的 ACK 所指的那個位元組（有空缺，或有區段丟失）。"),
                    _ => {
                        let _ = write!(t, "擷取中看不到{peer}在它之後傳送過任何東西，所以它在這裡並不表示有空缺。");
                    }
                }
            }
        }
        // Said with the window and with the flags.
        EventKind::ZeroWindow | EventKind::Reset | EventKind::Evicted => t.truncate(start),
        EventKind::ZeroWindowProbe => {
            let _ = write!(t, "零視窗探測：向{peer}的零視窗傳送一個位元組，以探知視窗何時重新開啟。");
        }
        EventKind::ZeroWindowProbeAck => t.push_str("對零視窗探測的回覆：視窗仍然關閉。"),
        EventKind::WindowFull => {
            let _ = write!(t, "視窗已滿：這個區段恰好填滿了{peer}通告的視窗；傳送方必須等待 ACK。");
        }
        EventKind::WindowUpdate => t.push_str("視窗更新：只有通告的視窗變了（接收方騰出了空間）。"),
        EventKind::KeepAlive => {
            let inferred = matches!(e.note, Some(Note::Inferred | Note::ZeroWindowProbeInferred));
            t.push_str(if inferred {
                "保活：一段靜默之後的空 ACK，重複了它上一次的 ACK，而對端沒有未被確認的資料；不加 -S 或 -v 時，tcpdump 不印出這裡的 seq，而 Linux 保活探測的 seq 恰好落後一個位元組（根據時間和序號推斷）。Linux 探測零視窗時也傳送落後一個位元組的空區段，所以如果對端的視窗為 0，這就是一個零視窗探測。"
            } else if r.len == 0 {
                "保活（Wireshark 的標籤）：它的序號比下一個待發位元組小 1，以促使對端作出回應。Linux 探測零視窗時也傳送落後一個位元組的空區段，所以如果對端的視窗為 0，這就是一個零視窗探測。"
            } else {
                "保活：它重發對端已經確認過的最後一個位元組，促使對端作出回應（一個無用的位元組，Windows 就是這樣傳送保活探測的）。"
            });
        }
        EventKind::KeepAliveAck => t.push_str("保活確認：對端回應了探測，說明它還活著。"),
        EventKind::ReusedPorts => t.push_str("連接埠號重用：一個新連線使用了與之前某個連線相同的位址和連接埠。"),
        EventKind::SynRetransmission => {
            let _ = write!(
                t,
                "SYN 重發（第 {} 次嘗試",
                e.count.map_or(2, |c| c.saturating_add(1))
            );
            if let Some(l) = e.of_line {
                let _ = write!(t, "，第一次在第 {l} 行");
            }
            t.push('）');
            if let Some(s) = e.seconds {
                let _ = write!(t, "，距上一次 {}", ms(s));
            }
            t.push_str("：沒有及時收到 SYN-ACK");
            write_backoff(t, e.backoff, "（固定間隔）");
        }
        EventKind::DelayedAck => {
            t.push_str("這個 ACK ");
            if e.of_line.is_some() {
                t.push('在');
                write_line(t, e.of_line);
                t.push_str("的區段之後");
            }
            t.push_str("等了");
            if let Some(s) = e.seconds {
                t.push(' ');
                write_ms(t, s);
            }
            if let Some(rt) = e.round_trip {
                let _ = write!(t, "，比這裡測得的到{}的往返時間（{}）還長", who(r.from), ms(rt));
            }
            t.push_str("：根據時間推斷，很可能是延遲確認（Linux 會等待 40 ms 到 200 ms，希望把 ACK 附帶在資料上）。");
        }
        EventKind::FinAcksFin => {
            let _ = write!(t, "也就是說，這個 FIN 順帶確認了{peer}");
            write_line(t, e.of_line);
            let _ = write!(t, "的 FIN：關閉只用了三個區段，而不是四個（三次揮手）。很可能是{}的應用程式在延遲確認的計時器觸發之前就關閉了，於是 ACK 就附帶在了 FIN 上。", who(r.from));
        }
        EventKind::SimultaneousClose => {
            let _ = write!(t, "這個 FIN 沒有確認{peer}");
            write_line(t, e.of_line);
            t.push_str("的 FIN：它是在那個 FIN 到達之前發出的。兩個 FIN 在途中交錯而過——這是同時關閉，雙方都會經過 CLOSING 狀態。");
        }
        EventKind::HalfClose => {
            let _ = write!(t, "在{peer}");
            write_line(t, e.of_line);
            let _ = write!(t, "的 FIN 之後還有資料：這是半關閉；{peer}已停止傳送，但仍在接收。");
        }
    }
}

/// The closing sentence of a line that changes no state, in three pieces
/// around the client's and the server's states (see [`write_states`]).
pub(super) const STATES: (&str, &str, &str) = ("目前狀態：用戶端 ", "，伺服器 ", "。");

/// Writes `目前狀態：用戶端 S，伺服器 S。` with the changes this line shows and why.
fn write_states(t: &mut String, r: &SegmentReport) {
    t.push_str("目前狀態：");
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
                let _ = write!(why, "，見第 {} 行", step.cause_line);
            }
            if step.inferred {
                why.push_str("，這是假定的");
            }
        }
        s.push('）');
    }
    t.push('。');
    if let Some(step) = shown_late(r) {
        let _ = write!(
            t,
            "{}發出上一個區段時，還沒有處理第 {} 行的區段（那個 ACK 沒有覆蓋它）；這個 ACK 表明它現在已經處理了。",
            who(step.who),
            step.cause_line
        );
    }
    if r.transitions.iter().any(|t| t.to == TcpState::TimeWait) {
        t.push_str("TIME_WAIT 持續 2×MSL（Linux 上為 60 秒），好讓網路中遲到的區段自然消失。");
    }
}

/// A connection's summary.
pub(super) fn connection(s: &ConnectionSummary) -> String {
    let mut t = format!("連線 {}：用戶端 {} → 伺服器 {}", s.conn, s.client, s.server);
    if s.roles_inferred {
        t.push_str("（角色是根據連接埠猜出來的）");
    }
    if s.segments == 1 {
        let _ = write!(t, "，第 {} 行，1 個區段", s.first_line);
    } else {
        let _ = write!(
            t,
            "，第 {}–{} 行，共 {} 個區段",
            s.first_line, s.last_line, s.segments
        );
    }
    if let Some(d) = s.duration {
        let _ = write!(t, "，歷時 {}", ms(d));
    }
    let _ = write!(
        t,
        "；用戶端傳送了 {} 位元組，伺服器傳送了 {} 位元組。",
        s.bytes_client, s.bytes_server
    );
    match s.handshake {
        _ if s.teardown == Teardown::Refused && s.conn_state != "REJ" => {
            t.push_str("沒有握手：用戶端的嘗試（一次探測，或擷取漏掉的 SYN）立即被拒絕。");
        }
        Handshake::Complete => {
            t.push_str("看到了完整的三次握手");
            if let Some(rtt) = s.handshake_rtt {
                let _ = write!(t, "（往返時間 {}）", ms(rtt));
            }
            t.push('。');
        }
        Handshake::Partial => t.push_str("只看到了部分握手。"),
        Handshake::None => t.push_str("擷取開始時握手已經完成。"),
    }
    let closer = |c: Option<ClosedBy>| match c {
        Some(ClosedBy::Client) => "用戶端",
        Some(ClosedBy::Server) => "伺服器",
        Some(ClosedBy::Both) => "雙方同時",
        None => "無人",
    };
    t.push_str(&match s.teardown {
        Teardown::ThreeWay | Teardown::FourWay if unseen_second_fin(s).is_some() => format!(
            "雙方都關閉了連線，{}先關閉；擷取中沒有另一方的 FIN，無法判斷是三次揮手還是四次揮手。",
            closer(s.closed_by)
        ),
        Teardown::ThreeWay => format!(
            "用三個區段完成關閉（三次揮手）：{}先發出 FIN；另一方的 FIN 同時附帶了對它的 ACK。",
            closer(s.closed_by)
        ),
        Teardown::FourWay => format!(
            "用四個區段完成關閉（四次揮手）：{}先發出 FIN，另一方先單獨確認，再發出自己的 FIN。",
            closer(s.closed_by)
        ),
        Teardown::Simultaneous => {
            "同時關閉：兩個 FIN 在途中交錯而過；雙方都經過了 CLOSING 狀態。".to_string()
        }
        Teardown::Reset => format!("以{}發出的 RST 結束。", closer(s.closed_by)),
        Teardown::Refused => {
            "被拒絕：伺服器用 RST 回應了連線嘗試（該連接埠上沒有程式在監聽）。".to_string()
        }
        Teardown::HalfClosed => format!(
            "半關閉：{}發出了 FIN；另一方直到擷取結束都沒有關閉。",
            closer(s.closed_by)
        ),
        Teardown::Open if server_unheard(s) && !s.icmp_errors.is_empty() => {
            "從未建立：返回的是 ICMP 錯誤訊息，而不是伺服器的回應。".to_string()
        }
        Teardown::Open if s.stall.is_some() => "擷取結束時連線停滯：".to_string(),
        Teardown::Open if server_unheard(s) => {
            "從未得到回應：擷取中沒有伺服器的回覆（沒有回覆，或擷取漏掉了），所以它的狀態未知。"
                .to_string()
        }
        Teardown::Open => "擷取結束時連線仍然開啟。".to_string(),
    });
    // The trouble, said where it can hide behind the verdict.
    if let Some(st) = &s.stall {
        if s.teardown != Teardown::Open {
            t.push_str("異常：");
        }
        write_stall(&mut t, st);
    }
    if let Some(side) = s.zero_window_at_end {
        let _ = write!(
            t,
            "擷取結束時，{}的接收視窗為 0：{}不能傳送（零視窗停滯）。",
            who(side),
            who(side.other())
        );
    }
    if let Some(side) = s.half_close {
        let _ = write!(
            t,
            "{}在{}的 FIN 之後、關閉自己這一側之前還傳送了資料：這是關閉過程中的半關閉。",
            who(side),
            who(side.other())
        );
    }
    for side in &s.fins_inferred {
        let _ = write!(
            t,
            "{}的 FIN 不在擷取中，是根據{}的確認推斷出來的。",
            who(*side),
            who(side.other())
        );
    }
    if let Some(side) = s.captured_only {
        let _ = write!(
            t,
            "擷取中只有{0}的封包（單向過濾，或擷取點所致）：{1}的封包只能從{0}的確認中得知。",
            who(side),
            who(side.other())
        );
    }
    if !s.problems.is_empty() {
        t.push_str("問題：");
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
            "（這是假定的：擷取中沒有它發出的任何區段）"
        } else {
            ""
        }
    };
    let _ = write!(
        t,
        "最終狀態：用戶端 {}{}，伺服器 {}{}。",
        s.final_state.client,
        assumed(Role::Client),
        s.final_state.server,
        assumed(Role::Server)
    );
    if s.delivery_assumed {
        t.push_str("（最後一行之後仍在途中的區段，均假定已經送達。）");
    }
    match s.time_wait.as_slice() {
        [] => {}
        [one] => {
            let _ = write!(t, "{}將在 TIME_WAIT 狀態停留 60 秒（Linux）。", who(*one));
        }
        _ => t.push_str("雙方都將在 TIME_WAIT 狀態停留 60 秒（Linux）。"),
    }
    if let Some(v) = &s.vantage {
        let _ = write!(
            t,
            "擷取點很可能{}（根據握手時間推斷）。",
            match v {
                Vantage::Server => "靠近伺服器",
                Vantage::Client => "靠近用戶端",
                Vantage::Middle => "位於兩者之間",
            }
        );
    }
    let _ = write!(
        t,
        "Zeek：conn_state {}，history {}。",
        s.conn_state, s.history
    );
    if s.evicted {
        t.push_str("已不再追蹤：同時開啟的連線太多，而它處於閒置狀態，因此被移出了。");
    }
    if let Some(n) = s.events.get("capture_copy") {
        let _ = write!(
            t,
            "其中有 {n} 行是同一個封包在另一個介面上再次被看到（-i any）：這裡只計一次，Wireshark 則會重複計數。"
        );
    }
    if !s.icmp_errors.is_empty() {
        t.push_str("與它有關的 ICMP 錯誤訊息：");
        let mut items = List::new("；");
        for (p, lines) in icmp_errors_by_problem(s) {
            let t = items.next(&mut t);
            write_lines(t, &lines);
            let _ = write!(t, "（{}）", problem_name(p));
        }
        if s.icmp_errors.len() >= 64 {
            t.push_str("（最多列出前 64 個）");
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
            t.push_str(" 位元組資料");
            if fin {
                t.push_str("和 FIN");
            }
        }
    }
    let _ = write!(
        t,
        "（從第 {} 行起）始終沒有被確認，共重發了 ",
        st.since_line
    );
    write_count(t, u64::from(st.resent));
    t.push_str(" 次");
    if let Some(sec) = st.seconds {
        let _ = write!(t, "，歷時 {}", ms(sec));
    }
    t.push_str(match st.backoff {
        Some(Backoff::Doubling) => "，呈指數退避（每次等待約為上一次的兩倍）。",
        Some(Backoff::Constant) => "，間隔大致相同。",
        _ => "。",
    });
}

/// How a connection ended, in a word or two.
pub(super) fn teardown_name(t: Teardown) -> &'static str {
    match t {
        Teardown::ThreeWay => "三次揮手",
        Teardown::FourWay => "四次揮手",
        Teardown::Simultaneous => "同時關閉",
        Teardown::Reset => "RST 重設",
        Teardown::Refused => "被拒絕",
        Teardown::HalfClosed => "半關閉",
        Teardown::Open => "未關閉",
    }
}

/// A problem kind's counter word and name (`次`, `重傳`).
fn problem_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "retransmission" => ("次", "重傳"),
        "fast_retransmission" => ("次", "快速重傳"),
        "spurious_retransmission" => ("次", "偽重傳"),
        "out_of_order" => ("個", "亂序的區段"),
        "lost_segment" => ("個", "未擷取到的區段"),
        "ack_lost_segment" => ("次", "對未擷取到資料的確認"),
        "duplicate_ack" => ("個", "重複確認"),
        "zero_window" => ("次", "零視窗"),
        "zero_window_probe" => ("次", "零視窗探測"),
        "window_full" => ("次", "視窗已滿"),
        "syn_retransmission" => ("次", "SYN 重發"),
        _ => ("個", "其他問題"),
    }
}

/// What a binary input (`name`; `-` for standard input) is and what to run
/// instead, in one line.
pub(super) fn binary_input(kind: crate::reader::Binary, name: &str) -> String {
    use crate::reader::Binary;
    let file = shell_word(name);
    let unpack = |tool: &str, what: &str| {
        format!(
            "這是 {what}檔案：請執行 `{tool} {file} | tcpexplain`（如果是壓縮的擷取檔案，\
             則執行 `{tool} {file} | tcpdump -nn -r - | tcpexplain`）"
        )
    };
    match kind {
        Binary::Pcap | Binary::PcapNg => format!(
            "這是 {} 擷取檔案，不是 tcpdump 的文字輸出：請執行 `tcpdump -nn -r {file} | tcpexplain`",
            kind.name()
        ),
        Binary::Gzip => unpack("zcat", "gzip 壓縮"),
        Binary::Zstd => unpack("zstdcat", "zstd 壓縮"),
        Binary::Bzip2 => unpack("bzcat", "bzip2 壓縮"),
        Binary::Xz => unpack("xzcat", "xz 壓縮"),
        Binary::Zip => format!("這是 zip 壓縮檔：請先解壓縮（`unzip -p {file} | tcpexplain`）"),
        Binary::Utf16 => {
            format!("這是 UTF-16 文字：請執行 `iconv -f UTF-16 -t UTF-8 {file} | tcpexplain`")
        }
        Binary::Data => "這是二進位資料，不是 tcpdump 的文字輸出".to_string(),
    }
}

/// Why an end changed state, in words.
pub(super) fn reason(why: Reason) -> &'static str {
    match why {
        Reason::SentUnseenFin => "發出了擷取中看不到的 FIN：對端的 SACK 覆蓋了它，這是推斷",
        Reason::IcmpEndsAttempt => {
            "一個 ICMP 錯誤訊息表明它的 SYN 無法送達：這次嘗試就此結束，Linux 會立即放棄"
        }
        Reason::NothingListens => "這個連接埠上沒有程式在監聽：嘗試得到的回應是 RST",
        Reason::AckedUnseenSynAck => {
            "發出了對對端 SYN 的 ACK：它已經收到了 SYN-ACK，只是擷取中沒有"
        }
        Reason::SentSynAckSimultaneous => "發出 SYN-ACK：同時開啟",
        Reason::SentRstNoConnection => "為一個它已不再擁有的連線上的區段回覆 RST：它這一側早已關閉",
        Reason::SentRst => "發出 RST：連線中止",
        Reason::RefusedByRst => "它的 SYN 得到的回應是 RST：連線被拒絕",
        Reason::ReceivedRst => "收到 RST：連線被重設",
        Reason::SentSyn => "發出 SYN：主動開啟",
        Reason::SentSynAck => "對對端的 SYN 回覆 SYN-ACK",
        Reason::SentFinPeerFinWaiting => {
            "發出 FIN，而對端亂序到達的 FIN 還排在缺失的位元組之後等待：TCP 只按序處理 FIN"
        }
        Reason::ActiveClose => "在對端的 FIN 到達之前就發出了 FIN：主動關閉",
        Reason::PassiveClose => "在對端的 FIN 之後發出 FIN：被動關閉，自己這一側也關閉了",
        Reason::ReceivedSynAck => "收到了對其 SYN 的 SYN-ACK",
        Reason::SynAcked => "它的 SYN 被確認",
        Reason::FinAcked => "它的 FIN 被確認",
        Reason::FinAckedAfterBoth => "雙方都發出 FIN 之後，它的 FIN 被確認",
        Reason::FinAckedClosed => "它的 FIN 被確認：完全關閉",
        Reason::ReceivedSyn => "收到 SYN",
        Reason::ReceivedSynSimultaneous => "收到 SYN：同時開啟",
        Reason::PeerClosed => "收到對端的 FIN：對端已關閉",
        Reason::PeerFinCrossed => "在自己的 FIN 被確認之前就收到了對端的 FIN：同時關閉",
        Reason::ReceivedPeerFin => "收到對端的 FIN",
    }
}

/// What a line that is not tcpdump's is, in words.
pub(super) fn other_text(kind: crate::model::TextKind) -> &'static str {
    use crate::model::TextKind;
    match kind {
        TextKind::Command => "不是 tcpdump 的輸出：shell 提示字元或指令",
        TextKind::Comment => "不是 tcpdump 的輸出：註解",
        TextKind::Elision => "不是 tcpdump 的輸出：這裡省略了若干行",
        TextKind::Interrupt => "不是 tcpdump 的輸出：停止擷取的 Ctrl-C",
        TextKind::Separator => "不是 tcpdump 的輸出：分隔線",
        TextKind::Tshark => {
            "這是 tshark 或 Wireshark 的摘要行，不是 tcpdump 的文字：要得到擷取檔案的 \
             tcpdump 文字，請執行 `tcpdump -nn -r FILE.pcap | tcpexplain`"
        }
        TextKind::Prose => "不是 tcpdump 的輸出",
    }
}

/// An ICMP problem in a few words.
pub(super) fn problem_name(p: IcmpProblem) -> &'static str {
    match p {
        IcmpProblem::NetUnreachable => "網路無法到達",
        IcmpProblem::HostUnreachable => "主機無法到達",
        IcmpProblem::ProtocolUnreachable => "協定無法到達",
        IcmpProblem::PortUnreachable => "連接埠無法到達",
        IcmpProblem::Prohibited => "被管理策略禁止",
        IcmpProblem::TooBig => "超過路徑 MTU",
        IcmpProblem::TimeExceeded => "TTL 耗盡",
        IcmpProblem::Unreachable => "無法到達",
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
        "{} 發給 {} 的 ICMP 錯誤訊息（{}）：",
        e.reporter,
        e.to,
        problem_name(e.problem)
    );
    let _ = match e.problem {
        IcmpProblem::NetUnreachable => write!(t, "途中的一個路由器沒有到{about}的路由。"),
        IcmpProblem::HostUnreachable => write!(t, "一個路由器無法把這個封包送到{}。", about.trim_end()),
        IcmpProblem::ProtocolUnreachable => write!(t, "{subject}不支援這個封包所用的協定。"),
        IcmpProblem::PortUnreachable => write!(
            t,
            "{subject}的{}連接埠 {} 不接受連線；是主機本身或防火牆的 REJECT 規則用 ICMP 作了回應，而不是回以 TCP RST。",
            e.transport
                .as_deref()
                .map_or_else(String::new, |p| format!(" {} ", p.to_ascii_uppercase())),
            e.port.as_deref().unwrap_or("?")
        ),
        IcmpProblem::Prohibited => write!(t, "通往{about}的路徑被策略禁止了（防火牆規則，或 prohibit 路由）。"),
        IcmpProblem::TooBig => {
            t.push_str("一個封包超過了下一段鏈路能承載的大小");
            if let Some(mtu) = e.mtu {
                let _ = write!(t, "（MTU {mtu}）");
            }
            write!(t, "，而且設定了 DF（禁止分片），這是路徑 MTU 發現的一部分。")
        }
        IcmpProblem::TimeExceeded => write!(t, "一個封包的 TTL（跳數限制）在途中耗盡了（路由迴圈，或 TTL 設得太低）。"),
        IcmpProblem::Unreachable => write!(t, "{subject}無法到達。"),
    };
    let (Some(conn), Some(from), Some((client, server))) = (r.conn, r.from, ends) else {
        t.push_str("擷取中沒有與它對應的 TCP 連線。");
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
                format!("{} 位元組", s.len)
            } else {
                "區段".to_string()
            };
            let latin = what.starts_with(|c: char| c.is_ascii());
            let space = if latin { " " } else { "" };
            let _ = write!(
                t,
                "它報告的是{}在第 {} 行發出的{space}{what}（連線 {conn}，{client} → {server}）",
                who(from),
                s.line
            );
            if r.inferred {
                t.push_str(if e.problem == IcmpProblem::TooBig {
                    "：錯誤訊息沒有說明是哪一個，而這是尚未被報告過的、對這條路徑來說太大的最早一個未確認區段"
                } else if e.port.is_some() {
                    "：錯誤訊息只給出了位址和連接埠，而這是符合條件的最新一個區段"
                } else {
                    "：錯誤訊息只給出了位址，而這是符合條件的最新一個區段"
                });
                t.push_str(if e.to.contains(':') {
                    "（推斷：tcpdump 不印出 ICMPv6 錯誤訊息引用的標頭）。"
                } else {
                    "（推斷；錯誤訊息引用的標頭能讓這一點確定，tcpdump 加 -v 時會印出它）。"
                });
            } else {
                t.push_str("，錯誤訊息引用了它的標頭。");
            }
            if r.undelivered && (s.syn || s.fin) {
                let _ = write!(
                    t,
                    "那個 {what} 從未到達{peer}：{peer}的狀態不會因它而改變。"
                );
            } else if r.undelivered && s.len > 0 {
                let _ = write!(t, "那 {what}從未到達{peer}。");
            } else if r.undelivered {
                let _ = write!(t, "那個區段從未到達{peer}。");
            } else {
                let _ = write!(
                    t,
                    "第 {} 行顯示的狀態假定它已經到達：當時擷取還無法判斷。",
                    s.line
                );
            }
            if e.problem == IcmpProblem::TooBig {
                t.push_str("傳送方應當減小區段長度，用更小的區段重發那些位元組。");
            }
        }
        None => {
            let _ = write!(
                t,
                "它涉及連線 {conn}（{client} → {server}），但不是擷取中可見的某個區段。",
            );
        }
    }
    t
}
