//! Liquid expressions: literals, variables (`a.b[0]`), ranges, filter chains and
//! conditions, tokenised and parsed with a nesting cap so no input can recurse
//! without bound.

mod tokens;

use self::tokens::{describe, tokenize, Tok};
use super::error::Error;
use super::filters::{self, FilterDef};
use super::value::Value;

/// How deep `a[b[c[...]]]` and ranges may nest inside one expression.
const MAX_EXPR_DEPTH: usize = 16;
/// Filters one expression may chain, and arguments one filter may take.
const MAX_FILTERS: usize = 64;
const MAX_ARGS: usize = 16;

#[derive(Debug, Clone)]
pub enum Expr {
    Literal(Value),
    Variable(Variable),
    Range(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub root: String,
    pub path: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub enum Segment {
    Key(String),
    Index(Expr),
}

/// `expr | filter: arg, key: arg | ...`
#[derive(Debug, Clone)]
pub struct Output {
    pub expr: Expr,
    pub filters: Vec<FilterCall>,
}

#[derive(Debug, Clone)]
pub struct FilterCall {
    pub def: &'static FilterDef,
    pub args: Vec<Expr>,
    pub keywords: Vec<(String, Expr)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub left: Expr,
    pub op: Option<(CmpOp, Expr)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
}

/// `a == 1 and b or c`, evaluated right to left as Liquid does
/// (`a == 1 and (b or c)`); kept flat so a long chain cannot recurse.
#[derive(Debug, Clone)]
pub struct Condition {
    pub first: Comparison,
    pub rest: Vec<(Logic, Comparison)>,
}

/// Reads the pieces of one tag's arguments or one output.
pub struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    at: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> Result<Parser<'a>, Error> {
        Ok(Parser {
            toks: tokenize(src)?,
            at: 0,
            depth: 0,
        })
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.peek() == Some(tok) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok<'_>, what: &str) -> Result<(), Error> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(Error::new(format!(
                "expected {what}, found {}",
                describe(self.peek())
            )))
        }
    }

    pub fn at_end(&self) -> bool {
        self.at >= self.toks.len()
    }

    /// Fails unless everything was read.
    pub fn finish(&self) -> Result<(), Error> {
        if self.at_end() {
            Ok(())
        } else {
            Err(Error::new(format!("unexpected {}", describe(self.peek()))))
        }
    }

    /// Whether the next token is the word `word`, consuming it if so.
    pub fn eat_word(&mut self, word: &str) -> bool {
        self.eat(&Tok::Ident(word))
    }

    pub fn ident(&mut self, what: &str) -> Result<String, Error> {
        match self.next() {
            Some(Tok::Ident(s)) => Ok(s.to_owned()),
            other => Err(Error::new(format!(
                "expected {what}, found {}",
                describe(other.as_ref())
            ))),
        }
    }

    pub fn expect_assign(&mut self) -> Result<(), Error> {
        self.expect(&Tok::Assign, "`=`")
    }

    pub fn expect_colon(&mut self) -> Result<(), Error> {
        self.expect(&Tok::Colon, "`:`")
    }

    pub fn eat_comma(&mut self) -> bool {
        self.eat(&Tok::Comma)
    }

    pub fn eat_colon(&mut self) -> bool {
        self.eat(&Tok::Colon)
    }

    /// `word:` next, without consuming it (a keyword argument or a loop attribute).
    pub fn peek_keyword(&self) -> Option<&'a str> {
        match (self.toks.get(self.at), self.toks.get(self.at + 1)) {
            (Some(Tok::Ident(w)), Some(Tok::Colon)) => Some(w),
            _ => None,
        }
    }

    pub fn expr(&mut self) -> Result<Expr, Error> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Error::new(format!(
                "expression nested more than {MAX_EXPR_DEPTH} deep"
            )));
        }
        let e = self.expr_inner();
        self.depth -= 1;
        e
    }

    fn expr_inner(&mut self) -> Result<Expr, Error> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Expr::Literal(Value::from(s))),
            Some(Tok::Num(n)) => Ok(Expr::Literal(n.into_value())),
            Some(Tok::LParen) => {
                let start = self.expr()?;
                self.expect(&Tok::DotDot, "`..` in a range")?;
                let end = self.expr()?;
                self.expect(&Tok::RParen, "`)` closing the range")?;
                if matches!(start, Expr::Range(..)) || matches!(end, Expr::Range(..)) {
                    return Err(Error::new("a range's ends must be numbers or variables"));
                }
                Ok(Expr::Range(Box::new(start), Box::new(end)))
            }
            Some(Tok::Ident(word)) => {
                let literal = match word {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "nil" | "null" => Some(Value::Nil),
                    "empty" => Some(Value::Empty),
                    "blank" => Some(Value::Blank),
                    _ => None,
                };
                let followed = matches!(self.peek(), Some(Tok::Dot | Tok::LBracket));
                if let (Some(v), false) = (literal, followed) {
                    return Ok(Expr::Literal(v));
                }
                let mut path = Vec::new();
                loop {
                    if self.eat(&Tok::Dot) {
                        path.push(Segment::Key(self.ident("a property name after `.`")?));
                    } else if self.eat(&Tok::LBracket) {
                        let index = self.expr()?;
                        self.expect(&Tok::RBracket, "`]`")?;
                        path.push(Segment::Index(index));
                    } else {
                        break;
                    }
                }
                Ok(Expr::Variable(Variable {
                    root: word.to_owned(),
                    path,
                }))
            }
            other => Err(Error::new(format!(
                "expected a value, found {}",
                describe(other.as_ref())
            ))),
        }
    }

    /// `expr | filter: a, b, key: c | ...`, to the end of the input.
    pub fn output(&mut self) -> Result<Output, Error> {
        let expr = self.expr()?;
        let mut filters = Vec::new();
        while self.eat(&Tok::Pipe) {
            if filters.len() >= MAX_FILTERS {
                return Err(Error::new(format!(
                    "more than {MAX_FILTERS} filters in one expression"
                )));
            }
            filters.push(self.filter()?);
        }
        self.finish()?;
        Ok(Output { expr, filters })
    }

    fn filter(&mut self) -> Result<FilterCall, Error> {
        let name = self.ident("a filter name after `|`")?;
        let def =
            filters::lookup(&name).ok_or_else(|| Error::new(format!("unknown filter `{name}`")))?;
        let mut args = Vec::new();
        let mut keywords = Vec::new();
        if self.eat(&Tok::Colon) {
            loop {
                if args.len() + keywords.len() >= MAX_ARGS {
                    return Err(Error::new(format!(
                        "`{name}` takes at most {MAX_ARGS} arguments"
                    )));
                }
                if let Some(key) = self.peek_keyword() {
                    self.at += 2;
                    keywords.push((key.to_owned(), self.expr()?));
                } else {
                    args.push(self.expr()?);
                }
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let call = FilterCall {
            def,
            args,
            keywords,
        };
        call.def.check(&filters::CallShape {
            positional: call.args.len(),
            keywords: call.keywords.iter().map(|(k, _)| k.as_str()).collect(),
            first_literal: match call.args.first() {
                Some(Expr::Literal(v)) => Some(v),
                _ => None,
            },
        })?;
        Ok(call)
    }

    fn comparison(&mut self) -> Result<Comparison, Error> {
        let left = self.expr()?;
        let op = match self.peek() {
            Some(Tok::Cmp(op)) => {
                let op = *op;
                self.at += 1;
                Some((op, self.expr()?))
            }
            _ => None,
        };
        Ok(Comparison { left, op })
    }

    /// A whole condition, to the end of the input.
    pub fn condition(&mut self) -> Result<Condition, Error> {
        let first = self.comparison()?;
        let mut rest = Vec::new();
        loop {
            let logic = if self.eat_word("and") {
                Logic::And
            } else if self.eat_word("or") {
                Logic::Or
            } else {
                break;
            };
            rest.push((logic, self.comparison()?));
        }
        self.finish()?;
        Ok(Condition { first, rest })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_ranges_and_filter_chains() {
        let out = Parser::new("user.names[0] | upcase | append: \"!\" | truncate: 5, 'x'")
            .and_then(|mut p| p.output())
            .expect("parses");
        assert_eq!(out.filters.len(), 3);
        assert_eq!(out.filters[2].args.len(), 2);
        let Expr::Variable(v) = out.expr else {
            panic!("a variable")
        };
        assert_eq!(v.root, "user");
        assert_eq!(v.path.len(), 2);
        let range = Parser::new("(1..n)")
            .and_then(|mut p| p.expr())
            .expect("range");
        assert!(matches!(range, Expr::Range(..)));
    }

    #[test]
    fn nesting_and_chains_are_capped() {
        let deep = format!("{}x{}", "a[".repeat(40), "]".repeat(40));
        let e = Parser::new(&deep)
            .and_then(|mut p| p.output())
            .expect_err("too deep");
        assert!(e.message.contains("nested"), "{e}");
        let chain = format!("x{}", " | upcase".repeat(100));
        assert!(Parser::new(&chain).and_then(|mut p| p.output()).is_err());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for src in [
            "",
            "|",
            "a |",
            "a | nosuch",
            "(1..",
            "(1..2",
            "'open",
            "a.",
            "a[",
            "1 2",
            "a ==",
            "é",
            "a | append",
            "-",
            "((1..2)..3)",
        ] {
            let out = Parser::new(src).and_then(|mut p| p.output());
            let cond = Parser::new(src).and_then(|mut p| p.condition());
            assert!(out.is_err() || cond.is_err(), "{src:?}");
        }
    }
}
