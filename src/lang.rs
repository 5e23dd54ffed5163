//! The languages explanations are written in, and how one is chosen.
//!
//! Facts are the same in every language (JSON Lines facts do not change with
//! it); only words do, and they are made in one place: [`mod@crate::explain`]
//! for explanations, [`crate::render::labels`] for what renderers print
//! around them.

use std::fmt;
use std::str::FromStr;

/// A language of the explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese (简体中文).
    ZhHans,
    /// Traditional Chinese (繁體中文).
    ZhHant,
}

impl Lang {
    /// Every language, in the order `--help` lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHans, Lang::ZhHant];

    /// The BCP 47 tag (`en`, `zh-Hans`, `zh-Hant`), as HTML's `lang` takes it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// A language from a tag or a locale name: `en`, `zh-Hans`, `zh-Hant`,
    /// `zh` (Simplified), `zh-CN`, `zh-SG`, `zh-TW`, `zh-HK`, `zh-MO`, with `_`
    /// for `-` and any case, and a POSIX locale's encoding or modifier
    /// (`zh_TW.UTF-8`); `None` for a language tcpexplain does not speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag
            .split(['.', '@'])
            .next()
            .unwrap_or("")
            .replace('_', "-")
            .to_ascii_lowercase();
        let mut parts = tag.split('-');
        match parts.next()? {
            "en" | "c" | "posix" => Some(Lang::En),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
                Some(if traditional {
                    Lang::ZhHant
                } else {
                    Lang::ZhHans
                })
            }
            _ => None,
        }
    }

    /// The language the environment asks for, as POSIX orders it
    /// (`LC_ALL`, then `LC_MESSAGES`, then `LANG`; the first one set and not
    /// empty decides); English when it names another language.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] with the variables given by `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|value| !value.is_empty())
            .and_then(|value| Lang::from_tag(&value))
            .unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A language tag tcpexplain does not speak.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}` (tcpexplain speaks en, zh-Hans, zh-Hant; also zh, zh-CN, zh-TW)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(tag: &str) -> Result<Lang, UnknownLang> {
        Lang::from_tag(tag).ok_or_else(|| UnknownLang(tag.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn tags_and_locales_name_a_language() {
        for (tag, lang) in [
            ("en", Lang::En),
            ("en_US.UTF-8", Lang::En),
            ("C", Lang::En),
            ("zh", Lang::ZhHans),
            ("zh-Hans", Lang::ZhHans),
            ("zh-CN", Lang::ZhHans),
            ("zh_CN.UTF-8", Lang::ZhHans),
            ("zh-SG", Lang::ZhHans),
            ("zh-Hant", Lang::ZhHant),
            ("zh-TW", Lang::ZhHant),
            ("zh_TW.Big5", Lang::ZhHant),
            ("zh-HK", Lang::ZhHant),
            ("zh-Hant-TW", Lang::ZhHant),
        ] {
            assert_eq!(Lang::from_tag(tag), Some(lang), "{tag}");
        }
        assert_eq!(Lang::from_tag("fr_FR.UTF-8"), None);
        assert!("klingon".parse::<Lang>().is_err());
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }

    #[test]
    fn the_environment_is_read_as_posix_orders_it() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_string())
            }
        };
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
        assert_eq!(
            Lang::from_vars(env(&[("LANG", "zh_TW.UTF-8")])),
            Lang::ZhHant
        );
        assert_eq!(
            Lang::from_vars(env(&[
                ("LANG", "zh_TW.UTF-8"),
                ("LC_MESSAGES", "zh_CN.UTF-8")
            ])),
            Lang::ZhHans
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "zh_CN.UTF-8")])),
            Lang::En
        );
        // An empty variable does not decide; one naming another language gives English.
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "zh_CN")])),
            Lang::ZhHans
        );
        assert_eq!(Lang::from_vars(env(&[("LANG", "de_DE.UTF-8")])), Lang::En);
    }
}
