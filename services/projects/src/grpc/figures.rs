//! The library's figures: the whole library's and one community's, as the caller's
//! boundary sees them.

use xingfu_platform::Error;
use xingfu_proto::projects as pb;

use super::convert::community_ref;
use crate::access::Access;
use crate::domain::{Category, Channel, DirectoryId, Status};
use crate::ops::{CommunityTotals, Library, Stats};

/// GetCommunitySummary.
pub(super) async fn community_summary(
    library: &Library,
    access: Access,
    r: pb::GetCommunitySummaryRequest,
) -> Result<pb::CommunitySummary, Error> {
    let community = DirectoryId::parse(&r.community_id, "community_id")?;
    let CommunityTotals {
        projects,
        visits,
        person_times,
        active_contracts,
    } = library.community_totals(&access, &community).await?;
    let verified = library.verified(&[], &[community.as_str()]).await?;
    Ok(pb::CommunitySummary {
        community: Some(community_ref(&verified, &community)),
        projects,
        visits,
        person_times,
        active_contracts,
    })
}

/// GetProjectStats.
pub(super) async fn stats(
    library: &Library,
    access: Access,
    _: pb::GetProjectStatsRequest,
) -> Result<pb::ProjectStats, Error> {
    let Stats {
        counters,
        by_community,
    } = library.stats(&access).await?;
    let count = |dimension: &str, key: &str| {
        counters
            .get(&(dimension.to_owned(), key.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    // Every key of a dimension, counted or not, in the domain's order.
    let counts = |dimension: &str, keys: Vec<&str>| {
        keys.into_iter()
            .map(|key| pb::Count {
                key: key.to_owned(),
                count: count(dimension, key),
            })
            .collect()
    };
    Ok(pb::ProjectStats {
        total: count("total", ""),
        by_category: counts(
            "category",
            Category::ALL.iter().map(|c| c.as_str()).collect(),
        ),
        by_status: counts("status", Status::ALL.iter().map(|s| s.as_str()).collect()),
        by_community: by_community
            .into_iter()
            .map(|(key, count)| pb::Count { key, count })
            .collect(),
        needs_by_channel: counts(
            "need_channel",
            Channel::ALL.iter().map(|c| c.as_str()).collect(),
        ),
        visits: count("visits", ""),
        person_times: count("person_times", ""),
    })
}
