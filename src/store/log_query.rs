//! Compiles the `q` parameter of `GET /api/v2/logs` (Auth0's Lucene subset) into a
//! SQLite WHERE fragment over `log_events`. User text only ever reaches SQL as a bind;
//! field names come from a whitelist and `details.` paths are checked character by character.

use time::{format_description::well_known::Rfc3339, Date, Month, OffsetDateTime};

const MAX_LEN: usize = 2000;
const MAX_DEPTH: usize = 16;
const MAX_TERMS: usize = 64;
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// A compiled search: SQL text with `?` exactly where its binds go, in order.
/// Built only here, so no caller's text reaches the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    sql: String,
    binds: Vec<Bind>,
}

impl Where {
    /// The same search, narrowed to one user's events.
    pub fn and_user_id(self, user_id: &str) -> Where {
        Where {
            sql: format!("user_id = ? AND ({})", self.sql),
            binds: std::iter::once(Bind::Text(user_id.to_owned()))
                .chain(self.binds)
                .collect(),
        }
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn binds(&self) -> &[Bind] {
        &self.binds
    }
}

/// Messages are written to follow "The search query string has an error: ".
/// Positions are 0-based character offsets into `q`.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("the query is {len} bytes long; at most {MAX_LEN} are allowed")]
    TooLong { len: usize },
    #[error("parentheses nest deeper than {MAX_DEPTH} levels at position {pos}")]
    TooDeep { pos: usize },
    #[error("more than {MAX_TERMS} terms (the one at position {pos} is too many)")]
    TooManyTerms { pos: usize },
    #[error("unknown field '{field}' at position {pos}")]
    UnknownField { field: String, pos: usize },
    #[error(
        "bad details field '{field}' at position {pos}: write details.<name>[.<name>...] with names of letters, digits and '_'"
    )]
    BadDetailsPath { field: String, pos: usize },
    #[error("term '{term}' at position {pos} has no field; write field:value")]
    MissingField { term: String, pos: usize },
    #[error(
        "'{word}' at position {pos} is not an operator; operators are uppercase: AND, OR, NOT"
    )]
    LowercaseOperator { word: String, pos: usize },
    #[error("expected a value after '{field}:' at position {pos}")]
    MissingValue { field: String, pos: usize },
    #[error("wildcard term '{term}' needs at least 3 characters besides '*' (at position {pos})")]
    ShortWildcard { term: String, pos: usize },
    #[error(
        "wildcard '{term}' at position {pos} is not allowed on date; use a range such as date:[2026-01-01 TO 2026-02-01}}"
    )]
    DateWildcard { term: String, pos: usize },
    #[error("'{value}' is not a date (YYYY-MM-DD or RFC 3339) in {place} at position {pos}")]
    BadDate {
        value: String,
        place: &'static str,
        pos: usize,
    },
    #[error("unbalanced '{ch}' at position {pos}")]
    Unbalanced { ch: char, pos: usize },
    #[error("unterminated quote at position {pos}")]
    UnterminatedQuote { pos: usize },
    #[error("unterminated range starting at position {pos}; write [from TO to]")]
    UnterminatedRange { pos: usize },
    #[error(
        "in the range at position {range_pos}: expected {expected}, found {found} at position {pos}"
    )]
    BadRange {
        range_pos: usize,
        expected: &'static str,
        found: String,
        pos: usize,
    },
    #[error("unexpected {found} at position {pos}")]
    Unexpected { found: String, pos: usize },
}

type Result<T> = std::result::Result<T, QueryError>;

// ---------------------------------------------------------------- tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    And,
    Or,
    Not,
    Minus,
    To,
    Word(String),
    Quoted(String),
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    text: String,
    start: usize, // character offsets, so `end == next.start` means "no space between"
    end: usize,
}

fn describe(t: &Token) -> String {
    match t.tok {
        Tok::Eof => "end of query".into(),
        _ => format!("'{}'", t.text),
    }
}

fn is_delim(c: char) -> bool {
    c.is_whitespace() || "()[]{}\"".contains(c)
}

