//! Which directory and register ids an answer mentions have been confirmed by the
//! volunteers service's events, so references show `verified`.

use std::collections::HashSet;

use sqlx::AnyConnection;
use xingfu_platform::Error;
use xingfu_platform::known::{Kind, known};
use xingfu_proto::common::{CommunityRef, OrganisationRef, VolunteerRef};

/// The confirmed ids among those an answer mentions.
#[derive(Debug, Default)]
pub(super) struct Known {
    organisations: HashSet<String>,
    communities: HashSet<String>,
    volunteers: HashSet<String>,
}

impl Known {
    /// Looks the ids up in the read models.
    pub(super) async fn of(
        conn: &mut AnyConnection,
        organisations: &[&str],
        communities: &[&str],
        volunteers: &[&str],
    ) -> Result<Self, Error> {
        Ok(Self {
            organisations: known(conn, Kind::Organisation, organisations).await?,
            communities: known(conn, Kind::Community, communities).await?,
            volunteers: known(conn, Kind::Volunteer, volunteers).await?,
        })
    }

    /// A reference to an organisation.
    pub(super) fn organisation(&self, id: &str) -> Option<OrganisationRef> {
        Some(OrganisationRef {
            id: id.to_owned(),
            verified: self.organisations.contains(id),
        })
    }

    /// A reference to a community.
    pub(super) fn community(&self, id: &str) -> Option<CommunityRef> {
        Some(CommunityRef {
            id: id.to_owned(),
            verified: self.communities.contains(id),
        })
    }

    /// A reference to a volunteer.
    pub(super) fn volunteer(&self, id: &str) -> Option<VolunteerRef> {
        Some(VolunteerRef {
            id: id.to_owned(),
            verified: self.volunteers.contains(id),
        })
    }
}
