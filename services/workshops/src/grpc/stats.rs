//! The dashboard figures as the API shows them.

use xingfu_platform::Error;
use xingfu_proto::common::Money;
use xingfu_proto::workshops as pb;

use crate::access::Scope;
use crate::ops::Workshops;

/// GetStats.
pub(super) async fn get(
    workshops: &Workshops,
    _r: pb::GetStatsRequest,
    scope: &Scope,
) -> Result<pb::WorkshopStats, Error> {
    let s = workshops.stats(scope).await?;
    let counts = |pairs: Vec<(String, i64)>| {
        pairs
            .into_iter()
            .map(|(key, count)| pb::KeyCount { key, count })
            .collect()
    };
    Ok(pb::WorkshopStats {
        workshops: s.workshops,
        by_mode: counts(s.by_mode),
        by_brand: counts(s.by_brand),
        by_status: counts(s.by_status),
        brands: s.brands,
        beneficiaries: s.beneficiaries,
        average_monthly_uplift: Some(Money::cny(s.average_monthly_uplift_fen)),
        total_income: Some(Money::cny(s.total_income_fen)),
        commissioners: s.commissioners,
        red_stewards: s.red_stewards,
        star_brokers: s.star_brokers,
        problems_raised: s.problems_raised,
        problems_resolved: s.problems_resolved,
        problems_open: s.problems_raised - s.problems_resolved,
        orders: s.orders,
        units_delivered: s.units_delivered,
    })
}
