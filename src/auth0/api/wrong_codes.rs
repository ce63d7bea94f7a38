//! The user's wrong-code bucket (Auth0: "invalid codes can be returned 10 times
//! and refill once every six minutes"), as the code-checking grants use it: an
//! empty bucket refuses every check, right or wrong; a wrong code takes a token.
//! Read and spent inside the grant's transaction.

use serde_json::Value;

use crate::auth0::error::AuthError;
use crate::auth0::limits::Bucket;
use crate::auth0::{logs, Auth0, Caller};
use crate::store::limit_buckets::{self, BucketName};
use crate::store::users::UserRow;
use crate::store::{StoreError, Tx};

const TOO_MANY: &str = "Too many failed codes. Wait for some minutes before retrying.";

/// The bucket as the grant's transaction read it.
pub(super) struct WrongCodes {
    bucket: Bucket,
    tat: Option<i64>,
    tenant: String,
    user_id: String,
}

impl WrongCodes {
    /// Takes a token for a wrong code (none left: nothing to take).
    pub async fn spend(&self, tx: &mut Tx, now: i64) -> Result<(), StoreError> {
        if let Ok(tat) = self.bucket.take(self.tat, now) {
            let name = BucketName::FailedCodes;
            limit_buckets::set(&mut *tx, &self.tenant, &self.user_id, name, tat).await?;
        }
        Ok(())
    }
}

impl Auth0 {
    /// The user's bucket, or, when it is empty, Auth0's 429 with `limit_kind`
    /// logged (committed in `tx`, which the refusal ends).
    pub(super) async fn wrong_codes(
        &self,
        mut tx: Tx,
        caller: &Caller,
        user: &UserRow,
        ctx: &logs::Context<'_>,
        limit_kind: &str,
        details: Value,
    ) -> Result<(Tx, WrongCodes), AuthError> {
        let bucket = caller.tenant.settings.limits.failed_codes();
        let (tenant, user_id) = (&caller.tenant.id, &user.user_id);
        let tat = limit_buckets::get(&mut tx, tenant, user_id, BucketName::FailedCodes).await?;
        if bucket.level(tat, self.now_ms(&caller.tenant.id)).tokens == 0 {
            self.log_in(&mut tx, limit_kind, ctx, Some(TOO_MANY), details)
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AuthError::new(429, "invalid_request", TOO_MANY));
        }
        let wrong = WrongCodes {
            bucket,
            tat,
            tenant: tenant.clone(),
            user_id: user_id.clone(),
        };
        Ok((tx, wrong))
    }
}
