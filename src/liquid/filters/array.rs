//! Array filters; a range is turned into items only if it is short enough.

use std::collections::HashSet;
use std::sync::Arc;

use super::text::text;
use super::{get, items, Call};
use crate::liquid::error::Error;
use crate::liquid::value::Value;

fn array_input(c: &Call<'_>) -> Result<Arc<Vec<Value>>, Error> {
    items(c.input, c.env.max_array)
}

/// The first or last item of an array or range, or character of a string.
fn end_of(c: &Call<'_>, last: bool) -> Value {
    let pick = |mut it: Box<dyn DoubleEndedIterator<Item = Value> + '_>| {
        if last { it.next_back() } else { it.next() }.unwrap_or_default()
    };
    match c.input {
        Value::Str(s) => pick(Box::new(s.chars().map(|ch| Value::from(ch.to_string())))),
        Value::Range(a, b) if a <= b => Value::Int(if last { *b } else { *a }),
        Value::Array(items) => pick(Box::new(items.iter().cloned())),
        _ => Value::Nil,
    }
}

pub(super) fn first(c: &Call<'_>) -> Result<Value, Error> {
    Ok(end_of(c, false))
}

pub(super) fn last(c: &Call<'_>) -> Result<Value, Error> {
    Ok(end_of(c, true))
}

pub(super) fn join(c: &Call<'_>) -> Result<Value, Error> {
    let items = array_input(c)?;
    let glue = c.arg(0).map_or_else(|| " ".to_owned(), Value::render);
    let mut parts = Vec::with_capacity(items.len());
    let mut total = glue.len().saturating_mul(items.len().saturating_sub(1));
    for v in items.iter() {
        let s = v.render();
        total = total.saturating_add(s.len());
        c.check_len(total)?;
        parts.push(s);
    }
    text(parts.join(&glue))
}

pub(super) fn concat(c: &Call<'_>) -> Result<Value, Error> {
    let other = match c.arg(0) {
        Some(v @ (Value::Array(_) | Value::Range(..))) => items(v, c.env.max_array)?,
        _ => return Err(Error::new("`concat` takes an array")),
    };
    let mine = array_input(c)?;
    if mine.len().saturating_add(other.len()) > c.env.max_array {
        return Err(Error::new(format!(
            "an array grew past {} items",
            c.env.max_array
        )));
    }
    let mut out = Vec::with_capacity(mine.len() + other.len());
    out.extend(mine.iter().cloned());
    out.extend(other.iter().cloned());
    Ok(Value::array(out))
}

pub(super) fn reverse(c: &Call<'_>) -> Result<Value, Error> {
    match c.input {
        Value::Array(_) | Value::Range(..) => {
            let mut out = array_input(c)?.as_ref().clone();
            out.reverse();
            Ok(Value::array(out))
        }
        other => Ok(other.clone()),
    }
}

fn by_property(c: &Call<'_>, v: &Value) -> Value {
    match c.arg(0) {
        Some(p) => get(v, &p.render()),
        None => v.clone(),
    }
}

pub(super) fn compact(c: &Call<'_>) -> Result<Value, Error> {
    let items = array_input(c)?;
    Ok(Value::array(
        items
            .iter()
            .filter(|v| !matches!(by_property(c, v), Value::Nil))
            .cloned()
            .collect(),
    ))
}

pub(super) fn map(c: &Call<'_>) -> Result<Value, Error> {
    let items = array_input(c)?;
    let key = c.text_arg(0);
    Ok(Value::array(items.iter().map(|v| get(v, &key)).collect()))
}

pub(super) fn sort(c: &Call<'_>) -> Result<Value, Error> {
    let mut out = array_input(c)?.as_ref().clone();
    out.sort_by(|a, b| by_property(c, a).sort_cmp(&by_property(c, b)));
    Ok(Value::array(out))
}

pub(super) fn sort_natural(c: &Call<'_>) -> Result<Value, Error> {
    let mut keyed: Vec<(String, Value)> = array_input(c)?
        .iter()
        .map(|v| (by_property(c, v).render().to_lowercase(), v.clone()))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::array(keyed.into_iter().map(|(_, v)| v).collect()))
}

pub(super) fn uniq(c: &Call<'_>) -> Result<Value, Error> {
    let mut seen = HashSet::new();
    let items = array_input(c)?;
    Ok(Value::array(
        items
            .iter()
            .filter(|v| {
                let key = by_property(c, v);
                seen.insert((std::mem::discriminant(&key), key.render()))
            })
            .cloned()
            .collect(),
    ))
}

pub(super) fn where_(c: &Call<'_>) -> Result<Value, Error> {
    let items = array_input(c)?;
    let key = c.text_arg(0);
    let wanted = c.arg(1);
    Ok(Value::array(
        items
            .iter()
            .filter(|v| {
                let found = get(v, &key);
                match wanted {
                    Some(w) => found.liquid_eq(w),
                    None => found.is_truthy(),
                }
            })
            .cloned()
            .collect(),
    ))
}
