//! The words renderers print around the explanations (headings, column names,
//! legends, short notes), in each language. The explanations themselves are
//! made in [`crate::explain`]; the terms follow `i18n/glossary.tsv`.

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
        }
    }
}
