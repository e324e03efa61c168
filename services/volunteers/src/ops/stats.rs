//! The dashboard figures, read from the counters every write keeps (so they cost the
//! same however much data there is). Dimensions and keys:
//! `volunteers/{all,party,withdrawn}`, `service/{minutes,records}`, `teams/all`, `evaluations/all`,
//! `wishes/{posted,adopted,fulfilled,cancelled}`, `organisations/<kind>`, and per activity kind
//! `activities/<kind>`, `completed/<kind>`, `people_served/<kind>`, `volunteer_times/<kind>`.

use std::collections::HashMap;

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;

use super::{Volunteers, boundary};
use crate::domain::OrganisationKind;
use crate::domain::activities::ActivityKind;
use crate::storage::{COUNTERS, stats};

/// One activity kind's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindStats {
    /// The kind.
    pub kind: ActivityKind,
    /// Created and not cancelled.
    pub activities: i64,
    /// Completed.
    pub completed: i64,
    /// People served by the completed ones.
    pub people_served: i64,
    /// Verified volunteer participations.
    pub volunteer_times: i64,
}

/// The service's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Volunteers registered.
    pub volunteers: i64,
    /// Of them, Party members.
    pub party_members: i64,
    /// Of them, withdrawn (erased ones included).
    pub withdrawn: i64,
    /// Verified minutes.
    pub verified_minutes: i64,
    /// Verified records.
    pub service_records: i64,
    /// Per kind with an activity, in the kind's order.
    pub by_kind: Vec<KindStats>,
    /// Teams formed.
    pub teams: i64,
    /// Evaluations recorded.
    pub evaluations: i64,
    /// Wishes posted.
    pub wishes_posted: i64,
    /// Wishes adopted, fulfilled ones included.
    pub wishes_adopted: i64,
    /// Wishes fulfilled.
    pub wishes_fulfilled: i64,
    /// Organisations of the directory by kind, every kind listed.
    pub organisations: Vec<(OrganisationKind, i64)>,
}

impl Stats {
    /// Activities completed, all kinds.
    pub fn events(&self) -> i64 {
        self.by_kind.iter().map(|k| k.completed).sum()
    }

    /// People served, all kinds.
    pub fn participants(&self) -> i64 {
        self.by_kind.iter().map(|k| k.people_served).sum()
    }

    /// Meal person-times: people served by the meal-chain kinds.
    pub fn meals_served(&self) -> i64 {
        self.by_kind
            .iter()
            .filter(|k| k.kind.is_meal())
            .map(|k| k.people_served)
            .sum()
    }
}

impl Volunteers {
    /// The figures as of now: the programme's, or a limited caller's boundary's (the
    /// records it sees, counted by query; see `storage::stats::within`).
    pub async fn stats(&self, caller: &Caller) -> Result<Stats, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let counters = if caller.is_limited() {
            let inside = boundary::inside(&mut conn, caller).await?;
            stats::within(&mut conn, &inside).await?
        } else {
            COUNTERS.all(&mut conn).await?
        };
        let get = |dimension: &str, key: &str| {
            counters
                .get(&(dimension.to_owned(), key.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        Ok(Stats {
            volunteers: get("volunteers", "all"),
            party_members: get("volunteers", "party"),
            withdrawn: get("volunteers", "withdrawn"),
            verified_minutes: get("service", "minutes"),
            service_records: get("service", "records"),
            by_kind: by_kind(&counters),
            teams: get("teams", "all"),
            evaluations: get("evaluations", "all"),
            wishes_posted: get("wishes", "posted"),
            wishes_adopted: get("wishes", "adopted"),
            wishes_fulfilled: get("wishes", "fulfilled"),
            organisations: OrganisationKind::ALL
                .iter()
                .map(|kind| (*kind, get("organisations", kind.as_str())))
                .collect(),
        })
    }
}

fn by_kind(counters: &HashMap<(String, String), i64>) -> Vec<KindStats> {
    let get = |dimension: &str, kind: ActivityKind| {
        counters
            .get(&(dimension.to_owned(), kind.as_str().to_owned()))
            .copied()
            .unwrap_or(0)
    };
    ActivityKind::ALL
        .iter()
        .map(|&kind| KindStats {
            kind,
            activities: get("activities", kind),
            completed: get("completed", kind),
            people_served: get("people_served", kind),
            volunteer_times: get("volunteer_times", kind),
        })
        .filter(|k| k.activities > 0)
        .collect()
}
