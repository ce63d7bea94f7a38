//! Liquid's standard filters, written so that no argument can panic or make them
//! allocate past the template's caps: integer arithmetic is checked (an overflow
//! goes on in floating point, as Liquid's JavaScript renderer does), division by
//! zero is an error, and the filters that can multiply their input (`replace`,
//! `join`, ranges turned into arrays) check the size of their answer first.

use std::sync::Arc;

use time::OffsetDateTime;

mod array;
mod date;
mod math;
mod text;

use super::error::Error;
use super::value::Value;
use array::*;
use date::*;
use math::*;
use text::*;

/// What a filter may use besides its input and arguments.
pub struct Env {
    pub now: OffsetDateTime,
    /// The most bytes one value may hold.
    pub max_value: usize,
    /// The most items an array made from a range may have.
    pub max_array: usize,
}

pub struct Call<'a> {
    pub input: &'a Value,
    pub args: &'a [Value],
    pub keywords: &'a [(String, Value)],
    pub env: &'a Env,
}

impl Call<'_> {
    pub(super) fn arg(&self, i: usize) -> Option<&Value> {
        self.args.get(i)
    }

    pub(super) fn text_arg(&self, i: usize) -> String {
        self.arg(i).map(Value::render).unwrap_or_default()
    }

    pub(super) fn keyword(&self, name: &str) -> Option<&Value> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub(super) fn input_text(&self) -> String {
        self.input.render()
    }

    /// A result string, refused before it is built when it would pass the cap.
    pub(super) fn check_len(&self, len: usize) -> Result<(), Error> {
        if len > self.env.max_value {
            return Err(too_large(self.env.max_value));
        }
        Ok(())
    }
}

pub(super) fn too_large(cap: usize) -> Error {
    Error::new(format!("a value grew past {cap} bytes"))
}

pub(super) type Run = fn(&Call<'_>) -> Result<Value, Error>;

/// A filter: its name, how many positional arguments it takes, its keywords.
pub struct FilterDef {
    pub name: &'static str,
    min: usize,
    max: usize,
    keywords: &'static [&'static str],
    pub run: Run,
}

impl std::fmt::Debug for FilterDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn def(name: &'static str, min: usize, max: usize, run: Run) -> FilterDef {
    FilterDef {
        name,
        min,
        max,
        keywords: &[],
        run,
    }
}

static FILTERS: &[FilterDef] = &[
    def("abs", 0, 0, abs),
    def("append", 1, 1, append),
    def("at_least", 1, 1, at_least),
    def("at_most", 1, 1, at_most),
    def("capitalize", 0, 0, capitalize),
    def("ceil", 0, 0, ceil),
    def("compact", 0, 1, compact),
    def("concat", 1, 1, concat),
    def("date", 1, 1, date),
    FilterDef {
        keywords: &["allow_false"],
        ..def("default", 1, 1, default)
    },
    def("divided_by", 1, 1, divided_by),
    def("downcase", 0, 0, downcase),
    def("escape", 0, 0, escape),
    def("escape_once", 0, 0, escape_once),
    def("first", 0, 0, first),
    def("floor", 0, 0, floor),
    def("join", 0, 1, join),
    def("last", 0, 0, last),
    def("lstrip", 0, 0, lstrip),
    def("map", 1, 1, map),
    def("minus", 1, 1, minus),
    def("modulo", 1, 1, modulo),
    def("newline_to_br", 0, 0, newline_to_br),
    def("plus", 1, 1, plus),
    def("prepend", 1, 1, prepend),
    def("remove", 1, 1, remove),
    def("remove_first", 1, 1, remove_first),
    def("remove_last", 1, 1, remove_last),
    def("replace", 1, 2, replace),
    def("replace_first", 1, 2, replace_first),
    def("replace_last", 1, 2, replace_last),
    def("reverse", 0, 0, reverse),
    def("round", 0, 1, round),
    def("rstrip", 0, 0, rstrip),
    def("size", 0, 0, size),
    def("slice", 1, 2, slice),
    def("sort", 0, 1, sort),
    def("sort_natural", 0, 1, sort_natural),
    def("split", 1, 1, split),
    def("strip", 0, 0, strip),
    def("strip_html", 0, 0, strip_html),
    def("strip_newlines", 0, 0, strip_newlines),
    def("times", 1, 1, times),
    def("truncate", 0, 2, truncate),
    def("truncatewords", 0, 2, truncatewords),
    def("uniq", 0, 1, uniq),
    def("upcase", 0, 0, upcase),
    def("url_decode", 0, 0, url_decode),
    def("url_encode", 0, 0, url_encode),
    def("where", 1, 2, where_),
];

