//! Admission for the API: the boundary and role rules of [`crate::access`], asked with
//! the ledger's database.

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;

use super::Ledger;
use crate::access::{self, Check};

impl Ledger {
    /// Admits `caller` to `check`, or refuses it (see [`access::admit`]).
    pub async fn admit(&self, caller: &Caller, check: Check<'_>) -> Result<(), Error> {
        access::admit(&self.db, caller, check).await
    }

    /// The organisations whose funds `caller` sees, to filter a list by; `None`: every
    /// fund.
    pub async fn owners_seen_by(&self, caller: &Caller) -> Result<Option<Vec<String>>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        access::scope(&mut conn, caller).await
    }
}
