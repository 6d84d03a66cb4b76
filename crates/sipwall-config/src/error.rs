//! Errors and warnings, each pointing at `FILE:LINE:COL` (both 1-based; the column counts
//! characters, not bytes, of the line as written — including any pasted prompt).

use std::fmt;

use serde::Serialize;

/// A position in the configuration text: 1-based line and 1-based character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Location {
    pub line: u32,
    pub col: u32,
}

impl Location {
    pub const fn new(line: u32, col: u32) -> Self {
        Location { line, col }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// What class of problem a [`ConfigError`] is, for programs that want to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The text exceeds a size limit (file size, line length, tokens, object count).
    Limit,
    /// The text is not UTF-8.
    Encoding,
    /// A command that is valid in no mode on the current mode stack.
    UnknownCommand,
    /// A known command missing a required argument.
    MissingArgument,
    /// A known command with an argument too many or a wrong keyword.
    UnexpectedArgument,
    /// A number, name or keyword argument out of its range or syntax.
    InvalidValue,
    /// A regular expression that does not compile.
    InvalidRegex,
    /// An IP address, mask or prefix that is malformed or inconsistent.
    InvalidAddress,
    /// `match protocol` with a protocol name sipwall does not know.
    UnknownProtocol,
    /// A reference to an object (class-map, policy-map, zone, ...) that is not defined.
    Undefined,
    /// Two definitions that clash (e.g. two zone-pairs for the same zones).
    Conflict,
    /// `match class-map` nesting that loops back or nests too deep.
    Cycle,
}

/// One configuration error. `Display` renders `FILE:LINE:COL: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file}:{}:{}: {message}", at.line, at.col)]
pub struct ConfigError {
    pub file: String,
    pub at: Location,
    pub kind: ErrorKind,
    pub message: String,
}

/// What a [`Warning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// An accepted alias or IOS spelling that sipwall reads differently than written.
    Alias,
    /// A command accepted and ignored (e.g. `shutdown`).
    Ignored,
    /// A configuration that loads but probably does not do what was meant.
    Suspicious,
    /// Interface subnets overlap.
    Overlap,
}

/// A non-fatal remark about the configuration. `Display` renders `FILE:LINE:COL: warning: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub file: String,
    pub at: Location,
    pub kind: WarningKind,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: warning: {}",
            self.file, self.at.line, self.at.col, self.message
        )
    }
}
