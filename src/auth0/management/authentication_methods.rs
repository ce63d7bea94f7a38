//! A user's MFA factors through the Management API: authentication methods
//! (`/users/{id}/authentication-methods`), Guardian enrollments
//! (`/users/{id}/enrollments`, `/guardian/enrollments/{id}`) and
//! recovery-code regeneration. The same phones the MFA API enrolls: one phone is
//! one `phone|dev_…` method, challenged as `sms|dev_…` or `voice|dev_…`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::users::inexistent_user;
use crate::auth0::api::masked;
use crate::auth0::api::recovery;
use crate::auth0::error::MgmtError;
use crate::auth0::tenant::Tenant;
use crate::auth0::{logs, Auth0};
use crate::message::phone::PhoneNumber;
use crate::message::Channel;
use crate::store::mfa_enrollments::{self, EnrollmentRow};
use crate::store::recovery_codes;
use crate::store::users::UserRow;
use crate::store::StoreError;

/// One way a method is challenged (`sms|dev_…`).
#[derive(Debug, Clone, Serialize)]
pub struct MethodChannel {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One authentication method, as `GET /users/{id}/authentication-methods` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_authentication_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authentication_methods: Vec<MethodChannel>,
    pub created_at: String,
}

/// The list with totals (`include_totals=true`).
#[derive(Debug, Clone, Serialize)]
pub struct MethodPage {
    pub authenticators: Vec<Method>,
    pub start: u32,
    pub limit: u32,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Methods {
    List(Vec<Method>),
    Page(MethodPage),
}

/// `POST /users/{id}/authentication-methods`: Phonebox emulates phones.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMethod {
    #[serde(rename = "type")]
    pub kind: String,
    pub phone_number: Option<String>,
    pub name: Option<String>,
    pub preferred_authentication_method: Option<String>,
}

/// A Guardian enrollment (`/users/{id}/enrollments`, `/guardian/enrollments/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct Enrollment {
    pub id: String,
    pub status: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub auth_method: &'static str,
    pub phone_number: String,
    pub enrolled_at: String,
}

/// `POST /users/{id}/recovery-code-regeneration`.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryCode {
    pub recovery_code: String,
}

fn not_found() -> MgmtError {
    MgmtError::new(
        404,
        "Authentication method not found",
        Some("inexistent_authentication_method"),
    )
}

impl Auth0 {
    fn phone_method(&self, tenant: &Tenant, e: &EnrollmentRow) -> Method {
        let channels = [Channel::Sms, Channel::Voice]
            .into_iter()
            .filter(|c| tenant.settings.allows(*c))
            .map(|c| MethodChannel {
                id: format!("{}|{}", c.as_str(), e.id),
                kind: c.as_str(),
            })
            .collect();
        Method {
            id: format!("phone|{}", e.id),
            kind: "phone",
            confirmed: e.active,
            name: None,
            phone_number: Some(masked(&e.phone_number)),
            preferred_authentication_method: Some("sms"),
            authentication_methods: channels,
            created_at: crate::unix_ms::rfc3339_ms(e.created_at),
        }
    }

    async fn methods_of(&self, tenant: &Tenant, user: &UserRow) -> Result<Vec<Method>, MgmtError> {
        let mut list: Vec<Method> =
            mfa_enrollments::for_user(self.store(), &user.tenant, &user.user_id)
                .await?
                .iter()
                .map(|e| self.phone_method(tenant, e))
                .collect();
        if let Some(r) = recovery_codes::for_user(self.store(), &user.tenant, &user.user_id).await?
        {
            list.push(Method {
                id: format!("recovery-code|{}", r.id),
                kind: "recovery-code",
                confirmed: true,
                name: None,
                phone_number: None,
                preferred_authentication_method: None,
                authentication_methods: Vec::new(),
                created_at: crate::unix_ms::rfc3339_ms(r.created_at),
            });
        }
        Ok(list)
    }

