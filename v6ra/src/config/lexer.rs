//! The tokens of radvd.conf: words, quoted strings, braces and semicolons;
//! `#` starts a comment that runs to the end of the line.

use super::ConfigError;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword, name, number, address or prefix.
    Word,
    /// A double-quoted string (the quotes removed).
    Str,
    /// `{`.
    Open,
    /// `}`.
    Close,
    /// `;`.
    Semi,
}

/// A token and where it starts (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) text: String,
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// Whether `c` may be part of a word: names such as `eth0.10` or
/// `br-lan`, numbers such as `0.5`, addresses and prefixes.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.:/@%+".contains(c)
}

/// Splits `text` into tokens.
pub(crate) fn tokens(file: &str, text: &str) -> Result<Vec<Token>, ConfigError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let col = line[..i].chars().count() + 1;
            let token = |kind, text: String| Token {
                kind,
                text,
                line: n + 1,
                col,
            };
            match c {
                '#' => break,
                c if c.is_whitespace() => {}
                '{' => out.push(token(Kind::Open, "{".into())),
                '}' => out.push(token(Kind::Close, "}".into())),
                ';' => out.push(token(Kind::Semi, ";".into())),
                '"' => {
                    let mut s = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '"' {
                            closed = true;
                            break;
                        }
                        s.push(c);
                    }
                    if !closed {
                        return Err(ConfigError::new(
                            file,
                            n + 1,
                            col,
                            &line[i..],
                            "string is not closed on its line",
                        ));
                    }
                    out.push(token(Kind::Str, s));
                }
                c if is_word(c) => {
                    let mut s = String::from(c);
                    while let Some(&(_, c)) = chars.peek() {
                        if !is_word(c) {
                            break;
                        }
                        s.push(c);
                        chars.next();
                    }
                    out.push(token(Kind::Word, s));
                }
                other => {
                    return Err(ConfigError::new(
                        file,
                        n + 1,
                        col,
                        &other.to_string(),
                        "unexpected character",
                    ));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_punctuation_strings_and_comments() {
        let t = tokens(
            "f",
            "interface eth0.10 { # comment\n  AdvCaptivePortalAPI \"https://x/y z\";\n};",
        )
        .unwrap();
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "interface",
                "eth0.10",
                "{",
                "AdvCaptivePortalAPI",
                "https://x/y z",
                ";",
                "}",
                ";"
            ]
        );
        assert_eq!((t[3].line, t[3].col), (2, 3));
        assert_eq!(t[4].kind, Kind::Str);
    }

    #[test]
    fn unexpected_character_has_its_position() {
        let e = tokens("radvd.conf", "interface eth0 {\n  AdvSendAdvert on$;\n").unwrap_err();
        assert_eq!(e.to_string(), "radvd.conf:2:19: unexpected character: '$'");
    }
}
