//! The Users API a phone test calls (Auth0's Management API v2): list and search
//! (`q` on email, phone number, id, name, connection), get, create, update
//! (metadata merged one level deep), delete, and users-by-email. Answers are
//! Auth0's user objects, fields never set left out.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{invalid, number, query_error};
use crate::auth0::directory;
use crate::auth0::error::MgmtError;
use crate::auth0::tenant::Tenant;
use crate::auth0::Auth0;
use crate::message::phone::PhoneNumber;
use crate::store::users::{
    self, metadata_object, UserFilter, UserRow, DATABASE_CONNECTION, SMS_CONNECTION,
};

/// One identity of a user (Auth0 links several; Phonebox users have one).
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub connection: String,
    pub user_id: String,
    pub provider: &'static str,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
}

/// A user as the Management API answers one.
#[derive(Debug, Clone, Serialize)]
pub struct UserObject {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_verified: Option<bool>,
    pub name: String,
    pub nickname: String,
    pub created_at: String,
    pub updated_at: String,
    pub identities: Vec<Identity>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub user_metadata: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub app_metadata: Map<String, Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logins_count: Option<i64>,
}

impl From<&UserRow> for UserObject {
    fn from(u: &UserRow) -> UserObject {
        let sms = u.connection == SMS_CONNECTION;
        let name = u.name.clone().unwrap_or_else(|| u.user_name().to_owned());
        let nickname = u.nickname.clone().unwrap_or_else(|| {
            u.email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .unwrap_or(u.user_name())
                .to_owned()
        });
        UserObject {
            user_id: u.user_id.clone(),
            email: u.email.clone(),
            email_verified: u.email.as_ref().map(|_| u.email_verified),
            phone_number: u.phone_number.clone(),
            phone_verified: u.phone_number.as_ref().map(|_| u.phone_verified),
            name,
            nickname,
            created_at: crate::unix_ms::rfc3339_ms(u.created_at),
            updated_at: crate::unix_ms::rfc3339_ms(u.updated_at),
            identities: vec![Identity {
                connection: u.connection.clone(),
                user_id: u
                    .user_id
                    .split_once('|')
                    .map_or(u.user_id.as_str(), |(_, id)| id)
                    .to_owned(),
                provider: if sms { "sms" } else { "auth0" },
                is_social: false,
            }],
            user_metadata: metadata_object(&u.user_metadata),
            app_metadata: metadata_object(&u.app_metadata),
            blocked: u.blocked,
            last_login: u.last_login.map(crate::unix_ms::rfc3339_ms),
            last_ip: u.last_ip.clone(),
            logins_count: (u.logins_count > 0).then_some(u.logins_count),
        }
    }
}

/// `GET /api/v2/users`'s query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserQuery {
    pub q: Option<String>,
    pub search_engine: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    pub include_totals: Option<String>,
    pub fields: Option<String>,
    pub include_fields: Option<String>,
    pub email: Option<String>,
}

/// A page of users with its totals.
#[derive(Debug, Clone, Serialize)]
pub struct UserPage {
    pub start: u32,
    pub limit: u32,
    pub length: usize,
    pub total: i64,
    pub users: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Users {
    List(Vec<Value>),
    Page(UserPage),
}

/// The body of `POST /api/v2/users` and `PATCH /api/v2/users/{id}`: what is
/// sent is set (a PATCH cannot change `user_id` or `connection`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFields {
    pub connection: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub verify_email: Option<bool>,
    pub phone_number: Option<String>,
    pub phone_verified: Option<bool>,
    pub password: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub user_metadata: Option<Map<String, Value>>,
    pub app_metadata: Option<Map<String, Value>>,
    pub blocked: Option<bool>,
}

/// Auth0 pages through at most this many users.
const MAX_RESULTS: u32 = 1000;
const USER_FIELDS: &[&str] = &[
    "user_id",
    "email",
    "email_verified",
    "phone_number",
    "phone_verified",
    "name",
    "nickname",
    "created_at",
    "updated_at",
    "identities",
    "user_metadata",
    "app_metadata",
    "blocked",
    "last_login",
    "last_ip",
    "logins_count",
];

pub fn inexistent_user() -> MgmtError {
    MgmtError::new(404, "The user does not exist.", Some("inexistent_user"))
}

