//! The words renderers print around the explanations (headings, column names,
//! legends, short notes), in each language. The explanations themselves are
//! made in [`mod@crate::explain`]; the terms follow `i18n/glossary.tsv`.

use crate::lang::Lang;

/// A word or short phrase a renderer prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// The client, as a role.
    Client,
    /// The server, as a role.
    Server,
    /// A line number, as a column name.
    Line,
    /// A segment's direction, as a column name.
    Direction,
    /// TCP flags, as a column name.
    Flags,
    /// The explanation, as a column name.
    Explanation,
    /// A kind (of line), as a column name.
    Kind,
    /// Text, as a column name.
    Text,
    /// The heading of lines that are not segments.
    OtherLines,
    /// A connection, before its number.
    Connection,
    /// The heading of the table of connections.
    Connections,
    /// Time since the connection's first line, as a column name.
    Time,
    /// How the connection closed, as a name.
    Teardown,
    /// Problems found, before their counts.
    Problems,
    /// No problem found (a table cell).
    NoProblems,
    /// What a slanted arrow means.
    LegendInFlight,
    /// What an arrow ending in ✗ means.
    LegendLost,
    /// Where the capture was taken, on the ladder.
    CapturePoint,
    /// A delayed ACK, beside the wait it marks.
    DelayedAck,
    /// Rows left out of a long ladder, before their number.
    RowsNotDrawn,
    /// The ladder diagram, as a heading.
    Ladder,
    /// A ladder without times: rows are equally spaced.
    NoTimestamps,
    /// The time-sequence graph, as a heading.
    TimeSequence,
    /// Data segments, in a graph's legend.
    Data,
    /// A retransmission, in a graph's legend.
    Retransmission,
    /// The ACK line of a time-sequence graph.
    AckLine,
    /// The receive window's right edge, in a graph's legend.
    WindowEdge,
    /// The round-trip panel of a time-sequence graph.
    RoundTrip,
    /// What a time-sequence graph of the client's data shows.
    ClientData,
    /// What a time-sequence graph of the server's data shows.
    ServerData,
    /// Bytes, after a number.
    Bytes,
    /// A duplicate ACK, in a graph's legend.
    DuplicateAck,
    /// A zero window, in a graph's legend.
    ZeroWindow,
    /// Segments a graph left out, before their number.
    PointsNotDrawn,
    /// Segments, as a column name.
    Segments,
    /// A connection's duration, as a column name.
    Duration,
    /// Bytes the client sent, as a column name.
    FromClient,
    /// Bytes the server sent, as a column name.
    FromServer,
    /// The handshake, as a column name.
    Handshake,
    /// Both ends' last states, as a column name.
    FinalStates,
    /// A sequence number, as a column name.
    Seq,
    /// An acknowledgment number, as a column name.
    Ack,
    /// A segment's data length, as a column name.
    Len,
    /// Events, as a column name.
    Events,
    /// A connection's summary, as a heading.
    Summary,
    /// A connection's lines, as a heading.
    Lines,
    /// Connections still open, as a heading of the periodic summary.
    Open,
    /// A filter that selected nothing.
    NothingMatched,
    /// The connections an input holds, after a filter matched none.
    ConnectionsSeen,
    /// Some endpoints an input holds, after a filter matched none.
    EndpointsSeen,
    /// --problems found no problem.
    NoProblemFound,
    /// A file written (--graph), before its name.
    Wrote,
    /// The input a row comes from, as a column name.
    Input,
    /// A whole explained input, before its counts (the notebook's headline).
    Trace,
    /// Which end closed first, as a column name.
    ClosedBy,
    /// The client's last state, as a column name.
    FinalClient,
    /// The server's last state, as a column name.
    FinalServer,
}

