//! Errors. Low-level parsers return [`Bad`] (what is wrong, no location); the functions that
//! know the file and archive member turn it into an [`Error`] with [`Bad::at`].

use std::fmt;
use std::io;

/// What a parser found wrong, before the file and member are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad(pub String);

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result of a low-level parser.
pub type PResult<T> = std::result::Result<T, Bad>;

/// Builds a [`Bad`] from format arguments.
#[macro_export]
macro_rules! bad {
    ($($arg:tt)*) => { $crate::error::Bad(format!($($arg)*)) };
}

impl Bad {
    /// Places this problem in a file (and archive member), as a malformed-input error.
    pub fn at(self, path: &str, member: Option<&str>) -> Error {
        Error::Malformed { path: path.to_string(), member: member.map(str::to_string), what: self.0 }
    }
}

/// Every error libwrap returns. Each carries the file (and archive member) it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused an operation on a path.
    #[error("{path}: {}", io_message(source))]
    Io {
        /// The file the operation was about.
        path: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The input is not in the format it claims to be, or is truncated or corrupt.
    #[error("{}: {what}", location(path, member.as_deref()))]
    Malformed {
        /// The file.
        path: String,
        /// The archive member, if the input is inside an archive.
        member: Option<String>,
        /// What is wrong.
        what: String,
    },
    /// The input is well formed but asks for something tl does not do.
    #[error("{}: {what}", location(path, member.as_deref()))]
    Unsupported {
        /// The file.
        path: String,
        /// The archive member, if any.
        member: Option<String>,
        /// What is not supported.
        what: String,
    },
    /// A link cannot be done: duplicate definitions, missing inputs, incompatible inputs. Each
    /// message is complete (GNU ld's wording where it has one).
    #[error("{}", messages.join("\n"))]
    Link {
        /// The messages, in order.
        messages: Vec<String>,
    },
    /// A complete message that names no file (GNU's fatal errors about the command, e.g.
    /// "redefining symbols does not work on LTO-compiled object files").
    #[error("{0}")]
    Message(String),
    /// The file's format is not one tl reads at all.
    #[error("{}: file format not recognized", location(path, member.as_deref()))]
    NotRecognized {
        /// The file.
        path: String,
        /// The archive member, if any.
        member: Option<String>,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<String>, source: io::Error) -> Error {
        Error::Io { path: path.into(), source }
    }

    /// An "unsupported" error on `path`.
    pub fn unsupported(path: impl Into<String>, what: impl Into<String>) -> Error {
        Error::Unsupported { path: path.into(), member: None, what: what.into() }
    }

    /// A malformed-input error on `path`.
    pub fn malformed(path: impl Into<String>, what: impl Into<String>) -> Error {
        Error::Malformed { path: path.into(), member: None, what: what.into() }
    }

    /// The message without the location (for tools that format the location themselves).
    pub fn what(&self) -> String {
        match self {
            Error::Io { source, .. } => io_message(source),
            Error::Malformed { what, .. } | Error::Unsupported { what, .. } => what.clone(),
            Error::NotRecognized { .. } => "file format not recognized".to_string(),
            Error::Link { messages } => messages.join("\n"),
            Error::Message(m) => m.clone(),
        }
    }

    /// Attaches an archive member name when the error does not carry one yet.
    pub fn in_member(self, archive: &str, name: &str) -> Error {
        match self {
            Error::Malformed { member: None, what, .. } => {
                Error::Malformed { path: archive.to_string(), member: Some(name.to_string()), what }
            }
            Error::Unsupported { member: None, what, .. } => {
                Error::Unsupported { path: archive.to_string(), member: Some(name.to_string()), what }
            }
            Error::NotRecognized { member: None, .. } => Error::NotRecognized { path: archive.to_string(), member: Some(name.to_string()) },
            other => other,
        }
    }
}

/// `file` or `archive(member)`, the way GNU binutils name a location.
pub fn location(path: &str, member: Option<&str>) -> String {
    match member {
        Some(m) => format!("{path}({m})"),
        None => path.to_string(),
    }
}

/// The text of an I/O error as the C library prints it (`No such file or directory`), without
/// Rust's ` (os error N)` suffix.
pub fn io_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Result with libwrap's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
