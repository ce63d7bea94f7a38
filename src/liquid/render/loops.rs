//! `for` and `tablerow`: what they walk (an array, or a range computed one number
//! at a time) and the `forloop`/`tablerowloop` objects they give the body.

use std::sync::Arc;

use super::{int, int_value, Flow, Renderer};
use crate::liquid::error::Error;
use crate::liquid::expr::Expr;
use crate::liquid::filters::range_len;
use crate::liquid::parser::{ForLoop, TableRow};
use crate::liquid::value::Value;

impl Renderer<'_> {
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

    pub(super) fn for_loop(&mut self, f: &ForLoop) -> Result<(), Error> {
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

    pub(super) fn table_row(&mut self, t: &TableRow) -> Result<(), Error> {
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