impl Label {
    /// The label in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en(),
            Lang::ZhHans => self.zh_hans(),
            Lang::ZhHant => self.zh_hant(),
        }
    }

    fn en(self) -> &'static str {
        match self {
            Label::Client => "client",
            Label::Server => "server",
            Label::Line => "line",
            Label::Direction => "direction",
            Label::Flags => "flags",
            Label::Explanation => "explanation",
            Label::Kind => "kind",
            Label::Text => "text",
            Label::OtherLines => "Other lines",
            Label::Connection => "connection",
            Label::Connections => "Connections",
            Label::Time => "time",
            Label::Teardown => "teardown",
            Label::Problems => "problems",
            Label::NoProblems => "none",
            Label::LegendInFlight => {
                "in flight while the other end sent (it arrives where the arrow ends)"
            }
            Label::LegendLost => "sent again before anything showed it arrived: probably lost",
            Label::CapturePoint => "capture point",
            Label::DelayedAck => "delayed ACK",
            Label::RowsNotDrawn => "rows not drawn",
            Label::Ladder => "Ladder diagram",
            Label::NoTimestamps => "no timestamps: rows equally spaced",
            Label::TimeSequence => "Time-sequence graph",
            Label::Data => "data",
            Label::Retransmission => "retransmission",
            Label::AckLine => "ACK",
            Label::WindowEdge => "window edge (ACK + receive window)",
            Label::RoundTrip => "round trip of each ACK",
            Label::ClientData => "sequence numbers of the client's data over time",
            Label::ServerData => "sequence numbers of the server's data over time",
            Label::Bytes => "bytes",
            Label::DuplicateAck => "duplicate ACK",
            Label::ZeroWindow => "zero window",
            Label::PointsNotDrawn => "segments not drawn (every other one left out, problems kept)",
            Label::Segments => "segments",
            Label::Duration => "duration",
            Label::FromClient => "client bytes",
            Label::FromServer => "server bytes",
            Label::Handshake => "handshake",
            Label::FinalStates => "last states",
            Label::Seq => "seq",
            Label::Ack => "ack",
            Label::Len => "len",
            Label::Events => "events",
            Label::Summary => "Summary",
            Label::Lines => "Lines",
            Label::Open => "open connections",
            Label::NothingMatched => "matched nothing",
            Label::ConnectionsSeen => "the input's connections",
            Label::EndpointsSeen => "endpoints in the input include",
            Label::NoProblemFound => "no problem found",
            Label::Wrote => "wrote",
            Label::Input => "input",
            Label::Trace => "Trace",
            Label::ClosedBy => "closed by",
            Label::FinalClient => "final client",
            Label::FinalServer => "final server",
        }
    }

    fn zh_hans(self) -> &'static str {
        match self {
            Label::Client => "客户端",
            Label::Server => "服务器",
            Label::Line => "行",
            Label::Direction => "方向",
            Label::Flags => "标志",
            Label::Explanation => "解释",
            Label::Kind => "类型",
            Label::Text => "文本",
            Label::OtherLines => "其他行",
            Label::Connection => "连接",
            Label::Connections => "连接",
            Label::Time => "时间",
            Label::Teardown => "关闭方式",
            Label::Problems => "问题",
            Label::NoProblems => "无",
            Label::LegendInFlight => "对方发送时仍在途中（箭头终点处到达）",
            Label::LegendLost => "在任何迹象表明它已到达之前就被重传：可能已丢失",
            Label::CapturePoint => "抓包点",
            Label::DelayedAck => "延迟确认",
            Label::RowsNotDrawn => "未绘制的行",
            Label::Ladder => "时序图",
            Label::NoTimestamps => "无时间戳：各行等距排列",
            Label::TimeSequence => "时间序列图",
            Label::Data => "数据",
            Label::Retransmission => "重传",
            Label::AckLine => "确认号",
            Label::WindowEdge => "窗口右沿（确认号 + 接收窗口）",
            Label::RoundTrip => "每个确认的往返时间",
            Label::ClientData => "客户端数据的序列号随时间变化",
            Label::ServerData => "服务器数据的序列号随时间变化",
            Label::Bytes => "字节",
            Label::DuplicateAck => "重复确认",
            Label::ZeroWindow => "零窗口",
            Label::PointsNotDrawn => "未绘制的报文段（隔一取一，问题均保留）",
            Label::Segments => "报文段",
            Label::Duration => "时长",
            Label::FromClient => "客户端字节",
            Label::FromServer => "服务器字节",
            Label::Handshake => "握手",
            Label::FinalStates => "最后状态",
            Label::Seq => "序列号",
            Label::Ack => "确认号",
            Label::Len => "长度",
            Label::Events => "事件",
            Label::Summary => "摘要",
            Label::Lines => "逐行解释",
            Label::Open => "未关闭的连接",
            Label::NothingMatched => "没有匹配",
            Label::ConnectionsSeen => "输入中的连接",
            Label::EndpointsSeen => "输入中的端点包括",
            Label::NoProblemFound => "未发现问题",
            Label::Wrote => "已写入",
            Label::Input => "输入",
            Label::Trace => "抓包记录",
            Label::ClosedBy => "先关闭的一方",
            Label::FinalClient => "客户端最终状态",
            Label::FinalServer => "服务器最终状态",
        }
    }

    fn zh_hant(self) -> &'static str {
        match self {
            Label::Client => "用戶端",
            Label::Server => "伺服器",
            Label::Line => "行",
            Label::Direction => "方向",
            Label::Flags => "旗標",
            Label::Explanation => "解釋",
            Label::Kind => "類型",
            Label::Text => "文字",
            Label::OtherLines => "其他行",
            Label::Connection => "連線",
            Label::Connections => "連線",
            Label::Time => "時間",
            Label::Teardown => "關閉方式",
            Label::Problems => "問題",
            Label::NoProblems => "無",
            Label::LegendInFlight => "對方傳送時仍在途中（箭頭終點處到達）",
            Label::LegendLost => "在任何跡象表明它已到達之前就被重傳：可能已丟失",
            Label::CapturePoint => "擷取點",
            Label::DelayedAck => "延遲確認",
            Label::RowsNotDrawn => "未繪製的行",
            Label::Ladder => "時序圖",
            Label::NoTimestamps => "無時間戳記：各行等距排列",
            Label::TimeSequence => "時間序列圖",
            Label::Data => "資料",
            Label::Retransmission => "重傳",
            Label::AckLine => "確認號",
            Label::WindowEdge => "視窗右沿（確認號 + 接收視窗）",
            Label::RoundTrip => "每個確認的往返時間",
            Label::ClientData => "用戶端資料的序號隨時間變化",
            Label::ServerData => "伺服器資料的序號隨時間變化",
            Label::Bytes => "位元組",
            Label::DuplicateAck => "重複確認",
            Label::ZeroWindow => "零視窗",
            Label::PointsNotDrawn => "未繪製的區段（隔一取一，問題均保留）",
            Label::Segments => "區段",
            Label::Duration => "時長",
            Label::FromClient => "用戶端位元組",
            Label::FromServer => "伺服器位元組",
            Label::Handshake => "握手",
            Label::FinalStates => "最後狀態",
            Label::Seq => "序號",
            Label::Ack => "確認號",
            Label::Len => "長度",
            Label::Events => "事件",
            Label::Summary => "摘要",
            Label::Lines => "逐行解釋",
            Label::Open => "未關閉的連線",
            Label::NothingMatched => "沒有符合",
            Label::ConnectionsSeen => "輸入中的連線",
            Label::EndpointsSeen => "輸入中的端點包括",
            Label::NoProblemFound => "未發現問題",
            Label::Wrote => "已寫入",
            Label::Input => "輸入",
            Label::Trace => "擷取記錄",
            Label::ClosedBy => "先關閉的一方",
            Label::FinalClient => "用戶端最終狀態",
            Label::FinalServer => "伺服器最終狀態",
        }
    }
}