fn tokenize(q: &str) -> Result<Vec<Token>> {
    let cs: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // `-` negates only where a term may begin, so `a-b` and `[-5 TO 5]` stay words.
    let mut term_start = true;
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            term_start = true;
            continue;
        }
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '{' => Tok::LBrace,
            '}' => Tok::RBrace,
            '-' if term_start && cs.get(i + 1).is_some_and(|n| !n.is_whitespace()) => Tok::Minus,
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match cs.get(i) {
                        None => return Err(QueryError::UnterminatedQuote { pos: start }),
                        Some('"') => break,
                        Some('\\') => match cs.get(i + 1) {
                            None => return Err(QueryError::UnterminatedQuote { pos: start }),
                            Some(&e @ ('"' | '\\')) => {
                                s.push(e);
                                i += 1;
                            }
                            Some(_) => s.push('\\'), // unknown escape: keep it as typed
                        },
                        Some(&ch) => s.push(ch),
                    }
                    i += 1;
                }
                Tok::Quoted(s)
            }
            _ => {
                let mut j = i;
                while j < cs.len() && !is_delim(cs[j]) {
                    j += 1;
                }
                let w: String = cs[i..j].iter().collect();
                i = j - 1;
                match w.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    "TO" => Tok::To,
                    _ => Tok::Word(w),
                }
            }
        };
        i += 1;
        term_start = matches!(tok, Tok::LParen | Tok::Minus);
        let text = cs[start..i].iter().collect();
        out.push(Token {
            tok,
            text,
            start,
            end: i,
        });
    }
    let (text, n) = (String::new(), cs.len());
    out.push(Token {
        tok: Tok::Eof,
        text,
        start: n,
        end: n,
    });
    Ok(out)
}

// ---------------------------------------------------------------- AST

