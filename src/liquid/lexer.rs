//! Splits a template into text, `{{ output }}` and `{% tag %}` pieces, applying
//! whitespace control (`{{-`, `-%}`) and reading `raw` and `comment` bodies as-is.

use super::error::{Error, Position};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token<'a> {
    Text(&'a str),
    /// The expression between `{{` and `}}`, and where it starts.
    Output(&'a str, usize),
    /// A tag's name, its arguments, and where the tag starts.
    Tag(&'a str, &'a str, usize),
}

/// A token with the whitespace control on either side of it.
struct Marked<'a> {
    token: Option<Token<'a>>,
    trim_before: bool,
    trim_after: bool,
}

pub(super) fn lex(src: &str) -> Result<Vec<Token<'_>>, Error> {
    let mut marked: Vec<Marked<'_>> = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let Some(open) = find_open(src, pos) else {
            marked.push(text(&src[pos..]));
            break;
        };
        if open > pos {
            marked.push(text(&src[pos..open]));
        }
        let is_output = src[open..].starts_with("{{");
        let close = if is_output { "}}" } else { "%}" };
        let inner_start = open + 2;
        let end = src[inner_start..]
            .find(close)
            .map(|i| inner_start + i)
            .ok_or_else(|| {
                Error::at(
                    Position::of(src, open),
                    if is_output {
                        "`{{` is never closed with `}}`"
                    } else {
                        "`{%` is never closed with `%}`"
                    },
                )
            })?;
        let (inner, trim_before, trim_after) = trim_marks(&src[inner_start..end]);
        pos = end + 2;
        if is_output {
            marked.push(Marked {
                token: Some(Token::Output(inner.trim(), open)),
                trim_before,
                trim_after,
            });
            continue;
        }
        let inner = inner.trim();
        let (name, args) = match inner.find(|c: char| c.is_whitespace()) {
            Some(i) => (&inner[..i], inner[i..].trim()),
            None => (inner, ""),
        };
        match name {
            "raw" => {
                let (body, after, closing) = block_body(src, pos, "raw", open)?;
                marked.push(Marked {
                    token: None,
                    trim_before,
                    trim_after,
                });
                marked.push(Marked {
                    token: Some(Token::Text(body)),
                    trim_before: false,
                    trim_after: false,
                });
                marked.push(closing);
                pos = after;
            }
            "comment" => {
                let (_, after, closing) = block_body(src, pos, "comment", open)?;
                marked.push(Marked {
                    token: None,
                    trim_before,
                    trim_after: closing.trim_after,
                });
                pos = after;
            }
            _ if name.starts_with('#') => marked.push(Marked {
                token: None,
                trim_before,
                trim_after,
            }),
            _ => marked.push(Marked {
                token: Some(Token::Tag(name, args, open)),
                trim_before,
                trim_after,
            }),
        }
    }
    Ok(apply_whitespace_control(marked))
}

fn text(s: &str) -> Marked<'_> {
    Marked {
        token: Some(Token::Text(s)),
        trim_before: false,
        trim_after: false,
    }
}

/// The next `{{` or `{%` at or after `from`.
fn find_open(src: &str, from: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = from;
    while let Some(off) = src[i..].find('{') {
        let at = i + off;
        match bytes.get(at + 1) {
            Some(b'{') | Some(b'%') => return Some(at),
            _ => i = at + 1,
        }
    }
    None
}

/// `-x-` → (`x`, true, true).
fn trim_marks(inner: &str) -> (&str, bool, bool) {
    let trim_before = inner.starts_with('-');
    let inner = if trim_before { &inner[1..] } else { inner };
    let trim_after = inner.ends_with('-');
    let inner = if trim_after {
        &inner[..inner.len() - 1]
    } else {
        inner
    };
    (inner, trim_before, trim_after)
}

/// The text of a `raw` or `comment` block up to its closing tag (comments nest),
/// where reading resumes, and the closing tag's whitespace control.
fn block_body<'a>(
    src: &'a str,
    from: usize,
    kind: &str,
    open: usize,
) -> Result<(&'a str, usize, Marked<'a>), Error> {
    let end_name = format!("end{kind}");
    let mut depth = 1;
    let mut pos = from;
    while let Some(start) = src[pos..].find("{%").map(|i| pos + i) {
        let Some(end) = src[start + 2..].find("%}").map(|i| start + 2 + i) else {
            break;
        };
        let (inner, trim_before, trim_after) = trim_marks(&src[start + 2..end]);
        let name = inner.split_whitespace().next().unwrap_or("");
        if kind == "comment" && name == "comment" {
            depth += 1;
        } else if name == end_name {
            depth -= 1;
            if depth == 0 {
                let closing = Marked {
                    token: None,
                    trim_before,
                    trim_after,
                };
                return Ok((&src[from..start], end + 2, closing));
            }
        }
        pos = end + 2;
    }
    Err(Error::at(
        Position::of(src, open),
        format!("`{{% {kind} %}}` is never closed with `{{% {end_name} %}}`"),
    ))
}

fn apply_whitespace_control(mut marked: Vec<Marked<'_>>) -> Vec<Token<'_>> {
    for i in 0..marked.len() {
        if marked[i].trim_before && i > 0 {
            if let Some(Token::Text(t)) = &mut marked[i - 1].token {
                *t = t.trim_end();
            }
        }
        if marked[i].trim_after && i + 1 < marked.len() {
            if let Some(Token::Text(t)) = &mut marked[i + 1].token {
                *t = t.trim_start();
            }
        }
    }
    marked
        .into_iter()
        .filter_map(|m| m.token)
        .filter(|t| !matches!(t, Token::Text("")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_outputs_and_tags() {
        let tokens = lex("Hi {{ name }}!{% if x %}y{% endif %}").expect("lexes");
        assert_eq!(
            tokens,
            vec![
                Token::Text("Hi "),
                Token::Output("name", 3),
                Token::Text("!"),
                Token::Tag("if", "x", 14),
                Token::Text("y"),
                Token::Tag("endif", "", 25),
            ]
        );
    }

    #[test]
    fn dashes_trim_the_whitespace_beside_them() {
        let tokens = lex("a \n {{- b -}} \n c").expect("lexes");
        assert_eq!(
            tokens,
            vec![Token::Text("a"), Token::Output("b", 4), Token::Text("c")]
        );
    }

    #[test]
    fn raw_and_comment_bodies_are_not_read_as_tags() {
        let tokens = lex("{% raw %}{{ x }}{% endraw %}{% comment %}{% if x %}{% comment %}{% endcomment %}{% endcomment %}z")
            .expect("lexes");
        assert_eq!(tokens, vec![Token::Text("{{ x }}"), Token::Text("z")]);
    }

    #[test]
    fn unclosed_markers_name_their_position() {
        let e = lex("ab\n  {{ x").expect_err("unclosed");
        assert_eq!(
            e.to_string(),
            "line 2, column 3: `{{` is never closed with `}}`"
        );
        assert!(lex("{% raw %}x").is_err());
        assert!(lex("{% comment %}x{% comment %}{% endcomment %}").is_err());
    }
}