pub fn lookup(name: &str) -> Option<&'static FilterDef> {
    FILTERS.iter().find(|f| f.name == name)
}

/// What the parser knows of a call: how many positional arguments, the keyword
/// names, and the first argument when it is a literal.
pub struct CallShape<'a> {
    pub positional: usize,
    pub keywords: Vec<&'a str>,
    pub first_literal: Option<&'a Value>,
}

impl FilterDef {
    /// Checks a call's arguments when the template is parsed: their number,
    /// keywords, and divisions by a literal zero.
    pub fn check(&self, call: &CallShape<'_>) -> Result<(), Error> {
        check_call(self, call)
    }
}

fn check_call(d: &FilterDef, call: &CallShape<'_>) -> Result<(), Error> {
    let n = call.positional;
    if n < d.min || n > d.max {
        let takes = match (d.min, d.max) {
            (0, 0) => "no arguments".to_owned(),
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, b) => format!("{a} to {b} arguments"),
        };
        return Err(Error::new(format!("`{}` takes {takes}, not {n}", d.name)));
    }
    if let Some(k) = call.keywords.iter().find(|k| !d.keywords.contains(k)) {
        return Err(Error::new(format!("`{}` has no option `{k}`", d.name)));
    }
    if matches!(d.name, "divided_by" | "modulo") {
        if let Some(v) = call.first_literal {
            if v.to_number().as_f64() == 0.0 {
                return Err(Error::new(format!("`{}: 0` divides by zero", d.name)));
            }
        }
    }
    Ok(())
}

/// The items of an array, a range (if small enough) or a single value.
pub fn items(v: &Value, max: usize) -> Result<Arc<Vec<Value>>, Error> {
    Ok(match v {
        Value::Array(a) => a.clone(),
        Value::Range(a, b) => {
            let len = range_len(*a, *b);
            if len > max as u64 {
                return Err(Error::new(format!(
                    "the range ({a}..{b}) has more than {max} items"
                )));
            }
            Arc::new((*a..=*b).map(Value::Int).collect())
        }
        Value::Nil | Value::Empty | Value::Blank => Arc::new(Vec::new()),
        other => Arc::new(vec![other.clone()]),
    })
}

/// Items in `a..=b`, without overflow.
pub fn range_len(a: i64, b: i64) -> u64 {
    if b < a {
        0
    } else {
        (i128::from(b) - i128::from(a) + 1).min(i128::from(u64::MAX)) as u64
    }
}

pub(super) fn get(v: &Value, key: &str) -> Value {
    match v {
        Value::Object(o) => o.get(key).cloned().unwrap_or_default(),
        _ => Value::Nil,
    }
}

#[cfg(test)]
mod tests {
    use super::super::value::Value;
    use super::*;
    use time::OffsetDateTime;

    fn env() -> Env {
        Env {
            now: OffsetDateTime::UNIX_EPOCH,
            max_value: 1000,
            max_array: 100,
        }
    }

    fn run(name: &str, input: Value, args: &[Value]) -> Result<Value, Error> {
        let env = env();
        let f = lookup(name).expect("a filter");
        (f.run)(&Call {
            input: &input,
            args,
            keywords: &[],
            env: &env,
        })
    }

    fn out(name: &str, input: Value, args: &[Value]) -> String {
        run(name, input, args).expect("runs").render()
    }

    #[test]
    fn integer_overflow_goes_on_in_floating_point() {
        let max = Value::Int(i64::MAX);
        let min = Value::Int(i64::MIN);
        assert_eq!(
            out("plus", max.clone(), &[Value::Int(1)]),
            "9.223372036854776e+18"
        );
        assert_eq!(
            out("times", max.clone(), &[Value::Int(2)]),
            "1.8446744073709552e+19"
        );
        assert_eq!(
            out("minus", min.clone(), &[Value::Int(1)]),
            "-9.223372036854776e+18"
        );
        assert_eq!(out("abs", min.clone(), &[]), "9.223372036854776e+18");
        assert_eq!(
            out("divided_by", min.clone(), &[Value::Int(-1)]),
            "9.223372036854776e+18"
        );
        assert_eq!(out("modulo", min, &[Value::Int(-1)]), "0");
    }

