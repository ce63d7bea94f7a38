//! `date`: `strftime` formatting of `now`, Unix seconds or an ISO 8601 date.

use time::OffsetDateTime;

use super::text::{text, whole_i64};
use super::Call;
use crate::liquid::error::Error;
use crate::liquid::value::Value;

/// `date: "%Y-%m-%d"` on `now`, `today`, Unix seconds or an ISO 8601 date.
pub(super) fn date(c: &Call<'_>) -> Result<Value, Error> {
    let Some(t) = to_datetime(c.input, c.env.now) else {
        return Ok(c.input.clone());
    };
    let format = c.text_arg(0);
    if format.is_empty() {
        return Ok(c.input.clone());
    }
    let out = strftime(t, &format);
    c.check_len(out.len())?;
    text(out)
}

fn to_datetime(v: &Value, now: OffsetDateTime) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    match v {
        Value::Int(secs) => OffsetDateTime::from_unix_timestamp(*secs).ok(),
        Value::Float(f) => OffsetDateTime::from_unix_timestamp(whole_i64(*f)).ok(),
        Value::Str(s) => {
            let s = s.trim();
            match s {
                "now" | "today" => Some(now),
                _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                    OffsetDateTime::from_unix_timestamp(s.parse().ok()?).ok()
                }
                _ => OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
                    let d = time::Date::parse(
                        s.get(..10)?,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                    .ok()?;
                    Some(d.midnight().assume_utc())
                }),
            }
        }
        _ => None,
    }
}

/// The `strftime` directives people use in messages; others are kept as written.
fn strftime(t: OffsetDateTime, format: &str) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let pad = if chars.peek() == Some(&'-') {
            chars.next();
            false
        } else {
            true
        };
        let Some(d) = chars.next() else {
            out.push('%');
            break;
        };
        let num = |n: i64, width: usize| {
            if pad {
                format!("{n:0width$}")
            } else {
                n.to_string()
            }
        };
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let piece = match d {
            'Y' => t.year().to_string(),
            'y' => num(i64::from(t.year().rem_euclid(100)), 2),
            'm' => num(i64::from(u8::from(t.month())), 2),
            'd' => num(i64::from(t.day()), 2),
            'e' => format!("{:>2}", t.day()),
            'j' => num(i64::from(t.ordinal()), 3),
            'H' => num(i64::from(t.hour()), 2),
            'I' => num(i64::from(hour12), 2),
            'k' => format!("{:>2}", t.hour()),
            'l' => format!("{hour12:>2}"),
            'M' => num(i64::from(t.minute()), 2),
            'S' => num(i64::from(t.second()), 2),
            'p' => (if t.hour() < 12 { "AM" } else { "PM" }).to_owned(),
            'P' => (if t.hour() < 12 { "am" } else { "pm" }).to_owned(),
            'B' => t.month().to_string(),
            'b' | 'h' => t.month().to_string().chars().take(3).collect(),
            'A' => t.weekday().to_string(),
            'a' => t.weekday().to_string().chars().take(3).collect(),
            'u' => t.weekday().number_from_monday().to_string(),
            'w' => t.weekday().number_days_from_sunday().to_string(),
            's' => t.unix_timestamp().to_string(),
            'z' => {
                let (h, m, _) = t.offset().as_hms();
                format!(
                    "{}{:02}{:02}",
                    if t.offset().is_negative() { '-' } else { '+' },
                    h.abs(),
                    m.abs()
                )
            }
            'Z' => "UTC".to_owned(),
            'F' => strftime(t, "%Y-%m-%d"),
            'T' => strftime(t, "%H:%M:%S"),
            'D' => strftime(t, "%m/%d/%y"),
            'R' => strftime(t, "%H:%M"),
            '%' => "%".to_owned(),
            other => format!("%{other}"),
        };
        out.push_str(&piece);
    }
    out
}
