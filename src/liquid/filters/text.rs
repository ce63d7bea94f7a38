//! String filters. Those that can multiply their input (`replace`, `append`...)
//! check the answer's size before building it.

use super::{items, range_len, Call};
use crate::liquid::error::Error;
use crate::liquid::value::{Number, Value};

pub(super) fn text(s: String) -> Result<Value, Error> {
    Ok(Value::from(s))
}

pub(super) fn append(c: &Call<'_>) -> Result<Value, Error> {
    let (a, b) = (c.input_text(), c.text_arg(0));
    c.check_len(a.len().saturating_add(b.len()))?;
    text(a + &b)
}

pub(super) fn prepend(c: &Call<'_>) -> Result<Value, Error> {
    let (a, b) = (c.input_text(), c.text_arg(0));
    c.check_len(a.len().saturating_add(b.len()))?;
    text(b + &a)
}

pub(super) fn capitalize(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text();
    let mut chars = s.chars();
    text(match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    })
}

pub(super) fn downcase(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().to_lowercase())
}

pub(super) fn upcase(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().to_uppercase())
}

fn html_escape(s: &str, once: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.char_indices() {
        match ch {
            '&' if once && is_entity(&s[i..]) => out.push('&'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Whether `s` starts with an HTML entity such as `&amp;` or `&#39;`.
fn is_entity(s: &str) -> bool {
    // Entities are short: look no further than 32 bytes, or `&&&&...` is quadratic.
    let Some(end) = s.bytes().take(33).position(|b| b == b';') else {
        return false;
    };
    let body = &s[1..end];
    match body.strip_prefix('#') {
        Some(num) => match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            None => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
        },
        None => !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric()),
    }
}

pub(super) fn escape(c: &Call<'_>) -> Result<Value, Error> {
    text(html_escape(&c.input_text(), false))
}

pub(super) fn escape_once(c: &Call<'_>) -> Result<Value, Error> {
    text(html_escape(&c.input_text(), true))
}

pub(super) fn url_encode(c: &Call<'_>) -> Result<Value, Error> {
    text(form_urlencoded::byte_serialize(c.input_text().as_bytes()).collect())
}

pub(super) fn url_decode(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text();
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    text(String::from_utf8_lossy(&out).into_owned())
}

pub(super) fn lstrip(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().trim_start().to_owned())
}

pub(super) fn rstrip(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().trim_end().to_owned())
}

pub(super) fn strip(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().trim().to_owned())
}

pub(super) fn strip_newlines(c: &Call<'_>) -> Result<Value, Error> {
    text(c.input_text().replace(['\r', '\n'], ""))
}

pub(super) fn newline_to_br(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text().replace("\r\n", "\n");
    c.check_len(
        s.len()
            .saturating_add(s.matches('\n').count().saturating_mul(6)),
    )?;
    text(s.replace('\n', "<br />\n"))
}

/// Removes `<script>` and `<style>` elements, comments, then every other tag.
/// Linear: once a kind of tag has no end left in the text, it is not looked for
/// again (else 60 KB of `<script` took a second).
pub(super) fn strip_html(c: &Call<'_>) -> Result<Value, Error> {
    const KINDS: [(&str, &str); 4] = [
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<!--", "-->"),
        ("<", ">"),
    ];
    let s = c.input_text();
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut unclosed = [false; 4];
    let mut i = 0;
    while i < s.len() {
        let rest = &lower[i..];
        let mut skip = None;
        // The first kind that opens here and still has an end somewhere after.
        for (k, (open, close)) in KINDS.iter().enumerate() {
            if unclosed[k] || !rest.starts_with(open) {
                continue;
            }
            skip = rest.find(close).map(|e| e + close.len());
            unclosed[k] = skip.is_none();
            if skip.is_some() {
                break;
            }
        }
        match skip {
            Some(n) => i += n,
            None => {
                let ch = s[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    text(out)
}

/// `s` with matches of `from` replaced by `to`: every match, or only the first or
/// last; the answer's size is checked before it is built.
fn substitute(c: &Call<'_>, from: &str, to: &str, which: Which) -> Result<Value, Error> {
    let s = c.input_text();
    if from.is_empty() {
        // Liquid matches the empty string between every character.
        return match which {
            Which::All => {
                let n = s.chars().count().saturating_add(1);
                c.check_len(s.len().saturating_add(n.saturating_mul(to.len())))?;
                let mut out = String::from(to);
                for ch in s.chars() {
                    out.push(ch);
                    out.push_str(to);
                }
                text(out)
            }
            Which::First => {
                c.check_len(s.len().saturating_add(to.len()))?;
                text(format!("{to}{s}"))
            }
            Which::Last => {
                c.check_len(s.len().saturating_add(to.len()))?;
                text(format!("{s}{to}"))
            }
        };
    }
    match which {
        Which::All => {
            let n = s.matches(from).count();
            let grown = to.len().saturating_sub(from.len()).saturating_mul(n);
            c.check_len(s.len().saturating_add(grown))?;
            text(s.replace(from, to))
        }
        Which::First => {
            c.check_len(s.len().saturating_add(to.len()))?;
            text(s.replacen(from, to, 1))
        }
        Which::Last => {
            c.check_len(s.len().saturating_add(to.len()))?;
            text(match s.rfind(from) {
                Some(i) => format!("{}{to}{}", &s[..i], &s[i + from.len()..]),
                None => s,
            })
        }
    }
}

#[derive(Clone, Copy)]
enum Which {
    All,
    First,
    Last,
}

pub(super) fn remove(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), "", Which::All)
}

pub(super) fn remove_first(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), "", Which::First)
}

