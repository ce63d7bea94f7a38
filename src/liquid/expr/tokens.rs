//! The tokens of one expression: words, strings, numbers and punctuation.

use super::CmpOp;
use crate::liquid::error::Error;
use crate::liquid::value::{parse_number, Number};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Num(Number),
    Dot,
    DotDot,
    Pipe,
    Colon,
    Comma,
    Assign,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Cmp(CmpOp),
}

pub(super) fn describe(t: Option<&Tok<'_>>) -> String {
    match t {
        None => "the end".into(),
        Some(Tok::Ident(s)) => format!("`{s}`"),
        Some(Tok::Str(s)) => format!("the string \"{s}\""),
        Some(Tok::Num(n)) => format!("the number {}", n.into_value().render()),
        Some(Tok::Dot) => "`.`".into(),
        Some(Tok::DotDot) => "`..`".into(),
        Some(Tok::Pipe) => "`|`".into(),
        Some(Tok::Colon) => "`:`".into(),
        Some(Tok::Comma) => "`,`".into(),
        Some(Tok::Assign) => "`=`".into(),
        Some(Tok::LBracket) => "`[`".into(),
        Some(Tok::RBracket) => "`]`".into(),
        Some(Tok::LParen) => "`(`".into(),
        Some(Tok::RParen) => "`)`".into(),
        Some(Tok::Cmp(_)) => "a comparison".into(),
    }
}

pub(super) fn tokenize(src: &str) -> Result<Vec<Tok<'_>>, Error> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let two = bytes.get(i..i + 2);
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' | b'"' => {
                let end = src[i + 1..]
                    .find(b as char)
                    .ok_or_else(|| Error::new("a string is never closed"))?;
                out.push(Tok::Str(&src[i + 1..i + 1 + end]));
                i += end + 2;
            }
            b'0'..=b'9' | b'-' if b != b'-' || bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                let number = parse_number(&src[start..i])
                    .ok_or_else(|| Error::new(format!("`{}` is not a number", &src[start..i])))?;
                out.push(Tok::Num(number));
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
                {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'?') {
                    i += 1;
                }
                let word = &src[start..i];
                out.push(if word == "contains" {
                    Tok::Cmp(CmpOp::Contains)
                } else {
                    Tok::Ident(word)
                });
            }
            _ => {
                let (tok, len) = match (b, two) {
                    (_, Some(b"..")) => (Tok::DotDot, 2),
                    (_, Some(b"==")) => (Tok::Cmp(CmpOp::Eq), 2),
                    (_, Some(b"!=")) | (_, Some(b"<>")) => (Tok::Cmp(CmpOp::Ne), 2),
                    (_, Some(b"<=")) => (Tok::Cmp(CmpOp::Le), 2),
                    (_, Some(b">=")) => (Tok::Cmp(CmpOp::Ge), 2),
                    (b'<', _) => (Tok::Cmp(CmpOp::Lt), 1),
                    (b'>', _) => (Tok::Cmp(CmpOp::Gt), 1),
                    (b'.', _) => (Tok::Dot, 1),
                    (b'|', _) => (Tok::Pipe, 1),
                    (b':', _) => (Tok::Colon, 1),
                    (b',', _) => (Tok::Comma, 1),
                    (b'=', _) => (Tok::Assign, 1),
                    (b'[', _) => (Tok::LBracket, 1),
                    (b']', _) => (Tok::RBracket, 1),
                    (b'(', _) => (Tok::LParen, 1),
                    (b')', _) => (Tok::RParen, 1),
                    _ => {
                        let c = src[i..].chars().next().unwrap_or('?');
                        return Err(Error::new(format!("unexpected character `{c}`")));
                    }
                };
                out.push(tok);
                i += len;
            }
        }
    }
    Ok(out)
}
