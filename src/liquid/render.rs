//! Renders a parsed template under a budget: a deadline, a cap on loop iterations
//! (ranges are walked, never built), on the output, on each value and on what the
//! template's variables hold in all. Unknown variables render empty, as in Auth0.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;

use super::error::{Error, Position};
use super::expr::{CmpOp, Comparison, Condition, Expr, Logic, Output, Segment, Variable};
use super::filters::{range_len, Call, Env};
use super::parser::{ForLoop, Node, TableRow};
use super::value::{Number, Object, Value};
use super::Limits;

/// How deep arrays and objects may nest in a value a template makes (loop objects
/// nest once per enclosing loop; nothing else a template does nests at all).
const MAX_VALUE_DEPTH: usize = 64;

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) struct Renderer<'a> {
    globals: &'a Object,
    limits: &'a Limits,
    env: Env,
    deadline: Instant,
    iterations: u64,
    assigns: HashMap<String, Value>,
    /// Bytes held by `assigns`, against `Limits::max_variables`.
    assigned: usize,
    /// Loop variables and `forloop`, innermost last.
    locals: Vec<(String, Value)>,
    counters: HashMap<String, i64>,
    cycles: HashMap<String, usize>,
    last_changed: Option<String>,
    out: String,
    out_cap: usize,
}