#[derive(Debug, Clone, PartialEq)]
enum Field {
    /// A real column; the flag says whether it can be NULL.
    Column(&'static str, bool),
    Date,
    /// A JSON path into `body`, only ever built from whitelisted characters.
    Json(String),
}

impl Field {
    fn sql(&self) -> String {
        match self {
            Field::Column(c, _) => (*c).to_string(),
            Field::Date => "date".into(),
            Field::Json(p) => format!("json_extract(body, '{p}')"),
        }
    }
    fn nullable(&self) -> bool {
        match self {
            Field::Column(_, n) => *n,
            Field::Date => false,
            Field::Json(_) => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Eq(Bind),
    Glob(String),
    Exists,
    /// Each bound is (value, inclusive); `None` is an open end.
    Range(Option<(Bind, bool)>, Option<(Bind, bool)>),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Term(Field, Test),
}

fn lookup_field(name: &str, pos: usize) -> Result<Field> {
    Ok(match name {
        "type" => Field::Column("type", false),
        "log_id" => Field::Column("log_id", false),
        "user_id" => Field::Column("user_id", true),
        "client_id" => Field::Column("client_id", true),
        "date" => Field::Date,
        "user_name" | "client_name" | "ip" | "description" | "connection" | "hostname"
        | "strategy" | "strategy_type" | "user_agent" => Field::Json(format!("$.{name}")),
        _ if name == "details" || name.starts_with("details.") => {
            let ok = name.strip_prefix("details.").is_some_and(|p| {
                p.split('.').all(|s| {
                    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
            });
            if !ok {
                let field = name.to_string();
                return Err(QueryError::BadDetailsPath { field, pos });
            }
            Field::Json(format!("$.{name}"))
        }
        _ => {
            let field = name.to_string();
            return Err(QueryError::UnknownField { field, pos });
        }
    })
}

/// Returns Unix ms and whether the text was a bare day (YYYY-MM-DD).
fn parse_date(s: &str) -> Option<(i64, bool)> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        // Checked digit by digit: str::parse would also take a sign.
        let num = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u16, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
        let day = Date::from_calendar_date(i32::from(y), month, u8::try_from(d).ok()?).ok()?;
        return Some((day.midnight().assume_utc().unix_timestamp() * 1000, true));
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    let ms = t.unix_timestamp_nanos().div_euclid(1_000_000);
    Some((i64::try_from(ms).ok()?, false))
}

fn glob_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            _ => out.push(c),
        }
    }
}

/// An unquoted value: `*` is a wildcard, the rest is literal.
fn bare_test(field: &Field, v: &str, pos: usize) -> Result<Test> {
    if !v.contains('*') {
        return exact_test(field, v, pos);
    }
    if v.chars().all(|c| c == '*') {
        return Ok(Test::Exists);
    }
    if *field == Field::Date {
        return Err(QueryError::DateWildcard {
            term: v.into(),
            pos,
        });
    }
    let trailing_only = !v.trim_end_matches('*').contains('*');
    if !trailing_only && v.chars().filter(|&c| c != '*').count() < 3 {
        return Err(QueryError::ShortWildcard {
            term: v.into(),
            pos,
        });
    }
    let mut pat = String::new();
    for (i, part) in v.split('*').enumerate() {
        if i > 0 && !pat.ends_with('*') {
            pat.push('*');
        }
        glob_escape(part, &mut pat);
    }
    Ok(Test::Glob(pat))
}

/// A quoted value (or an unquoted one without `*`): exact match; dates match their day or ms.
fn exact_test(field: &Field, v: &str, pos: usize) -> Result<Test> {
    if *field != Field::Date {
        return Ok(Test::Eq(Bind::Text(v.into())));
    }
    match parse_date(v) {
        Some((ms, true)) => Ok(Test::Range(
            Some((Bind::Int(ms), true)),
            Some((Bind::Int(ms + DAY_MS), false)),
        )),
        Some((ms, false)) => Ok(Test::Eq(Bind::Int(ms))),
        None => Err(QueryError::BadDate {
            value: v.into(),
            place: "date term",
            pos,
        }),
    }
}

// ---------------------------------------------------------------- parser

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.i += 1;
        }
        t
    }

    fn term(&mut self, field: Field, test: Test, pos: usize) -> Result<Node> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(QueryError::TooManyTerms { pos });
        }
        Ok(Node::Term(field, test))
    }

    /// `ctx` is the field of an enclosing `field:( ... )` value group.
    fn parse_or(&mut self, ctx: Option<&Field>) -> Result<Node> {
        let mut items = vec![self.parse_and(ctx)?];
        while self.peek().tok == Tok::Or {
            self.bump();
            items.push(self.parse_and(ctx)?);
        }
        Ok(one_or(items, Node::Or))
    }

    fn parse_and(&mut self, ctx: Option<&Field>) -> Result<Node> {
        let mut items = vec![self.parse_unary(ctx)?];
        loop {
            match self.peek().tok {
                Tok::Or | Tok::RParen | Tok::Eof => break,
                Tok::And => {
                    self.bump();
                }
                _ => {} // adjacency is an implicit AND
            }
            items.push(self.parse_unary(ctx)?);
        }
        Ok(one_or(items, Node::And))
    }

    fn parse_unary(&mut self, ctx: Option<&Field>) -> Result<Node> {
        // A loop, not recursion, so `NOT NOT NOT ...` cannot grow the stack.
        let mut negate = false;
        while matches!(self.peek().tok, Tok::Not | Tok::Minus) {
            self.bump();
            negate = !negate;
        }
        let n = self.parse_primary(ctx)?;
        Ok(if negate { Node::Not(Box::new(n)) } else { n })
    }

    fn parse_primary(&mut self, ctx: Option<&Field>) -> Result<Node> {
        let t = self.bump();
        let pos = t.start;
        match (&t.tok, ctx) {
            (Tok::LParen, _) => self.parse_paren(pos, ctx),
            (Tok::Word(w), None) => self.parse_field_term(w, pos, t.end),
            (Tok::Word(w), Some(f)) => {
                let test = bare_test(f, w, pos)?;
                self.term(f.clone(), test, pos)
            }
            (Tok::Quoted(s), Some(f)) => {
                let test = exact_test(f, s, pos)?;
                self.term(f.clone(), test, pos)
            }
            (Tok::LBracket | Tok::LBrace, Some(f)) => {
                self.parse_range(f.clone(), t.tok == Tok::LBracket, pos)
            }
            (Tok::Quoted(_), None) => Err(QueryError::MissingField { term: t.text, pos }),
            (Tok::RParen, _) if self.depth == 0 => Err(QueryError::Unbalanced { ch: ')', pos }),
            _ => Err(QueryError::Unexpected {
                found: describe(&t),
                pos,
            }),
        }
    }

    fn parse_paren(&mut self, open: usize, ctx: Option<&Field>) -> Result<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::TooDeep { pos: open });
        }
        let n = self.parse_or(ctx)?;
        // parse_or stops only at ')' or the end.
        if self.bump().tok != Tok::RParen {
            return Err(QueryError::Unbalanced { ch: '(', pos: open });
        }
        self.depth -= 1;
        Ok(n)
    }

    fn parse_field_term(&mut self, w: &str, start: usize, end: usize) -> Result<Node> {
        let Some((name, rest)) = w.split_once(':') else {
            let word = w.to_string();
            return Err(if matches!(w, "and" | "or" | "not") {
                QueryError::LowercaseOperator { word, pos: start }
            } else {
                QueryError::MissingField {
                    term: word,
                    pos: start,
                }
            });
        };
        if name.is_empty() {
            return Err(QueryError::MissingField {
                term: w.into(),
                pos: start,
            });
        }
        let field = lookup_field(name, start)?;
        if !rest.is_empty() {
            let test = bare_test(&field, rest, start + name.chars().count() + 1)?;
            return self.term(field, test, start);
        }
        // `field:` must be followed, without a space, by a quote, a group or a range.
        let missing = QueryError::MissingValue {
            field: name.into(),
            pos: end,
        };
        if self.peek().start != end {
            return Err(missing);
        }
        let next = self.peek().clone();
        match next.tok {
            Tok::Quoted(s) => {
                self.bump();
                let test = exact_test(&field, &s, next.start)?;
                self.term(field, test, start)
            }
            Tok::LParen => {
                self.bump();
                self.parse_paren(next.start, Some(&field))
            }
            Tok::LBracket | Tok::LBrace => {
                self.bump();
                self.parse_range(field, next.tok == Tok::LBracket, next.start)
            }
            _ => Err(missing),
        }
    }

    fn parse_range(&mut self, field: Field, lo_incl: bool, open: usize) -> Result<Node> {
        let lo = self.range_bound(&field, open)?;
        self.range_expect(open, "'TO'", |t| *t == Tok::To)?;
        let hi = self.range_bound(&field, open)?;
        let close = self.range_expect(open, "']' or '}'", |t| {
            matches!(t, Tok::RBracket | Tok::RBrace)
        })?;
        let hi_incl = close == Tok::RBracket;
        // A bare day as an inclusive upper bound takes in that whole day.
        let hi = match hi {
            Some((Bind::Int(ms), true)) if hi_incl => Some((Bind::Int(ms + DAY_MS), false)),
            other => other.map(|(b, _)| (b, hi_incl)),
        };
        let test = match (lo, hi) {
            (None, None) => Test::Exists,
            (lo, hi) => Test::Range(lo.map(|(b, _)| (b, lo_incl)), hi),
        };
        self.term(field, test, open)
    }

    fn range_expect(
        &mut self,
        open: usize,
        expected: &'static str,
        ok: fn(&Tok) -> bool,
    ) -> Result<Tok> {
        let t = self.bump();
        match t.tok {
            _ if ok(&t.tok) => Ok(t.tok),
            Tok::Eof => Err(QueryError::UnterminatedRange { pos: open }),
            _ => Err(bad_range(open, expected, &t)),
        }
    }

    /// `None` is the open end `*`; the flag says the bound was a bare day.
    fn range_bound(&mut self, field: &Field, open: usize) -> Result<Option<(Bind, bool)>> {
        let t = self.bump();
        let v = match t.tok {
            Tok::Word(w) if w == "*" => return Ok(None),
            Tok::Word(v) | Tok::Quoted(v) => v,
            Tok::Eof => return Err(QueryError::UnterminatedRange { pos: open }),
            _ => return Err(bad_range(open, "a bound value or '*'", &t)),
        };
        if *field != Field::Date {
            return Ok(Some((Bind::Text(v), false)));
        }
        match parse_date(&v) {
            Some((ms, day)) => Ok(Some((Bind::Int(ms), day))),
            None => Err(QueryError::BadDate {
                value: v,
                place: "date range",
                pos: t.start,
            }),
        }
    }
}

