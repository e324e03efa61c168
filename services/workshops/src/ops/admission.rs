//! Admission: the boundary and role checks of `crate::access`, each on a connection of
//! its own, before a call's handler runs.

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;

use super::Workshops;
use crate::access::{self, Check, Scope};

impl Workshops {
    /// Admits `caller` to `check` (see [`access::admit`]): NOT_FOUND outside its
    /// boundary, PERMISSION_DENIED for a new record outside or a missing role.
    pub async fn admit(&self, caller: &Caller, check: Check<'_>) -> Result<(), Error> {
        let mut conn = self.db.pool().acquire().await?;
        access::admit(&mut conn, caller, check).await
    }

    /// `caller`'s boundary, for lists and figures to filter by (see [`access::scope`]).
    pub async fn scope(&self, caller: &Caller) -> Result<Scope, Error> {
        let mut conn = self.db.pool().acquire().await?;
        access::scope(&mut conn, caller).await
    }
}