/// Reads the user search `q` Phonebox answers: `field:value` terms joined by
/// `AND` (or spaces), values bare or quoted, on `email`, `phone_number`,
/// `user_id`, `name` and `identities.connection`.
fn parse_q(q: &str) -> Result<UserFilter, MgmtError> {
    let error = |m: String| {
        MgmtError::new(
            400,
            format!("The search query string has an error: {m}"),
            Some("invalid_query_string"),
        )
    };
    let mut filter = UserFilter::default();
    let mut rest = q.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once(':')
            .ok_or_else(|| error(format!("'{rest}' is not field:value")))?;
        let field = field.trim();
        let after = after.trim_start();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| error(format!("unterminated quote after '{field}:'")))?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_at(after.find(char::is_whitespace).unwrap_or(after.len())),
        };
        if value.is_empty() {
            return Err(error(format!("expected a value after '{field}:'")));
        }
        if value.contains('*') {
            return Err(error(format!(
                "Phonebox searches users by exact value; '{value}' has a wildcard"
            )));
        }
        let slot = match field {
            "email" => &mut filter.email,
            "phone_number" => &mut filter.phone_number,
            "user_id" => &mut filter.user_id,
            "name" => &mut filter.name,
            "identities.connection" => &mut filter.connection,
            other => return Err(error(format!("unknown field {other}"))),
        };
        *slot = Some(value.to_owned());
        rest = next.trim_start();
        rest = rest.strip_prefix("AND ").unwrap_or(rest).trim_start();
    }
    Ok(filter)
}

fn phone(number: &str) -> Result<String, MgmtError> {
    PhoneNumber::parse(number)
        .map(|p| p.as_str().to_owned())
        .map_err(|e| invalid(format!("'phone_number': {e}")))
}

/// Metadata Phonebox keeps: at most 64 KiB and 10 levels per object, and no
/// field name with `.` or `$` (Auth0's rule for metadata names), so what is
/// stored can be sent in any event and rendered in any template.
const MAX_METADATA_BYTES: usize = 64 * 1024;
const MAX_METADATA_DEPTH: usize = 10;

/// The lengths Auth0's user schema allows (`name`/`nickname` 1–300,
/// `given_name`/`family_name` 1–150, `user_id` at most 255); an email and a
/// password get Phonebox's 512 and 1024, so no field of a user is unbounded.
fn check_lengths(body: &UserFields) -> Result<(), MgmtError> {
    let fields = [
        ("name", &body.name, 300),
        ("nickname", &body.nickname, 300),
        ("given_name", &body.given_name, 150),
        ("family_name", &body.family_name, 150),
        ("user_id", &body.user_id, 255),
        ("email", &body.email, 512),
        ("password", &body.password, 1024),
    ];
    for (field, value, max) in fields {
        if let Some(v) = value {
            let chars = v.chars().count();
            if chars == 0 || chars > max {
                return Err(invalid(format!(
                    "'{field}' must be 1 to {max} characters, not {chars}"
                )));
            }
        }
    }
    Ok(())
}