fn bad_range(range_pos: usize, expected: &'static str, t: &Token) -> QueryError {
    QueryError::BadRange {
        range_pos,
        expected,
        found: describe(t),
        pos: t.start,
    }
}

fn one_or(mut items: Vec<Node>, wrap: fn(Vec<Node>) -> Node) -> Node {
    if items.len() == 1 {
        items.remove(0)
    } else {
        wrap(items)
    }
}

// ---------------------------------------------------------------- compiler

/// Returns the SQL and whether it can evaluate to NULL. Every output either starts with
/// '(' and is wrapped whole, or is a single comparison, so NOT can wrap it safely.
fn emit(n: &Node, binds: &mut Vec<Bind>) -> (String, bool) {
    match n {
        Node::And(v) | Node::Or(v) => {
            let op = if matches!(n, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let mut nullable = false;
            let parts: Vec<String> = v
                .iter()
                .map(|c| {
                    let (s, nl) = emit(c, binds);
                    nullable |= nl;
                    s
                })
                .collect();
            (format!("({})", parts.join(op)), nullable)
        }
        // Lucene's NOT matches documents lacking the field; SQL's NOT NULL is NULL,
        // so a nullable operand is coalesced to false first.
        Node::Not(c) => {
            let (s, nullable) = emit(c, binds);
            let sql = if nullable {
                format!("NOT COALESCE({s}, 0)")
            } else if s.starts_with('(') {
                format!("NOT {s}")
            } else {
                format!("NOT ({s})")
            };
            (sql, false)
        }
        Node::Term(f, t) => {
            let col = f.sql();
            let sql = match t {
                Test::Exists => return (format!("{col} IS NOT NULL"), false),
                Test::Eq(b) => {
                    binds.push(b.clone());
                    format!("{col} = ?")
                }
                Test::Glob(p) => {
                    binds.push(Bind::Text(p.clone()));
                    format!("{col} GLOB ?")
                }
                Test::Range(lo, hi) => {
                    let mut parts = Vec::new();
                    if let Some((b, incl)) = lo {
                        binds.push(b.clone());
                        parts.push(format!("{col} {} ?", if *incl { ">=" } else { ">" }));
                    }
                    if let Some((b, incl)) = hi {
                        binds.push(b.clone());
                        parts.push(format!("{col} {} ?", if *incl { "<=" } else { "<" }));
                    }
                    if parts.len() == 1 {
                        parts.remove(0)
                    } else {
                        format!("({})", parts.join(" AND "))
                    }
                }
            };
            (sql, f.nullable())
        }
    }
}

/// Compiles an Auth0 log search query into a WHERE fragment; empty `q` gives `"1"`.
pub fn compile(q: &str) -> std::result::Result<Where, QueryError> {
    if q.len() > MAX_LEN {
        return Err(QueryError::TooLong { len: q.len() });
    }
    let toks = tokenize(q)?;
    if toks.len() == 1 {
        return Ok(Where {
            sql: "1".into(),
            binds: Vec::new(),
        });
    }
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
        terms: 0,
    };
    let ast = p.parse_or(None)?;
    let t = p.bump();
    if t.tok != Tok::Eof {
        // parse_or at the top stops only at the end or a stray ')'.
        return Err(QueryError::Unbalanced {
            ch: ')',
            pos: t.start,
        });
    }
    let mut binds = Vec::new();
    let (sql, _) = emit(&ast, &mut binds);
    Ok(Where { sql, binds })
}