/// `text` with its first letter in capitals (a heading's first word).
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// What follows a label: `: ` in English, `：` in Chinese.
pub fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        Lang::ZhHans | Lang::ZhHant => "：",
    }
}

/// A line of the input by its number: `line 5`, `第 5 行`.
pub fn line_number(line: u64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("line {line}"),
        Lang::ZhHans | Lang::ZhHant => format!("第 {line} 行"),
    }
}

/// Where a line could not be read, and what was expected there (the
/// grammar's own words).
pub fn unread(line: u64, column: u32, expected: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("line {line}, column {column}: expected {expected}"),
        Lang::ZhHans => format!("第 {line} 行第 {column} 列：此处应为 {expected}"),
        Lang::ZhHant => format!("第 {line} 行第 {column} 列：此處應為 {expected}"),
    }
}

/// Things counted, in the notebook's headline and where rows are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Lines of the input.
    Line,
    /// Rows of a table.
    Row,
    /// Items (segments, summaries, other lines).
    Item,
    /// TCP segments.
    Segment,
    /// Connections.
    Connection,
    /// Lines that could not be read.
    Unparsed,
    /// Lines that are not TCP segments.
    Other,
}

/// `n` things: `1 line`, `3 TCP segments`; `3 行`, `3 个 TCP 报文段`.
pub fn counted(n: usize, what: Counted, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let word = match what {
                Counted::Line => "line",
                Counted::Row => "row",
                Counted::Item => "item",
                Counted::Segment => "TCP segment",
                Counted::Connection => "connection",
                Counted::Unparsed => "unparsed line",
                Counted::Other => "other line",
            };
            let s = if n == 1 { "" } else { "s" };
            format!("{n} {word}{s}")
        }
        Lang::ZhHans => match what {
            Counted::Line | Counted::Row => format!("{n} 行"),
            Counted::Item => format!("{n} 项"),
            Counted::Segment => format!("{n} 个 TCP 报文段"),
            Counted::Connection => format!("{n} 个连接"),
            Counted::Unparsed => format!("{n} 行无法解析"),
            Counted::Other => format!("{n} 行其他内容"),
        },
        Lang::ZhHant => match what {
            Counted::Line | Counted::Row => format!("{n} 行"),
            Counted::Item => format!("{n} 項"),
            Counted::Segment => format!("{n} 個 TCP 區段"),
            Counted::Connection => format!("{n} 個連線"),
            Counted::Unparsed => format!("{n} 行無法解析"),
            Counted::Other => format!("{n} 行其他內容"),
        },
    }
}

