//! What a Liquid expression evaluates to, and the rules Liquid applies to it:
//! truthiness, equality, ordering and how it prints.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A template's variables: names to values.
pub type Object = BTreeMap<String, Value>;

/// A Liquid value. Strings, arrays and objects are shared, so reading a variable in a
/// loop costs a reference count, not a copy.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Array(Arc<Vec<Value>>),
    Object(Arc<Object>),
    /// `(a..b)`, inclusive, never materialised unless a filter needs its items.
    Range(i64, i64),
    /// The `empty` literal: equal to "", [] and {}.
    Empty,
    /// The `blank` literal: equal to nil, false, blank strings and empty collections.
    Blank,
}

impl Value {
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    pub fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
        Value::Object(Arc::new(
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ))
    }

    /// Liquid's truth: only `nil` and `false` are false (`0` and `""` are true).
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            Value::Range(a, b) => a > b,
            Value::Empty => true,
            _ => false,
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Value::Nil | Value::Bool(false) | Value::Blank => true,
            Value::Str(s) => s.trim().is_empty(),
            other => other.is_empty_collection(),
        }
    }

    /// The number this value reads as, Liquid-style: numeric strings parse, `nil`
    /// and anything else count as 0.
    pub fn to_number(&self) -> Number {
        match self {
            Value::Int(i) => Number::Int(*i),
            Value::Float(f) => Number::Float(*f),
            Value::Str(s) => parse_number(s.trim()).unwrap_or(Number::Int(0)),
            _ => Number::Int(0),
        }
    }

    /// The value as printed by `{{ }}`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    pub fn render_into(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Nil | Value::Empty | Value::Blank | Value::Object(_) => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&format_float(*f)),
            Value::Str(s) => out.push_str(s),
            Value::Array(items) => items.iter().for_each(|v| v.render_into(out)),
            Value::Range(a, b) => {
                let _ = write!(out, "{a}..{b}");
            }
        }
    }

    /// Bytes this value holds, to keep what a template builds under a cap. Counts a
    /// range as nothing (it is two numbers until something asks for its items).
    pub fn weight(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Array(items) => items
                .iter()
                .fold(items.len(), |sum, v| sum.saturating_add(v.weight())),
            Value::Object(o) => o.iter().fold(o.len(), |sum, (k, v)| {
                sum.saturating_add(k.len()).saturating_add(v.weight())
            }),
            _ => 8,
        }
    }

    /// Whether arrays and objects nest more than `max` deep in this value, found
    /// without recursion (the value may be the deep one).
    pub fn nests_deeper_than(&self, max: usize) -> bool {
        let mut stack = vec![(self, 0usize)];
        while let Some((v, depth)) = stack.pop() {
            if depth > max {
                return true;
            }
            match v {
                Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
                Value::Object(o) => stack.extend(o.values().map(|i| (i, depth + 1))),
                _ => {}
            }
        }
        false
    }

    /// `a == b` as Liquid decides it.
    pub fn liquid_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Empty, v) | (v, Value::Empty) => v.is_empty_collection(),
            (Value::Blank, v) | (v, Value::Blank) => v.is_blank(),
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.to_number().cmp(&other.to_number()) == Some(Ordering::Equal)
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.liquid_eq(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.liquid_eq(vb))
            }
            (Value::Range(a1, b1), Value::Range(a2, b2)) => a1 == a2 && b1 == b2,
            _ => false,
        }
    }

    /// `<`, `>`... : numbers with numbers, strings with strings; anything else
    /// compares as unordered (every such comparison is false).
    pub fn liquid_cmp(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.to_number().cmp(&other.to_number())
            }
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// `a contains b`: a substring, an array item, an object key, a number in a range.
    pub fn contains(&self, needle: &Value) -> bool {
        match self {
            Value::Str(s) => s.contains(needle.render().as_str()),
            Value::Array(items) => items.iter().any(|v| v.liquid_eq(needle)),
            Value::Object(o) => o.contains_key(needle.render().as_str()),
            Value::Range(a, b) => match needle.to_number() {
                Number::Int(n) => (*a..=*b).contains(&n),
                Number::Float(f) => (*a as f64) <= f && f <= (*b as f64),
            },
            _ => false,
        }
    }

    /// A total order for `sort`: nil first, then booleans, numbers, strings, the rest.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Nil | Value::Empty | Value::Blank => 0,
                Value::Bool(_) => 1,
                Value::Int(_) | Value::Float(_) => 2,
                Value::Str(_) => 3,
                _ => 4,
            }
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            _ => self
                .liquid_cmp(other)
                .unwrap_or_else(|| rank(self).cmp(&rank(other))),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s.into())
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        s.map_or(Value::Nil, Value::from)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

