//! Turns tokens into a tree of nodes. Blocks nest at most `Limits::max_depth` deep,
//! so neither this parser nor the renderer can recurse without bound; tags Phonebox
//! cannot honour (`include`, `render`: other files) are refused here, when the
//! template is saved, not when a code is sent.

use super::error::{Error, Position};
use super::expr::{Condition, Expr, Output, Parser as ExprParser};
use super::filters::range_len;
use super::lexer::Token;
use super::limits::Limits;
use super::value::Value;

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Output(Output, Position),
    If {
        /// Each branch's condition, whether it is negated (`unless`), its body.
        branches: Vec<(Condition, bool, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    Case {
        subject: Expr,
        whens: Vec<(Vec<Expr>, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    For(Box<ForLoop>),
    TableRow(Box<TableRow>),
    Assign(String, Output, Position),
    Capture(String, Vec<Node>),
    Increment(String),
    Decrement(String),
    Cycle {
        group: Option<Expr>,
        values: Vec<Expr>,
    },
    IfChanged(Vec<Node>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub struct ForLoop {
    pub var: String,
    pub source: Expr,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    pub reversed: bool,
    pub body: Vec<Node>,
    pub otherwise: Option<Vec<Node>>,
    pub position: Position,
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub var: String,
    pub source: Expr,
    pub cols: Option<Expr>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    pub body: Vec<Node>,
    pub position: Position,
}

/// The tag that ended a block, if the block ended on one.
struct End<'a> {
    name: &'a str,
    args: &'a str,
    position: Position,
}

pub(super) struct Parser<'a, 'l> {
    src: &'a str,
    tokens: Vec<Token<'a>>,
    at: usize,
    depth: usize,
    loops: usize,
    limits: &'l Limits,
    line_starts: Vec<usize>,
}

impl<'a, 'l> Parser<'a, 'l> {
    pub fn new(src: &'a str, tokens: Vec<Token<'a>>, limits: &'l Limits) -> Parser<'a, 'l> {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Parser {
            src,
            tokens,
            at: 0,
            depth: 0,
            loops: 0,
            limits,
            line_starts,
        }
    }

    fn position(&self, offset: usize) -> Position {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        Position {
            line,
            column: self.src[start..offset].chars().count() + 1,
        }
    }

    pub fn parse(mut self) -> Result<Vec<Node>, Error> {
        let (nodes, end) = self.nodes(&[])?;
        match end {
            None => Ok(nodes),
            Some(end) => Err(Error::at(
                end.position,
                format!("`{{% {} %}}` has no opening tag", end.name),
            )),
        }
    }

    /// Nodes up to one of the tags in `ends` (returned) or the end of input.
    fn nodes(&mut self, ends: &[&str]) -> Result<(Vec<Node>, Option<End<'a>>), Error> {
        let mut out = Vec::new();
        while let Some(token) = self.tokens.get(self.at).copied() {
            self.at += 1;
            match token {
                Token::Text(t) => out.push(Node::Text(t.to_owned())),
                Token::Output(src, offset) => {
                    let position = self.position(offset);
                    let output = ExprParser::new(src)
                        .and_then(|mut p| p.output())
                        .map_err(|e| e.or_at(position))?;
                    out.push(Node::Output(output, position));
                }
                Token::Tag(name, args, offset) => {
                    let position = self.position(offset);
                    if ends.contains(&name) {
                        return Ok((
                            out,
                            Some(End {
                                name,
                                args,
                                position,
                            }),
                        ));
                    }
                    let node = self
                        .tag(name, args, position)
                        .map_err(|e| e.or_at(position))?;
                    out.push(node);
                }
            }
        }
        Ok((out, None))
    }

    /// The body of a block opened by `open`, up to one of `ends`, which must come.
    fn block(
        &mut self,
        open: &str,
        position: Position,
        ends: &[&str],
    ) -> Result<(Vec<Node>, End<'a>), Error> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Error::at(
                position,
                format!("blocks are nested more than {} deep", self.limits.max_depth),
            ));
        }
        let (nodes, end) = self.nodes(ends)?;
        self.depth -= 1;
        match end {
            Some(end) => Ok((nodes, end)),
            None => Err(Error::at(
                position,
                format!(
                    "`{{% {open} %}}` is never closed with `{{% {} %}}`",
                    ends.last().unwrap_or(&"end")
                ),
            )),
        }
    }

    fn tag(&mut self, name: &str, args: &str, position: Position) -> Result<Node, Error> {
        let mut p = ExprParser::new(args)?;
        match name {
            "if" | "unless" => self.if_block(name, p.condition()?, position),
            "case" => {
                let subject = p.expr()?;
                p.finish()?;
                self.case_block(subject, position)
            }
            "for" => self.for_block(&mut p, position),
            "tablerow" => self.tablerow_block(&mut p, position),
            "capture" => {
                let var = capture_name(&mut p)?;
                let (body, _) = self.block("capture", position, &["endcapture"])?;
                Ok(Node::Capture(var, body))
            }
            "ifchanged" => {
                p.finish()?;
                let (body, _) = self.block("ifchanged", position, &["endifchanged"])?;
                Ok(Node::IfChanged(body))
            }
            "assign" => {
                let var = p.ident("a variable name")?;
                p.expect_assign()?;
                let value = p.output()?;
                Ok(Node::Assign(var, value, position))
            }
            "echo" => Ok(Node::Output(p.output()?, position)),
            "increment" | "decrement" => {
                let var = p.ident("a variable name")?;
                p.finish()?;
                Ok(if name == "increment" {
                    Node::Increment(var)
                } else {
                    Node::Decrement(var)
                })
            }
            "cycle" => {
                let first = p.expr()?;
                let (group, mut values) = if p.eat_colon() {
                    (Some(first), vec![p.expr()?])
                } else {
                    (None, vec![first])
                };
                while p.eat_comma() {
                    values.push(p.expr()?);
                }
                p.finish()?;
                Ok(Node::Cycle { group, values })
            }
            "break" | "continue" => {
                p.finish()?;
                if self.loops == 0 {
                    return Err(Error::new(format!("`{{% {name} %}}` outside a loop")));
                }
                Ok(if name == "break" {
                    Node::Break
                } else {
                    Node::Continue
                })
            }
            "include" | "render" | "include_relative" | "layout" | "section" => {
                Err(Error::new(format!(
                    "`{{% {name} %}}` is not available: a phone template cannot read other files"
                )))
            }
            "else" | "elsif" | "when" => Err(Error::new(format!(
                "`{{% {name} %}}` outside the block it belongs to"
            ))),
            end if end.starts_with("end") => {
                Err(Error::new(format!("`{{% {end} %}}` has no opening tag")))
            }
            other => Err(Error::new(format!("unknown tag `{other}`"))),
        }
    }

    fn if_block(
        &mut self,
        name: &str,
        first: Condition,
        position: Position,
    ) -> Result<Node, Error> {
        let end_tag = if name == "if" { "endif" } else { "endunless" };
        let mut branches = Vec::new();
        let mut condition = (first, name == "unless");
        loop {
            let (body, end) = self.block(name, position, &["elsif", "else", end_tag])?;
            branches.push((condition.0, condition.1, body));
            match end.name {
                "elsif" => {
                    let c = ExprParser::new(end.args)
                        .and_then(|mut p| p.condition())
                        .map_err(|e| e.or_at(end.position))?;
                    condition = (c, false);
                }
                "else" => {
                    let (otherwise, _) = self.block(name, position, &[end_tag])?;
                    return Ok(Node::If {
                        branches,
                        otherwise: Some(otherwise),
                    });
                }
                _ => {
                    return Ok(Node::If {
                        branches,
                        otherwise: None,
                    })
                }
            }
        }
    }

    fn case_block(&mut self, subject: Expr, position: Position) -> Result<Node, Error> {
        // What stands between `case` and the first `when` is never shown.
        let (_, mut end) = self.block("case", position, &["when", "else", "endcase"])?;
        let mut whens = Vec::new();
        loop {
            match end.name {
                "when" => {
                    let values = when_values(end.args).map_err(|e| e.or_at(end.position))?;
                    let (body, next) =
                        self.block("case", position, &["when", "else", "endcase"])?;
                    whens.push((values, body));
                    end = next;
                }
                "else" => {
                    let (otherwise, _) = self.block("case", position, &["endcase"])?;
                    return Ok(Node::Case {
                        subject,
                        whens,
                        otherwise: Some(otherwise),
                    });
                }
                _ => {
                    return Ok(Node::Case {
                        subject,
                        whens,
                        otherwise: None,
                    })
                }
            }
        }
    }

    /// `var in source`, and checks a literal range against the iteration cap.
    fn loop_head(&self, p: &mut ExprParser<'_>) -> Result<(String, Expr), Error> {
        let var = p.ident("a loop variable name")?;
        if !p.eat_word("in") {
            return Err(Error::new("expected `in` after the loop variable"));
        }
        let source = p.expr()?;
        if let Expr::Range(a, b) = &source {
            if let (Expr::Literal(a), Expr::Literal(b)) = (a.as_ref(), b.as_ref()) {
                let (a, b) = (int_of(a), int_of(b));
                if range_len(a, b) > self.limits.max_iterations {
                    return Err(Error::new(format!(
                        "the range ({a}..{b}) is longer than the {} iterations a template may run",
                        self.limits.max_iterations
                    )));
                }
            }
        }
        Ok((var, source))
    }

    fn for_block(&mut self, p: &mut ExprParser<'_>, position: Position) -> Result<Node, Error> {
        let (var, source) = self.loop_head(p)?;
        let (mut limit, mut offset, mut reversed) = (None, None, false);
        while !p.at_end() {
            if p.eat_word("reversed") {
                reversed = true;
            } else {
                match p.peek_keyword() {
                    Some("limit") => limit = Some(attribute(p)?),
                    Some("offset") => offset = Some(attribute(p)?),
                    _ => return Err(Error::new("expected `limit:`, `offset:` or `reversed`")),
                }
            }
            p.eat_comma();
        }
        self.loops += 1;
        let body = self.block("for", position, &["else", "endfor"]);
        self.loops -= 1;
        let (body, end) = body?;
        let otherwise = match end.name {
            "else" => Some(self.block("for", position, &["endfor"])?.0),
            _ => None,
        };
        Ok(Node::For(Box::new(ForLoop {
            var,
            source,
            limit,
            offset,
            reversed,
            body,
            otherwise,
            position,
        })))
    }

    fn tablerow_block(
        &mut self,
        p: &mut ExprParser<'_>,
        position: Position,
    ) -> Result<Node, Error> {
        let (var, source) = self.loop_head(p)?;
        let (mut cols, mut limit, mut offset) = (None, None, None);
        while !p.at_end() {
            match p.peek_keyword() {
                Some("cols") => cols = Some(attribute(p)?),
                Some("limit") => limit = Some(attribute(p)?),
                Some("offset") => offset = Some(attribute(p)?),
                _ => return Err(Error::new("expected `cols:`, `limit:` or `offset:`")),
            }
            p.eat_comma();
        }
        if let Some(Expr::Literal(v)) = &cols {
            if int_of(v) < 1 {
                return Err(Error::new("`cols:` must be at least 1"));
            }
        }
        self.loops += 1;
        let body = self.block("tablerow", position, &["endtablerow"]);
        self.loops -= 1;
        Ok(Node::TableRow(Box::new(TableRow {
            var,
            source,
            cols,
            limit,
            offset,
            body: body?.0,
            position,
        })))
    }
}

/// `name:` then its value.
fn attribute(p: &mut ExprParser<'_>) -> Result<Expr, Error> {
    p.ident("an attribute")?;
    p.expect_colon()?;
    p.expr()
}

/// `{% capture name %}` or `{% capture "name" %}`.
fn capture_name(p: &mut ExprParser<'_>) -> Result<String, Error> {
    let name = match p.expr()? {
        Expr::Variable(v) if v.path.is_empty() => v.root,
        Expr::Literal(Value::Str(s)) => s.to_string(),
        _ => return Err(Error::new("expected a variable name to capture into")),
    };
    p.finish()?;
    Ok(name)
}

/// `when a, b or c`.
fn when_values(args: &str) -> Result<Vec<Expr>, Error> {
    let mut p = ExprParser::new(args)?;
    let mut values = vec![p.expr()?];
    while p.eat_comma() || p.eat_word("or") {
        values.push(p.expr()?);
    }
    p.finish()?;
    Ok(values)
}

fn int_of(v: &Value) -> i64 {
    match v.to_number() {
        super::value::Number::Int(i) => i,
        super::value::Number::Float(f) => f as i64,
    }
}
