//! Renders a parsed template under a budget: a deadline, a cap on loop iterations
//! (ranges are walked, never built), on the output, on each value and on what the
//! template's variables hold in all. Unknown variables render empty, as in Auth0.

use std::collections::HashMap;
use std::time::Instant;

use time::OffsetDateTime;

mod loops;

use super::error::{Error, Position};
use super::expr::{CmpOp, Comparison, Condition, Expr, Logic, Output, Segment, Variable};
use super::filters::{range_len, Call, Env};
use super::limits::Limits;
use super::parser::Node;
use super::value::{Number, Object, Value};

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
}

fn int_value(n: u64) -> Value {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
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
