//! The dashboard figures. Counts come from counters every write keeps (dimensions
//! `workshops/all`, `mode/<mode>`, `brand/<brand>`, `status/<status>`, `brands/all`,
//! `beneficiaries/all`, `income/total`, `support_fen/all`, `orders/all`,
//! `units/delivered`, `problems/{raised,resolved}`); the people in each role and the
//! average uplift are read from their tables (one row per appointment and per worker
//! month).

use xingfu_platform::Error;

use super::Workshops;
use crate::access::Scope;
use crate::domain::people::Role;
use crate::domain::workers::mean_floor;
use crate::storage::{COUNTERS, people, scoped, workers};

/// The service's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Workshops, all statuses.
    pub workshops: i64,
    /// (mode, workshops).
    pub by_mode: Vec<(String, i64)>,
    /// (brand id, workshops).
    pub by_brand: Vec<(String, i64)>,
    /// (status, workshops).
    pub by_status: Vec<(String, i64)>,
    /// Brands registered.
    pub brands: i64,
    /// Workers enrolled.
    pub beneficiaries: i64,
    /// Mean over earning workers of their average monthly uplift, fen.
    pub average_monthly_uplift_fen: i64,
    /// Income recorded, fen.
    pub total_income_fen: i64,
    /// Volunteers with a current appointment, per role.
    pub commissioners: i64,
    /// Red stewards.
    pub red_stewards: i64,
    /// Star brokers.
    pub star_brokers: i64,
    /// Problems raised.
    pub problems_raised: i64,
    /// Problems resolved.
    pub problems_resolved: i64,
    /// Orders placed.
    pub orders: i64,
    /// Units delivered.
    pub units_delivered: i64,
}

impl Workshops {
    /// The figures as of now, of the workshops inside `scope` (the kept counters hold
    /// every workshop's, so a limited scope counts its rows instead).
    pub async fn stats(&self, scope: &Scope) -> Result<Stats, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut counters = COUNTERS.all(&mut conn).await?;
        if scope.is_limited() {
            // Brands are the programme's catalogue, the same for everyone.
            let brands = counters.remove(&("brands".to_owned(), "all".to_owned()));
            counters = scoped::counters(&mut conn, scope).await?;
            counters.insert(("brands".to_owned(), "all".to_owned()), brands.unwrap_or(0));
        }
        let get = |dimension: &str, key: &str| {
            counters
                .get(&(dimension.to_owned(), key.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let keys = |dimension: &str| {
            let mut found: Vec<(String, i64)> = counters
                .iter()
                .filter(|((d, _), n)| d == dimension && **n > 0)
                .map(|((_, key), n)| (key.clone(), *n))
                .collect();
            found.sort();
            found
        };
        let uplifts: Vec<i64> = workers::uplifts(&mut conn, None, None, scope)
            .await?
            .iter()
            .filter_map(|u| u.average_monthly())
            .collect();
        let mut holders = async |role| {
            if scope.is_limited() {
                scoped::holders(&mut conn, scope, role).await
            } else {
                people::holders(&mut conn, role).await
            }
        };
        Ok(Stats {
            workshops: get("workshops", "all"),
            by_mode: keys("mode"),
            by_brand: keys("brand"),
            by_status: keys("status"),
            brands: get("brands", "all"),
            beneficiaries: get("beneficiaries", "all"),
            average_monthly_uplift_fen: mean_floor(&uplifts),
            total_income_fen: get("income", "total"),
            commissioners: holders(Role::Commissioner).await?,
            red_stewards: holders(Role::RedSteward).await?,
            star_brokers: holders(Role::StarBroker).await?,
            problems_raised: get("problems", "raised"),
            problems_resolved: get("problems", "resolved"),
            orders: get("orders", "all"),
            units_delivered: get("units", "delivered"),
        })
    }
}