/// A number as arithmetic filters see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    pub fn cmp(&self, other: &Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Number::Int(i) => Value::Int(i),
            Number::Float(f) => Value::Float(f),
        }
    }
}

/// `12`, `-3`, `1.5`; an integer too large for 64 bits reads as a float.
pub fn parse_number(s: &str) -> Option<Number> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if !digits.contains('.') {
        return Some(
            s.parse::<i64>()
                .map(Number::Int)
                .unwrap_or_else(|_| Number::Float(s.parse::<f64>().unwrap_or(0.0))),
        );
    }
    let (int, frac) = digits.split_once('.')?;
    if int.is_empty() || frac.is_empty() || frac.contains('.') {
        return None;
    }
    s.parse::<f64>().ok().map(Number::Float)
}

/// Floats print as Ruby prints them: `3.0`, `0.5`, `1.0e+20` for the very large.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == f.trunc() && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    if f.abs() >= 1e16 || f.abs() < 1e-4 {
        let s = format!("{f:e}");
        // Rust writes `1e20` or `1.5e20`; Ruby writes `1.0e+20`.
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        let exp = exp
            .strip_prefix('-')
            .map_or_else(|| format!("+{exp}"), |rest| format!("-{rest}"));
        return format!("{mantissa}e{exp}");
    }
    format!("{f}")
}

/// JSON as Liquid sees it (metadata objects in templates). JSON read by
/// serde_json nests at most 128 deep, so this recursion is bounded.
impl From<&serde_json::Value> for Value {
    fn from(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::array(items.iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::Object(Arc::new(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from(v)))
                    .collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nil_and_false_are_false() {
        assert!(!Value::Nil.is_truthy());
        assert!(!Value::Bool(false).is_truthy());
        assert!(Value::Int(0).is_truthy());
        assert!(Value::from("").is_truthy());
    }

    #[test]
    fn empty_and_blank_compare_as_liquid_says() {
        assert!(Value::from("").liquid_eq(&Value::Empty));
        assert!(Value::array(vec![]).liquid_eq(&Value::Empty));
        assert!(!Value::Nil.liquid_eq(&Value::Empty));
        assert!(Value::Nil.liquid_eq(&Value::Blank));
        assert!(Value::from("  ").liquid_eq(&Value::Blank));
        assert!(!Value::from("x").liquid_eq(&Value::Blank));
    }

    #[test]
    fn nesting_is_measured_without_recursion() {
        let mut v = Value::Nil;
        for _ in 0..100_000 {
            v = Value::array(vec![v]);
        }
        assert!(v.nests_deeper_than(64));
        assert!(!Value::array(vec![Value::array(vec![])]).nests_deeper_than(1));
        // Dropping it must not recurse either: unwrap it level by level.
        while let Value::Array(a) = v {
            v = std::sync::Arc::try_unwrap(a)
                .map(|mut items| items.pop().unwrap_or_default())
                .unwrap_or_default();
        }
    }

    #[test]
    fn numbers_compare_across_int_and_float() {
        assert!(Value::Int(2).liquid_eq(&Value::Float(2.0)));
        assert!(!Value::Int(2).liquid_eq(&Value::from("2")));
        assert_eq!(
            Value::Int(1).liquid_cmp(&Value::Float(1.5)),
            Some(Ordering::Less)
        );
        assert_eq!(Value::Int(1).liquid_cmp(&Value::from("2")), None);
    }

    #[test]
    fn numbers_parse_and_print_as_ruby_does() {
        assert_eq!(parse_number("-12"), Some(Number::Int(-12)));
        assert_eq!(parse_number("1.5"), Some(Number::Float(1.5)));
        assert_eq!(parse_number("1."), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(
            parse_number("99999999999999999999"),
            Some(Number::Float(1e20))
        );
        assert_eq!(format_float(3.0), "3.0");
        assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_float(1e20), "1.0e+20");
        assert_eq!(format_float(-2.5e-30), "-2.5e-30");
    }
}
