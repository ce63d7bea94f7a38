//! A whole-number setting with a documented range, checked wherever it is read
//! (an API patch, a stored settings row), so arithmetic on it cannot overflow.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number from `MIN` to `MAX` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bounded<const MIN: u64, const MAX: u64>(u64);

impl<const MIN: u64, const MAX: u64> Bounded<MIN, MAX> {
    /// For defaults, in const context: an out-of-range literal fails the build.
    pub const fn new(value: u64) -> Self {
        assert!(MIN <= value && value <= MAX && MAX <= i64::MAX as u64);
        Bounded(value)
    }

    pub fn try_new(value: u64) -> Option<Self> {
        (MIN..=MAX).contains(&value).then_some(Bounded(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The value as an `i64` (every range ends below `i64::MAX`).
    pub fn get_i64(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// The value as a `u32`, saturating.
    pub fn get_u32(self) -> u32 {
        u32::try_from(self.0).unwrap_or(u32::MAX)
    }
}

impl<const MIN: u64, const MAX: u64> fmt::Display for Bounded<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<const MIN: u64, const MAX: u64> Serialize for Bounded<MIN, MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = u64::deserialize(d)?;
        Bounded::try_new(value).ok_or_else(|| {
            serde::de::Error::custom(format!("{value} is out of range: {MIN} to {MAX}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_range_are_refused_with_the_range() {
        type Secs = Bounded<1, 86_400>;
        assert_eq!(
            serde_json::from_str::<Secs>("300").expect("in range").get(),
            300
        );
        let e = serde_json::from_str::<Secs>("9223372036854776").expect_err("too big");
        assert_eq!(
            e.to_string(),
            "9223372036854776 is out of range: 1 to 86400"
        );
        assert!(serde_json::from_str::<Secs>("0").is_err());
        assert!(serde_json::from_str::<Secs>("-1").is_err());
        assert!(serde_json::from_str::<Secs>("1e30").is_err());
        assert_eq!(serde_json::to_string(&Secs::new(5)).expect("writes"), "5");
    }
}