#[cfg(test)]
#[rustfmt::skip] // one case per line reads better than rustfmt's layout
mod tests {
    use super::*;

    fn t(s: &str) -> Bind { Bind::Text(s.into()) }
    fn i(n: i64) -> Bind { Bind::Int(n) }

    fn ok(cases: &[(&str, &str, Vec<Bind>)]) {
        for (q, sql, binds) in cases {
            assert_eq!(compile(q), Ok(Where { sql: sql.to_string(), binds: binds.clone() }), "query: {q}");
        }
    }

    fn err(cases: &[(&str, &str)]) {
        for (q, msg) in cases {
            match compile(q) {
                Err(e) => assert_eq!(e.to_string(), *msg, "query: {q}"),
                Ok(w) => panic!("query {q} compiled to {w:?}"),
            }
        }
    }

    const JAN1: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    const JAN31: i64 = 1_769_817_600_000;
    const UN: &str = "json_extract(body, '$.user_name')";

    #[test]
    fn empty_query_is_true() {
        ok(&[("", "1", vec![]), ("  \t\n ", "1", vec![])]);
    }

    #[test]
    fn fields_map_to_columns_and_json() {
        ok(&[
            ("type:gd_send_sms", "type = ?", vec![t("gd_send_sms")]),
            ("user_id:auth0|abc", "user_id = ?", vec![t("auth0|abc")]),
            ("client_id:xyz", "client_id = ?", vec![t("xyz")]),
            ("log_id:01HX", "log_id = ?", vec![t("01HX")]),
            ("ip:127.0.0.1", "json_extract(body, '$.ip') = ?", vec![t("127.0.0.1")]),
            ("ip:::1", "json_extract(body, '$.ip') = ?", vec![t("::1")]),
            ("details.transaction_id:x", "json_extract(body, '$.details.transaction_id') = ?", vec![t("x")]),
            ("details.a.B_9:x", "json_extract(body, '$.details.a.B_9') = ?", vec![t("x")]),
        ]);
        for f in ["user_name", "client_name", "description", "connection", "hostname", "strategy", "strategy_type", "user_agent"] {
            ok(&[(&format!("{f}:v"), &format!("json_extract(body, '$.{f}') = ?"), vec![t("v")])]);
        }
    }

