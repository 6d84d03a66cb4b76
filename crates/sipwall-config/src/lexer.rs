//! Line splitting and tokenisation.
//!
//! IOS configuration is line-oriented: one command per line, words separated by blanks,
//! indentation without meaning. A line may start with a pasted prompt (`Device(config-if)#`,
//! `Router>`), which is stripped. A line whose first word starts with `!` is a comment.
//! A word starting with `"` runs to the next `"` so that a regular expression may contain blanks.
//!
//! Columns are 1-based character (not byte) columns of the line as written.

use crate::error::{ErrorKind, Location};
use crate::limits::{MAX_LINE_CHARS, MAX_TOKENS_PER_LINE};

/// One word of a command line, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// The word; for a quoted word, the text between the quotes.
    pub text: &'a str,
    /// Where the word (or its opening quote) starts.
    pub at: Location,
    /// Byte offset of the word (or its opening quote) in the line.
    pub start: usize,
}

impl Token<'_> {
    /// Case-insensitive keyword comparison (IOS keywords are case-insensitive; names are not).
    pub fn is(&self, keyword: &str) -> bool {
        self.text.eq_ignore_ascii_case(keyword)
    }
}

/// A tokenised command line.
#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    pub text: &'a str,
    pub number: u32,
    pub tokens: Vec<Token<'a>>,
}

impl<'a> Line<'a> {
    /// The text from token `index` to the end of the line, trailing blanks removed
    /// (used for `description`, which takes the rest of the line verbatim).
    pub fn rest_from(&self, index: usize) -> &'a str {
        match self.tokens.get(index) {
            Some(t) => self.text.get(t.start..).unwrap_or("").trim_end(),
            None => "",
        }
    }

    /// Location just past the last character of the line (for "missing argument" errors).
    pub fn end(&self) -> Location {
        let chars = self.text.trim_end().chars().count() as u32;
        Location::new(self.number, chars + 1)
    }
}

/// A lexing problem: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub at: Location,
    pub kind: ErrorKind,
    pub message: String,
}

/// Tokenise one line. Returns `Ok(None)` for blank lines, comments and bare prompts.
pub(crate) fn lex_line(text: &str, number: u32) -> Result<Option<Line<'_>>, LexError> {
    let char_count = text.chars().count();
    if char_count > MAX_LINE_CHARS {
        return Err(LexError {
            at: Location::new(number, MAX_LINE_CHARS as u32 + 1),
            kind: ErrorKind::Limit,
            message: format!("line is longer than {MAX_LINE_CHARS} characters"),
        });
    }
    // (byte offset, char column) walk.
    let mut tokens = Vec::new();
    let mut iter = text.char_indices().enumerate().peekable();
    let mut first = true;
    while let Some(&(_, (_, c))) = iter.peek() {
        if c.is_whitespace() {
            iter.next();
            continue;
        }
        let Some((col0, (start, c))) = iter.next() else {
            break;
        };
        let at = Location::new(number, col0 as u32 + 1);
        if tokens.is_empty() && c == '!' {
            return Ok(None);
        }
        let token = if c == '"' {
            // Quoted word: up to the next '"'.
            let body_start = start + 1;
            let mut end = None;
            for (_, (i, ch)) in iter.by_ref() {
                if ch == '"' {
                    end = Some(i);
                    break;
                }
            }
            let Some(end) = end else {
                return Err(LexError {
                    at,
                    kind: ErrorKind::InvalidValue,
                    message: "unterminated quoted string".to_string(),
                });
            };
            Token {
                text: text.get(body_start..end).unwrap_or(""),
                at,
                start,
            }
        } else {
            let mut end = text.len();
            while let Some(&(_, (i, ch))) = iter.peek() {
                if ch.is_whitespace() {
                    end = i;
                    break;
                }
                iter.next();
            }
            Token {
                text: text.get(start..end).unwrap_or(""),
                at,
                start,
            }
        };
        if first {
            first = false;
            // A pasted prompt: `Host#`, `Host>`, `Host(config-xyz)#` possibly glued to the command.
            if c != '"' {
                if let Some(len) = prompt_len(token.text) {
                    let rest = token.text.get(len..).unwrap_or("");
                    if rest.is_empty() {
                        continue;
                    }
                    let skipped = token.text.get(..len).map_or(0, |p| p.chars().count());
                    tokens.push(Token {
                        text: rest,
                        at: Location::new(number, at.col + skipped as u32),
                        start: start + len,
                    });
                    if rest.starts_with('!') {
                        return Ok(None);
                    }
                    continue;
                }
            }
        }
        if tokens.len() >= MAX_TOKENS_PER_LINE {
            return Err(LexError {
                at,
                kind: ErrorKind::Limit,
                message: format!("more than {MAX_TOKENS_PER_LINE} words on one line"),
            });
        }
        tokens.push(token);
    }
    if tokens.is_empty() {
        return Ok(None);
    }
    Ok(Some(Line {
        text,
        number,
        tokens,
    }))
}

