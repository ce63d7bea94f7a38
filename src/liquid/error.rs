//! Why a template does not parse or render, and where in it.

use std::fmt;

/// A place in a template, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The line and column of byte `offset` in `src` (columns count characters).
    pub fn of(src: &str, offset: usize) -> Position {
        let before = &src[..offset.min(src.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// What a template got wrong, for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub position: Option<Position>,
    pub message: String,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            position: None,
            message: message.into(),
        }
    }

    pub fn at(position: Position, message: impl Into<String>) -> Error {
        Error {
            position: Some(position),
            message: message.into(),
        }
    }

    /// Adds a position if the error has none yet.
    pub fn or_at(self, position: Position) -> Error {
        Error {
            position: self.position.or(Some(position)),
            ..self
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "line {}, column {}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}