pub(super) fn remove_last(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), "", Which::Last)
}

pub(super) fn replace(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), &c.text_arg(1), Which::All)
}

pub(super) fn replace_first(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), &c.text_arg(1), Which::First)
}

pub(super) fn replace_last(c: &Call<'_>) -> Result<Value, Error> {
    substitute(c, &c.text_arg(0), &c.text_arg(1), Which::Last)
}

/// Splits on a string; `" "` splits on runs of whitespace and the empty string
/// into characters; trailing empty pieces are dropped, as Ruby's `split` does.
pub(super) fn split(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text();
    let sep = c.text_arg(0);
    let mut parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|ch| Value::from(ch.to_string())).collect()
    } else if sep == " " {
        s.split_whitespace().map(Value::from).collect()
    } else {
        s.split(sep.as_str()).map(Value::from).collect()
    };
    while matches!(parts.last(), Some(Value::Str(p)) if p.is_empty()) {
        parts.pop();
    }
    Ok(Value::array(parts))
}

fn int_arg(c: &Call<'_>, i: usize, default: i64) -> i64 {
    match c.arg(i).map(Value::to_number) {
        Some(Number::Int(n)) => n,
        Some(Number::Float(f)) => whole_i64(f),
        None => default,
    }
}

pub(super) fn whole_i64(f: f64) -> i64 {
    if f.is_nan() {
        0
    } else {
        f.clamp(i64::MIN as f64, i64::MAX as f64) as i64
    }
}

pub(super) fn truncate(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text();
    let length = usize::try_from(int_arg(c, 0, 50).max(0)).unwrap_or(usize::MAX);
    let ellipsis = c.arg(1).map_or_else(|| "...".to_owned(), Value::render);
    if s.chars().count() <= length {
        return text(s);
    }
    let keep = length.saturating_sub(ellipsis.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    c.check_len(out.len().saturating_add(ellipsis.len()))?;
    out.push_str(&ellipsis);
    text(out)
}

pub(super) fn truncatewords(c: &Call<'_>) -> Result<Value, Error> {
    let s = c.input_text();
    let words = usize::try_from(int_arg(c, 0, 15).max(1)).unwrap_or(usize::MAX);
    let ellipsis = c.arg(1).map_or_else(|| "...".to_owned(), Value::render);
    let all: Vec<&str> = s.split_whitespace().collect();
    if all.len() <= words {
        return text(s);
    }
    let mut out = all[..words].join(" ");
    c.check_len(out.len().saturating_add(ellipsis.len()))?;
    out.push_str(&ellipsis);
    text(out)
}

/// `offset` (negative counts from the end) and `length`, clamped to what exists.
fn window(len: usize, offset: i64, length: i64) -> (usize, usize) {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let start = if offset < 0 {
        len_i.saturating_add(offset).max(0)
    } else {
        offset.min(len_i)
    };
    let end = start.saturating_add(length.max(0)).min(len_i);
    (start as usize, end as usize)
}

pub(super) fn slice(c: &Call<'_>) -> Result<Value, Error> {
    let offset = int_arg(c, 0, 0);
    let length = int_arg(c, 1, 1);
    match c.input {
        Value::Array(_) | Value::Range(..) => {
            let items = items(c.input, c.env.max_array)?;
            let (a, b) = window(items.len(), offset, length);
            Ok(Value::array(items[a..b].to_vec()))
        }
        _ => {
            let chars: Vec<char> = c.input_text().chars().collect();
            let (a, b) = window(chars.len(), offset, length);
            text(chars[a..b].iter().collect())
        }
    }
}

pub(super) fn size(c: &Call<'_>) -> Result<Value, Error> {
    Ok(Value::Int(match c.input {
        Value::Str(s) => i64::try_from(s.chars().count()).unwrap_or(i64::MAX),
        Value::Array(a) => i64::try_from(a.len()).unwrap_or(i64::MAX),
        Value::Object(o) => i64::try_from(o.len()).unwrap_or(i64::MAX),
        Value::Range(a, b) => i64::try_from(range_len(*a, *b)).unwrap_or(i64::MAX),
        Value::Int(_) | Value::Float(_) => {
            i64::try_from(c.input.render().chars().count()).unwrap_or(0)
        }
        _ => 0,
    }))
}

pub(super) fn default(c: &Call<'_>) -> Result<Value, Error> {
    let allow_false = c.keyword("allow_false").is_some_and(Value::is_truthy);
    let use_default = match c.input {
        Value::Nil | Value::Empty | Value::Blank => true,
        Value::Bool(false) => !allow_false,
        Value::Str(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    Ok(if use_default {
        c.arg(0).cloned().unwrap_or_default()
    } else {
        c.input.clone()
    })
}