    #[test]
    fn division_floors_and_refuses_zero() {
        assert_eq!(out("divided_by", Value::Int(-7), &[Value::Int(2)]), "-4");
        assert_eq!(
            out("divided_by", Value::Int(7), &[Value::Float(2.0)]),
            "3.5"
        );
        assert_eq!(out("modulo", Value::Int(-7), &[Value::Int(3)]), "2");
        assert!(run("divided_by", Value::Int(1), &[Value::Int(0)]).is_err());
        assert!(run("modulo", Value::Int(1), &[Value::Float(0.0)]).is_err());
    }

    #[test]
    fn growth_is_refused_before_it_is_built() {
        let big = Value::from("a".repeat(600));
        assert!(run("append", big.clone(), std::slice::from_ref(&big)).is_err());
        assert!(run(
            "replace",
            big.clone(),
            &[Value::from("a"), Value::from("bb")]
        )
        .is_err());
        assert!(run(
            "replace",
            Value::from("abc"),
            &[Value::from(""), big.clone()]
        )
        .is_err());
        assert!(run("join", Value::array(vec![big.clone(), big]), &[]).is_err());
        assert!(run("join", Value::Range(1, 1_000_000), &[]).is_err());
        assert_eq!(
            out(
                "replace",
                Value::from("abc"),
                &[Value::from(""), Value::from("-")]
            ),
            "-a-b-c-"
        );
    }

    #[test]
    fn extreme_arguments_are_clamped() {
        let s = Value::from("hello");
        for n in [i64::MIN, -1, 0, 1, i64::MAX] {
            for m in [i64::MIN, -1, 0, 2, i64::MAX] {
                run("slice", s.clone(), &[Value::Int(n), Value::Int(m)]).expect("slices");
                run("slice", Value::Range(1, 5), &[Value::Int(n), Value::Int(m)]).expect("slices");
            }
            run("truncate", s.clone(), &[Value::Int(n)]).expect("truncates");
            run("truncatewords", s.clone(), &[Value::Int(n)]).expect("truncates");
            run("round", Value::Float(1.2345), &[Value::Int(n)]).expect("rounds");
            run("date", Value::Int(n), &[Value::from("%Y")]).expect("dates");
        }
        assert_eq!(
            out("slice", s.clone(), &[Value::Int(-3), Value::Int(2)]),
            "ll"
        );
        assert_eq!(
            out("truncate", Value::from("abcdefgh"), &[Value::Int(5)]),
            "ab..."
        );
        assert_eq!(out("ceil", Value::Float(1e300), &[]), "1.0e+300");
    }

    #[test]
    fn html_filters_handle_tags_that_never_close() {
        assert_eq!(out("strip_html", Value::from("<script x>a<b>c"), &[]), "ac");
        assert_eq!(out("strip_html", Value::from("a<script>b"), &[]), "ab");
        assert_eq!(out("strip_html", Value::from("1 < 2 <i>x</i>"), &[]), "1 x");
        assert_eq!(out("escape_once", Value::from("&&amp;"), &[]), "&amp;&amp;");
    }

    #[test]
    fn strings_and_arrays_behave_as_in_liquid() {
        assert_eq!(
            out("capitalize", Value::from("hELLO wORLD"), &[]),
            "Hello world"
        );
        assert_eq!(
            out("escape_once", Value::from("1 &lt; 2 & 3"), &[]),
            "1 &lt; 2 &amp; 3"
        );
        assert_eq!(
            out(
                "strip_html",
                Value::from("<b>hi</b><script>x</script> there<!-- c -->"),
                &[]
            ),
            "hi there"
        );
        assert_eq!(out("url_decode", Value::from("a%20b+c%2"), &[]), "a b c%2");
        let parts = run("split", Value::from("a,b,,"), &[Value::from(",")]).expect("splits");
        assert_eq!(out("join", parts, &[Value::from("-")]), "a-b");
        assert_eq!(
            out(
                "date",
                Value::from("2026-12-01T10:05:00Z"),
                &[Value::from("%-d %b %Y %H:%M")]
            ),
            "1 Dec 2026 10:05"
        );
        assert_eq!(out("default", Value::Nil, &[Value::from("x")]), "x");
        assert_eq!(out("first", Value::from("abc"), &[]), "a");
        assert_eq!(out("size", Value::Range(1, 10), &[]), "10");
    }
}
