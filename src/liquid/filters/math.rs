//! Arithmetic: integer operations are checked, and one that overflows goes on in
//! floating point (as Liquid's JavaScript renderer does); division by zero is an error.

use super::Call;
use crate::liquid::error::Error;
use crate::liquid::value::{Number, Value};

fn arith(
    a: Number,
    b: Number,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> f64,
) -> Value {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => int(x, y)
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(float(x as f64, y as f64))),
        (x, y) => Value::Float(float(x.as_f64(), y.as_f64())),
    }
}

fn operand(c: &Call<'_>) -> Number {
    c.arg(0).map(Value::to_number).unwrap_or(Number::Int(0))
}

pub(super) fn plus(c: &Call<'_>) -> Result<Value, Error> {
    Ok(arith(
        c.input.to_number(),
        operand(c),
        i64::checked_add,
        |x, y| x + y,
    ))
}

pub(super) fn minus(c: &Call<'_>) -> Result<Value, Error> {
    Ok(arith(
        c.input.to_number(),
        operand(c),
        i64::checked_sub,
        |x, y| x - y,
    ))
}

pub(super) fn times(c: &Call<'_>) -> Result<Value, Error> {
    Ok(arith(
        c.input.to_number(),
        operand(c),
        i64::checked_mul,
        |x, y| x * y,
    ))
}

/// Integer division rounds down (toward negative infinity), as Liquid's does.
fn floor_div(x: i64, y: i64) -> Option<i64> {
    let q = x.checked_div(y)?;
    if x.checked_rem(y)? != 0 && ((x < 0) != (y < 0)) {
        q.checked_sub(1)
    } else {
        Some(q)
    }
}

/// The remainder takes the divisor's sign, as Liquid's does.
fn floor_mod(x: i64, y: i64) -> Option<i64> {
    if y == -1 {
        // `i64::MIN % -1` overflows, yet every integer divides by -1 evenly.
        return Some(0);
    }
    let r = x.checked_rem(y)?;
    if r != 0 && ((r < 0) != (y < 0)) {
        r.checked_add(y)
    } else {
        Some(r)
    }
}

fn zero(n: Number) -> bool {
    n.as_f64() == 0.0
}

pub(super) fn divided_by(c: &Call<'_>) -> Result<Value, Error> {
    let d = operand(c);
    if zero(d) {
        return Err(Error::new("`divided_by` divides by zero"));
    }
    Ok(arith(c.input.to_number(), d, floor_div, |x, y| x / y))
}

pub(super) fn modulo(c: &Call<'_>) -> Result<Value, Error> {
    let d = operand(c);
    if zero(d) {
        return Err(Error::new("`modulo` divides by zero"));
    }
    Ok(arith(c.input.to_number(), d, floor_mod, |x, y| {
        let r = x % y;
        if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
            r + y
        } else {
            r
        }
    }))
}

pub(super) fn abs(c: &Call<'_>) -> Result<Value, Error> {
    Ok(match c.input.to_number() {
        Number::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .unwrap_or(Value::Float((i as f64).abs())),
        Number::Float(f) => Value::Float(f.abs()),
    })
}

fn bound(c: &Call<'_>, want: std::cmp::Ordering) -> Value {
    let (a, b) = (c.input.to_number(), operand(c));
    if a.cmp(&b) == Some(want) {
        a.into_value()
    } else {
        b.into_value()
    }
}

pub(super) fn at_least(c: &Call<'_>) -> Result<Value, Error> {
    Ok(bound(c, std::cmp::Ordering::Greater))
}

pub(super) fn at_most(c: &Call<'_>) -> Result<Value, Error> {
    Ok(bound(c, std::cmp::Ordering::Less))
}

/// A float rounded to a whole number: an integer when it fits, else the float.
fn whole(f: f64) -> Value {
    if f.is_finite() && f >= i64::MIN as f64 && f < i64::MAX as f64 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

pub(super) fn ceil(c: &Call<'_>) -> Result<Value, Error> {
    Ok(match c.input.to_number() {
        Number::Int(i) => Value::Int(i),
        Number::Float(f) => whole(f.ceil()),
    })
}

pub(super) fn floor(c: &Call<'_>) -> Result<Value, Error> {
    Ok(match c.input.to_number() {
        Number::Int(i) => Value::Int(i),
        Number::Float(f) => whole(f.floor()),
    })
}

pub(super) fn round(c: &Call<'_>) -> Result<Value, Error> {
    let places = match c.arg(0).map(Value::to_number) {
        Some(Number::Int(n)) => n.clamp(0, 15) as i32,
        Some(Number::Float(f)) => f.clamp(0.0, 15.0) as i32,
        None => 0,
    };
    Ok(match c.input.to_number() {
        Number::Int(i) => Value::Int(i),
        Number::Float(f) if places == 0 => whole(f.round()),
        Number::Float(f) => {
            let m = 10f64.powi(places);
            Value::Float((f * m).round() / m)
        }
    })
}
