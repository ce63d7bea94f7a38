//! `fields` and `include_fields`, as the Management API's list endpoints take
//! them: which members of each object an answer keeps.

use serde::Serialize;
use serde_json::Value;

use super::query_error;
use crate::auth0::error::MgmtError;

/// The members kept: those named (`include_fields=true`, the default), or all
/// but those (`false`); everything when no `fields` is given.
pub struct Projection {
    fields: Vec<String>,
    include: bool,
}

impl Projection {
    pub fn parse(
        fields: Option<&str>,
        include_fields: Option<&str>,
        allowed: &[&str],
    ) -> Result<Projection, MgmtError> {
        let include = super::flag("include_fields", include_fields, true)?;
        let fields: Vec<String> = fields
            .unwrap_or_default()
            .split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect();
        if let Some(bad) = fields.iter().find(|f| !allowed.contains(&f.as_str())) {
            return Err(query_error(format!(
                "'{bad}' in fields is not one of: {}",
                allowed.join(", ")
            )));
        }
        Ok(Projection { fields, include })
    }

    pub fn apply(&self, item: impl Serialize) -> Value {
        let mut value = serde_json::to_value(item).unwrap_or(Value::Null);
        if self.fields.is_empty() {
            return value;
        }
        if let Value::Object(map) = &mut value {
            map.retain(|k, _| self.fields.contains(k) == self.include);
        }
        value
    }
}