    #[test]
    fn quoted_values_are_exact() {
        ok(&[
            (r#"user_id:"auth0|abc def""#, "user_id = ?", vec![t("auth0|abc def")]),
            (r#"description:"say \"hi\" \\ C:\x""#, "json_extract(body, '$.description') = ?", vec![t(r#"say "hi" \ C:\x"#)]),
            (r#"user_name:"jo*""#, &format!("{UN} = ?"), vec![t("jo*")]),
            (r#"type:"""#, "type = ?", vec![t("")]),
        ]);
    }

    #[test]
    fn wildcards_compile_to_glob() {
        let glob = format!("{UN} GLOB ?");
        ok(&[
            ("user_name:john*", &glob, vec![t("john*")]),
            ("user_name:j**", &glob, vec![t("j*")]),
            ("user_name:*abc", &glob, vec![t("*abc")]),
            ("user_name:ab*c", &glob, vec![t("ab*c")]),
            ("user_name:**a*b*c**", &glob, vec![t("*a*b*c*")]),
            ("user_name:wh?t*", &glob, vec![t("wh[?]t*")]),
            ("user_name:wh?t", &format!("{UN} = ?"), vec![t("wh?t")]),
            ("user_id:*", "user_id IS NOT NULL", vec![]),
            ("user_name:**", &format!("{UN} IS NOT NULL"), vec![]),
        ]);
        err(&[
            ("user_name:*ab", "wildcard term '*ab' needs at least 3 characters besides '*' (at position 10)"),
            ("user_name:a*c", "wildcard term 'a*c' needs at least 3 characters besides '*' (at position 10)"),
            ("date:2026*", "wildcard '2026*' at position 5 is not allowed on date; use a range such as date:[2026-01-01 TO 2026-02-01}"),
        ]);
        let mut s = String::new();
        glob_escape("a*b?c[d]", &mut s);
        assert_eq!(s, "a[*]b[?]c[[]d]");
    }

    #[test]
    fn dates() {
        ok(&[
            ("date:2026-01-01", "(date >= ? AND date < ?)", vec![i(JAN1), i(JAN1 + DAY_MS)]),
            (r#"date:"2026-01-01""#, "(date >= ? AND date < ?)", vec![i(JAN1), i(JAN1 + DAY_MS)]),
            ("date:2026-01-01T10:00:00.123Z", "date = ?", vec![i(JAN1 + 36_000_123)]),
            ("date:2026-01-01T12:00:00+02:00", "date = ?", vec![i(JAN1 + 36_000_000)]),
            ("date:*", "date IS NOT NULL", vec![]),
        ]);
        err(&[
            ("date:2026-13-01", "'2026-13-01' is not a date (YYYY-MM-DD or RFC 3339) in date term at position 5"),
            ("date:2026-02-30", "'2026-02-30' is not a date (YYYY-MM-DD or RFC 3339) in date term at position 5"),
            ("date:+026-01-01", "'+026-01-01' is not a date (YYYY-MM-DD or RFC 3339) in date term at position 5"),
            ("date:yesterday", "'yesterday' is not a date (YYYY-MM-DD or RFC 3339) in date term at position 5"),
        ]);
    }

    #[test]
    fn ranges() {
        ok(&[
            ("date:[2026-01-01 TO 2026-01-31]", "(date >= ? AND date < ?)", vec![i(JAN1), i(JAN31 + DAY_MS)]),
            ("date:{2026-01-01 TO 2026-01-31}", "(date > ? AND date < ?)", vec![i(JAN1), i(JAN31)]),
            ("date:[2026-01-01 TO 2026-01-31}", "(date >= ? AND date < ?)", vec![i(JAN1), i(JAN31)]),
            ("date:{2026-01-01T10:00:00Z TO *]", "date > ?", vec![i(JAN1 + 36_000_000)]),
            (r#"date:[* TO "2026-01-01T00:00:00.5Z"]"#, "date <= ?", vec![i(JAN1 + 500)]),
            ("date:[* TO *]", "date IS NOT NULL", vec![]),
            ("user_name:[a TO m}", &format!("({UN} >= ? AND {UN} < ?)"), vec![t("a"), t("m")]),
            ("type:[-5 TO 5]", "(type >= ? AND type <= ?)", vec![t("-5"), t("5")]),
        ]);
        err(&[
            ("date:[2026-13-01 TO *]", "'2026-13-01' is not a date (YYYY-MM-DD or RFC 3339) in date range at position 6"),
            ("date:[2026-01-01 2026-02-01]", "in the range at position 5: expected 'TO', found '2026-02-01' at position 17"),
            ("type:[a TO b", "unterminated range starting at position 5; write [from TO to]"),
            ("type:[a TO b)", "in the range at position 5: expected ']' or '}', found ')' at position 12"),
            ("type:[TO b]", "in the range at position 5: expected a bound value or '*', found 'TO' at position 6"),
        ]);
    }

    #[test]
    fn boolean_logic() {
        ok(&[
            ("type:s AND type:f", "(type = ? AND type = ?)", vec![t("s"), t("f")]),
            ("type:s type:f", "(type = ? AND type = ?)", vec![t("s"), t("f")]),
            ("type:s OR type:f", "(type = ? OR type = ?)", vec![t("s"), t("f")]),
            ("type:a OR type:b AND type:c", "(type = ? OR (type = ? AND type = ?))", vec![t("a"), t("b"), t("c")]),
            ("NOT type:a AND type:b", "(NOT (type = ?) AND type = ?)", vec![t("a"), t("b")]),
            ("(type:a OR type:b) type:c", "((type = ? OR type = ?) AND type = ?)", vec![t("a"), t("b"), t("c")]),
            ("-type:s", "NOT (type = ?)", vec![t("s")]),
            ("type:s -type:f", "(type = ? AND NOT (type = ?))", vec![t("s"), t("f")]),
            ("NOT NOT type:s", "type = ?", vec![t("s")]),
            ("NOT (NOT type:s)", "NOT (NOT (type = ?))", vec![t("s")]),
            ("-(type:a type:b)", "NOT (type = ? AND type = ?)", vec![t("a"), t("b")]),
            ("type:a-b", "type = ?", vec![t("a-b")]),
            ("type:s AND (user_id:x* OR ip:1.2.3.4)", "(type = ? AND (user_id GLOB ? OR json_extract(body, '$.ip') = ?))", vec![t("s"), t("x*"), t("1.2.3.4")]),
            // NULL-able operands are coalesced so NOT matches rows lacking the field, as in Lucene.
            ("-connection:x", "NOT COALESCE(json_extract(body, '$.connection') = ?, 0)", vec![t("x")]),
            ("NOT (type:a OR user_id:b)", "NOT COALESCE((type = ? OR user_id = ?), 0)", vec![t("a"), t("b")]),
            ("-user_id:*", "NOT (user_id IS NOT NULL)", vec![]),
        ]);
    }

    #[test]
    fn value_groups() {
        ok(&[
            ("type:(s OR fp)", "(type = ? OR type = ?)", vec![t("s"), t("fp")]),
            ("type:(s fp)", "(type = ? AND type = ?)", vec![t("s"), t("fp")]),
            (r#"user_name:("a b" OR jo* OR -x)"#, &format!("({UN} = ? OR {UN} GLOB ? OR NOT COALESCE({UN} = ?, 0))"), vec![t("a b"), t("jo*"), t("x")]),
            ("date:(2026-01-01T10:00:00Z OR [2026-01-31 TO *])", "(date = ? OR date >= ?)", vec![i(JAN1 + 36_000_000), i(JAN31)]),
            ("type:(a OR (b c))", "(type = ? OR (type = ? AND type = ?))", vec![t("a"), t("b"), t("c")]),
        ]);
    }

    #[test]
    fn errors_name_the_bad_part() {
        let details = "at position 0: write details.<name>[.<name>...] with names of letters, digits and '_'";
        err(&[
            ("foo:bar", "unknown field 'foo' at position 0"),
            ("type:s Foo:bar", "unknown field 'Foo' at position 7"),
            ("details:x", &format!("bad details field 'details' {details}")),
            ("details.a..b:x", &format!("bad details field 'details.a..b' {details}")),
            ("details.a'b:x", &format!("bad details field 'details.a'b' {details}")),
            ("type:s (type:", "expected a value after 'type:' at position 13"),
            ("type:", "expected a value after 'type:' at position 5"),
            ("type: s", "expected a value after 'type:' at position 5"),
            ("type:s (type:x", "unbalanced '(' at position 7"),
            ("type:s)", "unbalanced ')' at position 6"),
            ("type:(s", "unbalanced '(' at position 5"),
            ("type:s ()", "unexpected ')' at position 8"),
            ("type:s AND", "unexpected end of query at position 10"),
            ("OR type:s", "unexpected 'OR' at position 0"),
            ("type:s AND AND type:f", "unexpected 'AND' at position 11"),
            (r#"type:"abc"#, "unterminated quote at position 5"),
            (r#"user_id:"ab\"#, "unterminated quote at position 8"),
            ("hello", "term 'hello' at position 0 has no field; write field:value"),
            (":::", "term ':::' at position 0 has no field; write field:value"),
            (r#""x""#, "term '\"x\"' at position 0 has no field; write field:value"),
            ("type:s and type:f", "'and' at position 7 is not an operator; operators are uppercase: AND, OR, NOT"),
            ("[a TO b]", "unexpected '[' at position 0"),
            ("日本:x", "unknown field '日本' at position 0"),
            ("é type:x*y", "term 'é' at position 0 has no field; write field:value"),
        ]);
    }

    #[test]
    fn limits() {
        let long = format!("description:{}", "a".repeat(MAX_LEN - 12));
        assert!(compile(&long).is_ok());
        let nest = |n: usize| format!("{}type:s{}", "(".repeat(n), ")".repeat(n));
        ok(&[(&nest(16), "type = ?", vec![t("s")])]);
        let terms = |n: usize| vec!["type:s"; n].join(" ");
        assert_eq!(compile(&terms(64)).expect("64 terms compile").binds.len(), 64);
        // A long NOT chain is a loop, not recursion.
        ok(&[(&format!("{}type:s", "NOT ".repeat(400)), "type = ?", vec![t("s")])]);
        err(&[
            (&format!("{long}b"), "the query is 2001 bytes long; at most 2000 are allowed"),
            (&nest(17), "parentheses nest deeper than 16 levels at position 16"),
            (&format!("type:{}s{}", "(".repeat(17), ")".repeat(17)), "parentheses nest deeper than 16 levels at position 21"),
            (&terms(65), "more than 64 terms (the one at position 448 is too many)"),
            (&format!("type:({})", vec!["a"; 65].join(" ")), "more than 64 terms (the one at position 134 is too many)"),
        ]);
    }

    #[test]
    fn garbage_never_panics() {
        let pieces = [
            "(", ")", "[", "]", "{", "}", "\"", "\\", ":", "::", ":::", "*", "?", "-", " ", "  ", "AND", "OR", "NOT",
            "TO", "and", "type", "type:", "date:", "date:[", "[ TO", "TO ]", "details.", "details.a", "user_name:",
            "2026-01-01", "2026-02-30", "T10:00:00Z", "9999-99-99T99:99:99Z", "é", "日本", "🦀", "\u{0}", "\u{301}",
            "\t", "\n", "((((", "))))", "*ab", "a*", "abc*def", "'", "$.", "%", "-(", "x",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; seed };
        let (mut oks, mut errs) = (0, 0);
        for _ in 0..20_000 {
            let mut q = String::new();
            for _ in 0..next() % 12 {
                let r = next();
                if r % 5 == 0 {
                    q.push(char::from_u32((r >> 8) as u32 % 0x3_0000).unwrap_or('\u{FFFD}'));
                } else {
                    q.push_str(pieces[(r >> 8) as usize % pieces.len()]);
                }
            }
            match compile(&q) {
                Ok(w) => { oks += 1; assert_eq!(w.sql.matches('?').count(), w.binds.len(), "query: {q:?}") }
                Err(e) => { errs += 1; assert!(!e.to_string().is_empty()) }
            }
        }
        assert!(oks > 100 && errs > 100, "generator too one-sided: {oks} ok, {errs} errors");
        for q in ["((((", ":::", "[ TO", "\"", "-", "--", "- -", "NOT", "type:[", "type:{*", "date:[* TO", "type:(", "type:\"\\", &"(".repeat(1000), &"NOT -".repeat(300)] {
            assert!(compile(q).is_err(), "query: {q}");
        }
    }
}