/// Length in bytes of an IOS prompt at the start of `word`, if it starts with one:
/// `HOST` (letters, digits, `.`, `_`, `-`), optionally `(MODE)`, then `#` or `>`.
fn prompt_len(word: &str) -> Option<usize> {
    let bytes = word.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-' {
            i += 1;
        } else {
            break;
        }
    }
    if i == 0 {
        return None;
    }
    if bytes.get(i) == Some(&b'(') {
        i += 1;
        let mode_start = i;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_alphanumeric() || b == b'-' {
                i += 1;
            } else {
                break;
            }
        }
        if i == mode_start || bytes.get(i) != Some(&b')') {
            return None;
        }
        i += 1;
    }
    match bytes.get(i) {
        Some(b'#') | Some(b'>') => Some(i + 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, u32)> {
        match lex_line(text, 1) {
            Ok(Some(line)) => line
                .tokens
                .iter()
                .map(|t| (t.text.to_string(), t.at.col))
                .collect(),
            Ok(None) => Vec::new(),
            Err(e) => panic!("lex error {e:?}"),
        }
    }

    #[test]
    fn splits_words_with_columns() {
        assert_eq!(
            words("  match protocol\tsip"),
            vec![
                ("match".into(), 3),
                ("protocol".into(), 9),
                ("sip".into(), 18)
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines() {
        assert!(words("!").is_empty());
        assert!(words("   ! a comment").is_empty());
        assert!(words("").is_empty());
        assert!(words("   \t ").is_empty());
        assert!(words("Device(config)#").is_empty());
        assert!(words("Device(config)# !").is_empty());
    }

    #[test]
    fn strips_prompts() {
        assert_eq!(
            words("Router(config-pmap-c)# inspect"),
            vec![("inspect".into(), 24)]
        );
        assert_eq!(words("Device> enable"), vec![("enable".into(), 9)]);
        assert_eq!(
            words("Device#configure terminal"),
            vec![("configure".into(), 8), ("terminal".into(), 18)]
        );
        // Not a prompt: no '#' or '>'.
        assert_eq!(words("inspect"), vec![("inspect".into(), 1)]);
    }

    #[test]
    fn quoted_words_and_unicode_columns() {
        assert_eq!(
            words("é match caller regex \"a b\" x"),
            vec![
                ("é".into(), 1),
                ("match".into(), 3),
                ("caller".into(), 9),
                ("regex".into(), 16),
                ("a b".into(), 22),
                ("x".into(), 28)
            ]
        );
        let err = lex_line("match caller regex \"abc", 7).unwrap_err();
        assert_eq!(err.at, Location::new(7, 20));
    }

    #[test]
    fn limits() {
        let long = "a".repeat(MAX_LINE_CHARS + 1);
        assert_eq!(lex_line(&long, 1).unwrap_err().kind, ErrorKind::Limit);
        let many = "a ".repeat(MAX_TOKENS_PER_LINE + 1);
        assert_eq!(lex_line(&many, 1).unwrap_err().kind, ErrorKind::Limit);
    }

    #[test]
    fn rest_of_line() {
        let line = lex_line("  description  Uplink to ISP  ", 1)
            .unwrap()
            .unwrap();
        assert_eq!(line.rest_from(1), "Uplink to ISP");
        assert_eq!(line.rest_from(5), "");
    }
}