impl<'a> Renderer<'a> {
    pub fn new(globals: &'a Object, limits: &'a Limits, now: OffsetDateTime) -> Renderer<'a> {
        Renderer {
            globals,
            limits,
            env: Env {
                now,
                max_value: limits.max_value_bytes,
                max_array: usize::try_from(limits.max_iterations).unwrap_or(usize::MAX),
            },
            deadline: Instant::now() + limits.time_budget,
            iterations: 0,
            assigns: HashMap::new(),
            assigned: 0,
            locals: Vec::new(),
            counters: HashMap::new(),
            cycles: HashMap::new(),
            last_changed: None,
            out: String::new(),
            out_cap: limits.max_output_bytes,
        }
    }

    pub fn render(mut self, nodes: &[Node]) -> Result<String, Error> {
        self.nodes(nodes)?;
        Ok(self.out)
    }

    fn check_time(&self) -> Result<(), Error> {
        if Instant::now() > self.deadline {
            return Err(Error::new(format!(
                "rendering took longer than {} ms",
                self.limits.time_budget.as_millis()
            )));
        }
        Ok(())
    }

    fn iterate(&mut self, position: Position) -> Result<(), Error> {
        self.iterations += 1;
        if self.iterations > self.limits.max_iterations {
            return Err(Error::at(
                position,
                format!(
                    "loops ran more than {} times in all",
                    self.limits.max_iterations
                ),
            ));
        }
        self.check_time()
    }

    fn write(&mut self, s: &str) -> Result<(), Error> {
        if self.out.len().saturating_add(s.len()) > self.out_cap {
            return Err(Error::new(format!(
                "the text grew past {} bytes",
                self.out_cap
            )));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn nodes(&mut self, nodes: &[Node]) -> Result<Flow, Error> {
        for node in nodes {
            self.check_time()?;
            match self.node(node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, node: &Node) -> Result<Flow, Error> {
        match node {
            Node::Text(t) => self.write(t)?,
            Node::Output(output, position) => {
                let v = self.output(output).map_err(|e| e.or_at(*position))?;
                let s = v.render();
                self.write(&s)?;
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (condition, negate, body) in branches {
                    if self.condition(condition)? != *negate {
                        return self.nodes(body);
                    }
                }
                if let Some(body) = otherwise {
                    return self.nodes(body);
                }
            }
            Node::Case {
                subject,
                whens,
                otherwise,
            } => {
                let subject = self.expr(subject)?;
                for (values, body) in whens {
                    for v in values {
                        if self.expr(v)?.liquid_eq(&subject) {
                            return self.nodes(body);
                        }
                    }
                }
                if let Some(body) = otherwise {
                    return self.nodes(body);
                }
            }
            Node::For(f) => self.for_loop(f)?,
            Node::TableRow(t) => self.table_row(t)?,
            Node::Assign(name, output, position) => {
                let v = self.output(output).map_err(|e| e.or_at(*position))?;
                self.assign(name, v)?;
            }
            Node::Capture(name, body) => {
                let saved = std::mem::take(&mut self.out);
                let saved_cap = std::mem::replace(&mut self.out_cap, self.limits.max_value_bytes);
                let flow = self.nodes(body);
                let captured = std::mem::replace(&mut self.out, saved);
                self.out_cap = saved_cap;
                let flow = flow?;
                self.assign(name, Value::from(captured))?;
                return Ok(flow);
            }
            Node::Increment(name) => {
                let n = self.counters.entry(name.clone()).or_insert(0);
                let shown = *n;
                *n = n.saturating_add(1);
                self.write(&shown.to_string())?;
            }
            Node::Decrement(name) => {
                let n = self.counters.entry(name.clone()).or_insert(0);
                *n = n.saturating_sub(1);
                let shown = *n;
                self.write(&shown.to_string())?;
            }
            Node::Cycle { group, values } => {
                let key = match group {
                    Some(g) => self.expr(g)?.render(),
                    None => format!("{values:?}"),
                };
                let i = self.cycles.entry(key).or_insert(0);
                let pick = *i % values.len().max(1);
                *i = i.wrapping_add(1);
                if let Some(v) = values.get(pick) {
                    let s = self.expr(v)?.render();
                    self.write(&s)?;
                }
            }
            Node::IfChanged(body) => {
                let saved = std::mem::take(&mut self.out);
                let flow = self.nodes(body);
                let rendered = std::mem::replace(&mut self.out, saved);
                let flow = flow?;
                if self.last_changed.as_deref() != Some(rendered.as_str()) {
                    self.write(&rendered)?;
                    self.last_changed = Some(rendered);
                }
                return Ok(flow);
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn assign(&mut self, name: &str, v: Value) -> Result<(), Error> {
        if v.nests_deeper_than(MAX_VALUE_DEPTH) {
            return Err(Error::new(format!(
                "`{name}` would hold a value nested more than {MAX_VALUE_DEPTH} deep"
            )));
        }
        let new = name.len().saturating_add(v.weight());
        let old = self
            .assigns
            .get(name)
            .map_or(0, |o| name.len().saturating_add(o.weight()));
        let total = self.assigned.saturating_sub(old).saturating_add(new);
        if total > self.limits.max_variables_bytes {
            return Err(Error::new(format!(
                "the template's variables hold more than {} bytes",
                self.limits.max_variables_bytes
            )));
        }
        self.assigned = total;
        self.assigns.insert(name.to_owned(), v);
        Ok(())
    }

    fn output(&mut self, output: &Output) -> Result<Value, Error> {
        let mut v = self.expr(&output.expr)?;
        for call in &output.filters {
            self.check_time()?;
            let args = call
                .args
                .iter()
                .map(|a| self.expr(a))
                .collect::<Result<Vec<_>, _>>()?;
            let keywords = call
                .keywords
                .iter()
                .map(|(k, a)| Ok((k.clone(), self.expr(a)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            v = (call.def.run)(&Call {
                input: &v,
                args: &args,
                keywords: &keywords,
                env: &self.env,
            })
            .map_err(|e| Error {
                message: format!("`{}`: {}", call.def.name, e.message),
                ..e
            })?;
            if v.nests_deeper_than(MAX_VALUE_DEPTH) {
                return Err(Error::new(format!(
                    "`{}` made a value nested more than {MAX_VALUE_DEPTH} deep",
                    call.def.name
                )));
            }
            if v.weight() > self.limits.max_value_bytes {
                return Err(Error::new(format!(
                    "`{}` made a value larger than {} bytes",
                    call.def.name, self.limits.max_value_bytes
                )));
            }
        }
        Ok(v)
    }

    fn expr(&self, e: &Expr) -> Result<Value, Error> {
        match e {
            Expr::Literal(v) => Ok(v.clone()),
            Expr::Range(a, b) => Ok(Value::Range(int(&self.expr(a)?), int(&self.expr(b)?))),
            Expr::Variable(v) => self.variable(v),
        }
    }

    fn lookup(&self, name: &str) -> Value {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        if let Some(v) = self.assigns.get(name) {
            return v.clone();
        }
        self.globals.get(name).cloned().unwrap_or_default()
    }

    fn variable(&self, var: &Variable) -> Result<Value, Error> {
        let mut v = self.lookup(&var.root);
        for segment in &var.path {
            v = match segment {
                Segment::Key(k) => index(&v, &Value::from(k.as_str())),
                Segment::Index(e) => index(&v, &self.expr(e)?),
            };
        }
        Ok(v)
    }

    fn comparison(&self, c: &Comparison) -> Result<bool, Error> {
        let left = self.expr(&c.left)?;
        let Some((op, right)) = &c.op else {
            return Ok(left.is_truthy());
        };
        let right = self.expr(right)?;
        Ok(match op {
            CmpOp::Eq => left.liquid_eq(&right),
            CmpOp::Ne => !left.liquid_eq(&right),
            CmpOp::Lt => left.liquid_cmp(&right) == Some(std::cmp::Ordering::Less),
            CmpOp::Gt => left.liquid_cmp(&right) == Some(std::cmp::Ordering::Greater),
            CmpOp::Le => matches!(
                left.liquid_cmp(&right),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            ),
            CmpOp::Ge => matches!(
                left.liquid_cmp(&right),
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            ),
            CmpOp::Contains => left.contains(&right),
        })
    }

    /// Right to left: `a and b or c` is `a and (b or c)`.
    fn condition(&self, c: &Condition) -> Result<bool, Error> {
        let mut values = Vec::with_capacity(c.rest.len() + 1);
        values.push(self.comparison(&c.first)?);
        for (_, cmp) in &c.rest {
            values.push(self.comparison(cmp)?);
        }
        let mut result = values.pop().unwrap_or(false);
        for ((logic, _), left) in c.rest.iter().zip(values).rev() {
            result = match logic {
                Logic::And => left && result,
                Logic::Or => left || result,
            };
        }
        Ok(result)
    }

    /// What a loop walks: an array's items, or a range's numbers (computed one at a
    /// time), after `offset` and `limit`.
    fn sequence(
        &self,
        source: &Expr,
        offset: &Option<Expr>,
        limit: &Option<Expr>,
    ) -> Result<Sequence, Error> {
        let items = match self.expr(source)? {
            Value::Range(a, b) => Sequence::Range(a, range_len(a, b)),
            Value::Array(items) => Sequence::Items(items.clone(), items.len() as u64),
            Value::Object(o) => {
                let pairs: Vec<Value> = o
                    .iter()
                    .map(|(k, v)| Value::array(vec![Value::from(k.as_str()), v.clone()]))
                    .collect();
                let n = pairs.len() as u64;
                Sequence::Items(Arc::new(pairs), n)
            }
            _ => Sequence::Items(Arc::new(Vec::new()), 0),
        };
        let count = |e: &Option<Expr>| -> Result<Option<u64>, Error> {
            Ok(match e {
                Some(e) => Some(u64::try_from(int(&self.expr(e)?).max(0)).unwrap_or(0)),
                None => None,
            })
        };
        let offset = count(offset)?.unwrap_or(0);
        let limit = count(limit)?;
        Ok(items.window(offset, limit))
    }

    fn for_loop(&mut self, f: &ForLoop) -> Result<(), Error> {
        let seq = self.sequence(&f.source, &f.offset, &f.limit)?;
        let len = seq.len();
        if len == 0 {
            if let Some(body) = &f.otherwise {
                self.nodes(body)?;
            }
            return Ok(());
        }
        // Only an enclosing loop is a parent: a variable a template assigned the
        // name `forloop` could otherwise chain loop objects without bound.
        let parent = self
            .locals
            .iter()
            .rev()
            .find(|(name, _)| name == "forloop")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        for i in 0..len {
            self.iterate(f.position)?;
            let item = seq.get(if f.reversed { len - 1 - i } else { i });
            let forloop = loop_object(i, len, &parent);
            self.locals.push((f.var.clone(), item));
            self.locals.push(("forloop".to_owned(), forloop));
            let flow = self.nodes(&f.body);
            self.locals.truncate(self.locals.len() - 2);
            if let Flow::Break = flow? {
                break;
            }
        }
        Ok(())
    }

    fn table_row(&mut self, t: &TableRow) -> Result<(), Error> {
        let seq = self.sequence(&t.source, &t.offset, &t.limit)?;
        let len = seq.len();
        let cols = match &t.cols {
            Some(e) => {
                let c = int(&self.expr(e)?);
                if c < 1 {
                    return Err(Error::at(t.position, "`cols:` must be at least 1"));
                }
                u64::try_from(c).unwrap_or(u64::MAX)
            }
            None => len.max(1),
        };
        self.write("<tr class=\"row1\">\n")?;
        for i in 0..len {
            self.iterate(t.position)?;
            let (row, col) = (i / cols, i % cols);
            if i > 0 && col == 0 {
                self.write(&format!("</tr>\n<tr class=\"row{}\">", row + 1))?;
            }
            let mut fields = loop_fields(i, len);
            fields.extend([
                ("col", int_value(col + 1)),
                ("col0", int_value(col)),
                ("col_first", Value::Bool(col == 0)),
                ("col_last", Value::Bool(col + 1 == cols || i + 1 == len)),
                ("row", int_value(row + 1)),
            ]);
            let loop_object = Value::object(fields);
            self.write(&format!("<td class=\"col{}\">", col + 1))?;
            self.locals.push((t.var.clone(), seq.get(i)));
            self.locals.push(("tablerowloop".to_owned(), loop_object));
            let flow = self.nodes(&t.body);
            self.locals.truncate(self.locals.len() - 2);
            let flow = flow?;
            self.write("</td>")?;
            if let Flow::Break = flow {
                break;
            }
        }
        self.write("</tr>\n")
    }
}

enum Sequence {
    /// A range's first number and how many it has.
    Range(i64, u64),
    Items(Arc<Vec<Value>>, u64),
}

impl Sequence {
    fn len(&self) -> u64 {
        match self {
            Sequence::Range(_, n) | Sequence::Items(_, n) => *n,
        }
    }

    fn window(self, offset: u64, limit: Option<u64>) -> Sequence {
        let len = self.len();
        let start = offset.min(len);
        let end = limit.map_or(len, |l| start.saturating_add(l).min(len));
        match self {
            Sequence::Range(a, _) => {
                let first = i128::from(a) + i128::from(start);
                Sequence::Range(first as i64, end - start)
            }
            Sequence::Items(items, n) if start == 0 && end == n => Sequence::Items(items, n),
            Sequence::Items(items, _) => {
                let (s, e) = (start as usize, end as usize);
                Sequence::Items(Arc::new(items[s..e].to_vec()), end - start)
            }
        }
    }

    fn get(&self, i: u64) -> Value {
        match self {
            // Within the range by construction: first + i <= its last number.
            Sequence::Range(first, _) => Value::Int((i128::from(*first) + i128::from(i)) as i64),
            Sequence::Items(items, _) => items.get(i as usize).cloned().unwrap_or_default(),
        }
    }
}

fn int_value(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// What `forloop` and `tablerowloop` both say about iteration `i` of `len`.
fn loop_fields(i: u64, len: u64) -> Vec<(&'static str, Value)> {
    vec![
        ("length", int_value(len)),
        ("index", int_value(i + 1)),
        ("index0", int_value(i)),
        ("rindex", int_value(len - i)),
        ("rindex0", int_value(len - i - 1)),
        ("first", Value::Bool(i == 0)),
        ("last", Value::Bool(i + 1 == len)),
    ]
}

fn loop_object(i: u64, len: u64, parent: &Value) -> Value {
    let mut fields = loop_fields(i, len);
    fields.push(("parentloop", parent.clone()));
    Value::object(fields)
}

fn int(v: &Value) -> i64 {
    match v.to_number() {
        Number::Int(i) => i,
        Number::Float(f) if f.is_nan() => 0,
        Number::Float(f) => f as i64,
    }
}

/// `v[key]`, `v.key`: object keys, array positions (negative from the end), and
/// `size`, `first`, `last`.
fn index(v: &Value, key: &Value) -> Value {
    let name = match key {
        Value::Str(s) => Some(s.as_ref()),
        _ => None,
    };
    match v {
        Value::Object(o) => match name.and_then(|n| o.get(n)) {
            Some(found) => found.clone(),
            None if name == Some("size") => int_value(o.len() as u64),
            None => Value::Nil,
        },
        Value::Array(items) => match (key, name) {
            (Value::Int(i), _) => {
                let len = items.len() as i64;
                let at = if *i < 0 { len.saturating_add(*i) } else { *i };
                usize::try_from(at)
                    .ok()
                    .and_then(|at| items.get(at))
                    .cloned()
                    .unwrap_or_default()
            }
            (_, Some("size")) => int_value(items.len() as u64),
            (_, Some("first")) => items.first().cloned().unwrap_or_default(),
            (_, Some("last")) => items.last().cloned().unwrap_or_default(),
            _ => Value::Nil,
        },
        Value::Range(a, b) => match (key, name) {
            (_, Some("size")) => int_value(range_len(*a, *b)),
            (_, Some("first")) if a <= b => Value::Int(*a),
            (_, Some("last")) if a <= b => Value::Int(*b),
            (Value::Int(i), _) if *i >= 0 && (*i as u64) < range_len(*a, *b) => {
                Value::Int((i128::from(*a) + i128::from(*i)) as i64)
            }
            _ => Value::Nil,
        },
        Value::Str(s) if name == Some("size") => int_value(s.chars().count() as u64),
        _ => Value::Nil,
    }
}