    /// `GET /users/{id}/authentication-methods`.
    pub async fn authentication_methods(
        &self,
        tenant: &Tenant,
        user_id: &str,
        include_totals: Option<&str>,
    ) -> Result<Methods, MgmtError> {
        let totals = super::flag("include_totals", include_totals, false)?;
        let user = self.user_row(tenant, user_id).await?;
        let list = self.methods_of(tenant, &user).await?;
        if totals {
            let total = list.len();
            return Ok(Methods::Page(MethodPage {
                limit: 50,
                start: 0,
                total,
                authenticators: list,
            }));
        }
        Ok(Methods::List(list))
    }

    /// `GET /users/{id}/authentication-methods/{method}`.
    pub async fn authentication_method(
        &self,
        tenant: &Tenant,
        user_id: &str,
        method: &str,
    ) -> Result<Method, MgmtError> {
        let user = self.user_row(tenant, user_id).await?;
        self.methods_of(tenant, &user)
            .await?
            .into_iter()
            .find(|m| m.id == method || m.id.ends_with(&format!("|{}", dev(method))))
            .ok_or_else(not_found)
    }

    /// `POST /users/{id}/authentication-methods`: a confirmed phone, as an
    /// administrator adds one.
    pub async fn add_authentication_method(
        &self,
        tenant: &Tenant,
        user_id: &str,
        body: NewMethod,
    ) -> Result<Method, MgmtError> {
        if body.kind != "phone" {
            return Err(MgmtError::bad_request(format!(
                "Payload validation error: type '{}' is not emulated (Phonebox emulates phone)",
                body.kind
            )));
        }
        if let Some(p) = body
            .preferred_authentication_method
            .as_deref()
            .filter(|p| !["sms", "voice"].contains(p))
        {
            return Err(MgmtError::bad_request(format!(
                "Payload validation error: preferred_authentication_method must be sms or voice, not '{p}'"
            )));
        }
        let number = body.phone_number.as_deref().ok_or_else(|| {
            MgmtError::bad_request(
                "Payload validation error: Missing required property: phone_number",
            )
        })?;
        let phone = PhoneNumber::parse(number).map_err(|e| {
            MgmtError::bad_request(format!("Payload validation error: 'phone_number': {e}"))
        })?;
        // The user is read and the phone written in one transaction, so a user
        // deleted meanwhile is a 404, not a dangling row.
        let mut tx = self.store().begin().await?;
        let user = crate::store::users::get(&mut tx, &tenant.id, user_id)
            .await?
            .ok_or_else(inexistent_user)?;
        let now = self.now_ms(&tenant.id);
        let row = EnrollmentRow {
            id: format!("dev_{}", crate::random::token(12)),
            tenant: tenant.id.clone(),
            user_id: user.user_id.clone(),
            phone_number: phone.as_str().to_owned(),
            active: true,
            created_at: now,
            confirmed_at: Some(now),
        };
        mfa_enrollments::insert(&mut tx, &row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let mut method = self.phone_method(tenant, &row);
        method.name = body.name;
        Ok(method)
    }

    /// `DELETE /users/{id}/authentication-methods/{method}`, or all of them.
    pub async fn delete_authentication_methods(
        &self,
        tenant: &Tenant,
        user_id: &str,
        method: Option<&str>,
    ) -> Result<(), MgmtError> {
        let mut tx = self.store().begin().await?;
        let user = crate::store::users::get(&mut tx, &tenant.id, user_id)
            .await?
            .ok_or_else(inexistent_user)?;
        let enrollments = mfa_enrollments::for_user(&mut tx, &user.tenant, &user.user_id).await?;
        let chosen: Vec<&EnrollmentRow> = match method {
            Some(m) => {
                let found = enrollments
                    .iter()
                    .filter(|e| e.id == dev(m))
                    .collect::<Vec<_>>();
                if found.is_empty() {
                    return Err(not_found());
                }
                found
            }
            None => enrollments.iter().collect(),
        };
        for e in &chosen {
            mfa_enrollments::delete(&mut tx, &user.tenant, &user.user_id, &e.id).await?;
            self.log_unenroll(&mut tx, tenant, &user, &format!("phone|{}", e.id))
                .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    async fn log_unenroll(
        &self,
        tx: &mut crate::store::Tx,
        tenant: &Tenant,
        user: &UserRow,
        authenticator: &str,
    ) -> Result<(), StoreError> {
        let ctx = logs::Context {
            tenant: &tenant.id,
            user_id: Some(&user.user_id),
            user_name: Some(user.user_name()),
            connection: Some(&user.connection),
            ..logs::Context::default()
        };
        self.log_in(
            tx,
            "gd_unenroll",
            &ctx,
            None,
            json!({ "authenticator": authenticator, "by": "management_api" }),
        )
        .await
    }

    /// `GET /users/{id}/enrollments`.
    pub async fn enrollments(
        &self,
        tenant: &Tenant,
        user_id: &str,
    ) -> Result<Vec<Enrollment>, MgmtError> {
        let user = self.user_row(tenant, user_id).await?;
        Ok(
            mfa_enrollments::for_user(self.store(), &user.tenant, &user.user_id)
                .await?
                .iter()
                .map(enrollment)
                .collect(),
        )
    }

    /// `GET /guardian/enrollments/{id}`.
    pub async fn guardian_enrollment(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Enrollment, MgmtError> {
        mfa_enrollments::by_id(self.store(), &tenant.id, id)
            .await?
            .map(|e| enrollment(&e))
            .ok_or_else(|| {
                MgmtError::new(404, "Enrollment not found", Some("inexistent_enrollment"))
            })
    }

    /// `DELETE /guardian/enrollments/{id}`.
    pub async fn delete_guardian_enrollment(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<(), MgmtError> {
        let mut tx = self.store().begin().await?;
        let Some(e) = mfa_enrollments::by_id(&mut tx, &tenant.id, id).await? else {
            return Err(MgmtError::new(
                404,
                "Enrollment not found",
                Some("inexistent_enrollment"),
            ));
        };
        let user = crate::store::users::get(&mut tx, &tenant.id, &e.user_id)
            .await?
            .ok_or_else(inexistent_user)?;
        mfa_enrollments::delete(&mut tx, &e.tenant, &e.user_id, &e.id).await?;
        self.log_unenroll(&mut tx, tenant, &user, &format!("phone|{}", e.id))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// `POST /users/{id}/recovery-code-regeneration`: a new code replaces the old.
    pub async fn regenerate_recovery_code(
        &self,
        tenant: &Tenant,
        user_id: &str,
    ) -> Result<RecoveryCode, MgmtError> {
        let mut tx = self.store().begin().await?;
        let user = crate::store::users::get(&mut tx, &tenant.id, user_id)
            .await?
            .ok_or_else(inexistent_user)?;
        let (code, row) = recovery::new_code(&user.tenant, &user.user_id, self.now_ms(&tenant.id));
        recovery_codes::upsert(&mut tx, &row).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(RecoveryCode {
            recovery_code: code,
        })
    }
}

/// `sms|dev_X`, `phone|dev_X` or `dev_X` all name enrollment `dev_X`.
fn dev(method: &str) -> &str {
    method.split_once('|').map_or(method, |(_, d)| d)
}

fn enrollment(e: &EnrollmentRow) -> Enrollment {
    Enrollment {
        id: e.id.clone(),
        status: if e.active { "confirmed" } else { "pending" },
        kind: "sms",
        auth_method: "sms",
        phone_number: masked(&e.phone_number),
        enrolled_at: crate::unix_ms::rfc3339_ms(e.confirmed_at.unwrap_or(e.created_at)),
    }
}