fn check_metadata(name: &str, meta: &Map<String, Value>) -> Result<(), MgmtError> {
    fn walk(value: &Value, depth: usize, path: &str) -> Result<(), String> {
        if depth > MAX_METADATA_DEPTH {
            return Err(format!(
                "{path} nests deeper than {MAX_METADATA_DEPTH} levels"
            ));
        }
        match value {
            Value::Object(map) => map.iter().try_for_each(|(k, v)| {
                if k.contains('.') || k.contains('$') || k.is_empty() {
                    return Err(format!(
                        "{path}: the field name '{k}' may not be empty or hold '.' or '$'"
                    ));
                }
                walk(v, depth + 1, &format!("{path}.{k}"))
            }),
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, depth + 1, path)),
            _ => Ok(()),
        }
    }
    let whole = Value::Object(meta.clone());
    walk(&whole, 0, name).map_err(invalid)?;
    if whole.to_string().len() > MAX_METADATA_BYTES {
        return Err(invalid(format!(
            "{name} is larger than {MAX_METADATA_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Auth0 merges metadata one level deep: a `null` member removes its key.
fn merge(stored: &str, patch: Map<String, Value>) -> String {
    let mut current = metadata_object(stored);
    for (k, v) in patch {
        if v.is_null() {
            current.remove(&k);
        } else {
            current.insert(k, v);
        }
    }
    Value::Object(current).to_string()
}

impl Auth0 {
    /// `GET /api/v2/users`.
    pub async fn users_search(
        &self,
        tenant: &Tenant,
        query: &UserQuery,
    ) -> Result<Users, MgmtError> {
        if query.search_engine.as_deref() == Some("v1") {
            return Err(query_error(
                "search_engine v1 is no longer available; use v3",
            ));
        }
        let filter = match query.q.as_deref().filter(|q| !q.trim().is_empty()) {
            Some(q) => parse_q(q)?,
            None => UserFilter::default(),
        };
        let projection = super::fields::Projection::parse(
            query.fields.as_deref(),
            query.include_fields.as_deref(),
            USER_FIELDS,
        )?;
        let page = number("page", query.page.as_deref(), 0, u32::MAX)?;
        let per_page = number("per_page", query.per_page.as_deref(), 50, 100)?;
        let start = page.saturating_mul(per_page);
        if start.saturating_add(per_page) > MAX_RESULTS {
            return Err(MgmtError::new(
                400,
                "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation.",
                Some("invalid_paging"),
            ));
        }
        let (rows, total) =
            users::search(self.store(), &tenant.id, &filter, start, per_page).await?;
        let found: Vec<Value> = rows
            .iter()
            .map(|u| projection.apply(UserObject::from(u)))
            .collect();
        if query.include_totals.as_deref() == Some("true") {
            return Ok(Users::Page(UserPage {
                start,
                limit: per_page,
                length: found.len(),
                total,
                users: found,
            }));
        }
        Ok(Users::List(found))
    }

    /// `GET /api/v2/users-by-email`.
    pub async fn users_by_email(
        &self,
        tenant: &Tenant,
        query: &UserQuery,
    ) -> Result<Vec<Value>, MgmtError> {
        let email = query
            .email
            .as_deref()
            .filter(|e| !e.is_empty())
            .ok_or_else(|| query_error("Missing required property: email"))?;
        let projection = super::fields::Projection::parse(
            query.fields.as_deref(),
            query.include_fields.as_deref(),
            USER_FIELDS,
        )?;
        Ok(users::all_by_email(self.store(), &tenant.id, email)
            .await?
            .iter()
            .map(|u| projection.apply(UserObject::from(u)))
            .collect())
    }

    /// The user `id`, or Auth0's 404.
    pub async fn user_row(&self, tenant: &Tenant, id: &str) -> Result<UserRow, MgmtError> {
        users::get(self.store(), &tenant.id, id)
            .await?
            .ok_or_else(inexistent_user)
    }

    pub async fn user(&self, tenant: &Tenant, id: &str) -> Result<UserObject, MgmtError> {
        Ok(UserObject::from(&self.user_row(tenant, id).await?))
    }

    /// `POST /api/v2/users`: a database user (email and password) or an SMS one
    /// (phone number).
    pub async fn create_user(
        &self,
        tenant: &Tenant,
        body: UserFields,
    ) -> Result<UserObject, MgmtError> {
        let connection = body
            .connection
            .as_deref()
            .ok_or_else(|| invalid("Missing required property: connection"))?;
        check_lengths(&body)?;
        for (name, meta) in [
            ("user_metadata", &body.user_metadata),
            ("app_metadata", &body.app_metadata),
        ] {
            if let Some(meta) = meta {
                check_metadata(name, meta)?;
            }
        }
        let now = self.now_ms(&tenant.id);
        let mut row = UserRow {
            tenant: tenant.id.clone(),
            connection: connection.to_owned(),
            name: body.name,
            nickname: body.nickname,
            user_metadata: Value::Object(body.user_metadata.unwrap_or_default()).to_string(),
            app_metadata: Value::Object(body.app_metadata.unwrap_or_default()).to_string(),
            blocked: body.blocked.unwrap_or(false),
            email_verified: body.email_verified.unwrap_or(false),
            phone_verified: body.phone_verified.unwrap_or(false),
            created_at: now,
            updated_at: now,
            ..UserRow::default()
        };
        let id = body.user_id.filter(|id| !id.trim().is_empty());
        match connection {
            DATABASE_CONNECTION => {
                let email = body
                    .email
                    .filter(|e| e.contains('@'))
                    .ok_or_else(|| invalid("Missing required property: email"))?;
                let password = body
                    .password
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| invalid("Missing required property: password"))?;
                row.email = Some(email.to_ascii_lowercase());
                row.password_hash = Some(directory::hash_secret(&password));
                row.phone_number = body.phone_number.as_deref().map(phone).transpose()?;
                row.user_id = format!("auth0|{}", id.unwrap_or_else(|| crate::random::hex(12)));
            }
            SMS_CONNECTION => {
                let number = body
                    .phone_number
                    .as_deref()
                    .ok_or_else(|| invalid("Missing required property: phone_number"))?;
                row.phone_number = Some(phone(number)?);
                row.email = body.email.map(|e| e.to_ascii_lowercase());
                row.user_id = format!("sms|{}", id.unwrap_or_else(|| crate::random::hex(12)));
            }
            _ => {
                return Err(MgmtError::new(
                    400,
                    "The connection does not exist.",
                    Some("inexistent_connection"),
                ))
            }
        }
        if !users::insert(self.store(), &row).await? {
            return Err(MgmtError::new(
                409,
                "The user already exists.",
                Some("auth0_idp_error"),
            ));
        }
        Ok(UserObject::from(&row))
    }

    /// `PATCH /api/v2/users/{id}`.
    pub async fn update_user(
        &self,
        tenant: &Tenant,
        id: &str,
        patch: UserFields,
    ) -> Result<UserObject, MgmtError> {
        if patch.user_id.is_some() {
            return Err(invalid("user_id cannot be changed"));
        }
        check_lengths(&patch)?;
        let mut tx = self.store().begin().await?;
        let mut row = users::get(&mut tx, &tenant.id, id)
            .await?
            .ok_or_else(inexistent_user)?;
        if let Some(email) = patch.email {
            row.email = Some(email.to_ascii_lowercase());
        }
        if let Some(number) = patch.phone_number {
            row.phone_number = Some(phone(&number)?);
        }
        if let Some(password) = patch.password {
            if row.connection == SMS_CONNECTION {
                return Err(invalid("an sms user has no password"));
            }
            row.password_hash = Some(directory::hash_secret(&password));
        }
        row.email_verified = patch.email_verified.unwrap_or(row.email_verified);
        row.phone_verified = patch.phone_verified.unwrap_or(row.phone_verified);
        row.blocked = patch.blocked.unwrap_or(row.blocked);
        row.name = patch.name.or(row.name);
        row.nickname = patch.nickname.or(row.nickname);
        if let Some(meta) = patch.user_metadata {
            row.user_metadata = merge(&row.user_metadata, meta);
            check_metadata("user_metadata", &metadata_object(&row.user_metadata))?;
        }
        if let Some(meta) = patch.app_metadata {
            row.app_metadata = merge(&row.app_metadata, meta);
            check_metadata("app_metadata", &metadata_object(&row.app_metadata))?;
        }
        row.updated_at = self.now_ms(&tenant.id);
        if !users::update(&mut tx, &row).await? {
            return Err(MgmtError::new(
                409,
                "The specified new email or phone number already exists.",
                Some("auth0_idp_error"),
            ));
        }
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        Ok(UserObject::from(&row))
    }

    /// `DELETE /api/v2/users/{id}`: 204 whether or not the user was there, as Auth0.
    pub async fn delete_user(&self, tenant: &Tenant, id: &str) -> Result<(), MgmtError> {
        users::delete(self.store(), &tenant.id, id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_q_reads_exact_terms_and_refuses_the_rest() {
        let f = parse_q(r#"email:"a@b.c" AND phone_number:+15550001"#).expect("parses");
        assert_eq!(f.email.as_deref(), Some("a@b.c"));
        assert_eq!(f.phone_number.as_deref(), Some("+15550001"));
        let f = parse_q("identities.connection:sms").expect("parses");
        assert_eq!(f.connection.as_deref(), Some("sms"));
        assert!(parse_q("colour:red").is_err());
        assert!(parse_q(r#"email:"open"#).is_err());
        assert!(parse_q("email:").is_err());
        assert!(parse_q("name:jo*").is_err());
    }

    #[test]
    fn metadata_merges_one_level_and_null_removes() {
        let merged = merge(
            r#"{"a":1,"b":{"x":1}}"#,
            serde_json::from_str(r#"{"a":null,"b":{"y":2},"c":3}"#).expect("json"),
        );
        assert_eq!(
            serde_json::from_str::<Value>(&merged).expect("json"),
            serde_json::json!({ "b": { "y": 2 }, "c": 3 })
        );
    }
}
