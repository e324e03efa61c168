//! The library's figures for a caller: the kept counters when it sees everything, counted
//! over what its boundary holds (its subtree's organisations, its township's communities)
//! when limited.

use std::collections::HashMap;

use xingfu_platform::Error;

use super::Library;
use crate::access::Access;
use crate::domain::{Date, DirectoryId};
use crate::storage;

/// Most communities the figures list.
const COMMUNITIES: i64 = 100;

/// The library's figures as one caller sees them.
#[derive(Debug, Default)]
pub struct Stats {
    /// (dimension, key) → count: `total`, `category`, `status`, `need_channel`, `visits`
    /// and `person_times`.
    pub counters: HashMap<(String, String), i64>,
    /// Projects by community served, largest first.
    pub by_community: Vec<(String, i64)>,
}

/// One community's figures as one caller sees them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommunityTotals {
    /// Projects serving it.
    pub projects: i64,
    /// Visits to it.
    pub visits: i64,
    /// Person-times served there.
    pub person_times: i64,
    /// Contracts in force with it today.
    pub active_contracts: i64,
}

impl Library {
    /// The library's figures, counted over what `access` sees.
    pub async fn stats(&self, access: &Access) -> Result<Stats, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let conn = &mut *conn;
        Ok(match access.scope() {
            None => Stats {
                counters: storage::stats::counters(conn).await?,
                by_community: storage::stats::dimension(conn, "community", COMMUNITIES).await?,
            },
            Some(scope) => Stats {
                counters: storage::owners::counters(conn, scope).await?,
                by_community: storage::owners::by_community(conn, scope, COMMUNITIES).await?,
            },
        })
    }

    /// Community `id`'s figures, counted over what `access` sees.
    pub async fn community_totals(
        &self,
        access: &Access,
        id: &DirectoryId,
    ) -> Result<CommunityTotals, Error> {
        let today = Date::today();
        let mut conn = self.db.pool().acquire().await?;
        let conn = &mut *conn;
        let (projects, (visits, person_times), active_contracts) = match access.scope() {
            None => (
                storage::stats::get(conn, "community", id.as_str()).await?,
                storage::visits::community_totals(conn, id).await?,
                storage::contracts::active_count(conn, id, today).await?,
            ),
            Some(scope) => (
                storage::owners::community_projects(conn, scope, id).await?,
                storage::owners::visit_totals(conn, scope, Some(id)).await?,
                storage::owners::active_contracts(conn, scope, id, &today.to_string()).await?,
            ),
        };
        Ok(CommunityTotals {
            projects,
            visits,
            person_times,
            active_contracts,
        })
    }
}