/// Where things were left out: `… 3 rows omitted …`, `… 省略了 3 行 …`.
pub fn omitted(n: usize, what: Counted, lang: Lang) -> String {
    let counted = counted(n, what, lang);
    match lang {
        Lang::En => format!("… {counted} omitted …"),
        Lang::ZhHans | Lang::ZhHant => format!("… 省略了 {counted} …"),
    }
}

/// A ladder cut to its first and last rows.
pub fn ladder_cut(first: usize, last: usize, omitted: usize, lang: Lang) -> String {
    let [first, last, omitted] = [first, last, omitted].map(|n| counted(n, Counted::Line, lang));
    match lang {
        Lang::En => format!(
            "The diagram shows the first {first} and the last {last}; {omitted} in between omitted."
        ),
        Lang::ZhHans => format!("时序图只画出前 {first}和后 {last}，中间省略了 {omitted}。"),
        Lang::ZhHant => format!("時序圖只畫出前 {first}和後 {last}，中間省略了 {omitted}。"),
    }
}

/// Connections not shown, with where to find them (`see` is markup).
pub fn connections_not_shown(n: usize, see: &str, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let s = if n == 1 { "" } else { "s" };
            format!("… {n} more connection{s} not shown (see {see}) …")
        }
        Lang::ZhHans => format!("… 还有 {n} 个连接未显示（见 {see}）…"),
        Lang::ZhHant => format!("… 還有 {n} 個連線未顯示（見 {see}）…"),
    }
}
