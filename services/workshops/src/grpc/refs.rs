//! References to the directory's and the register's records, `verified` once their
//! events have confirmed them.

use xingfu_proto::common::{CommunityRef, OrganisationRef, VolunteerRef};

use crate::ops::Known;

/// A reference to an organisation.
pub(super) fn organisation(known: &Known, id: &str) -> Option<OrganisationRef> {
    Some(OrganisationRef {
        id: id.to_owned(),
        verified: known.organisation(id),
    })
}

/// A reference to a community.
pub(super) fn community(known: &Known, id: &str) -> Option<CommunityRef> {
    Some(CommunityRef {
        id: id.to_owned(),
        verified: known.community(id),
    })
}

/// A reference to a volunteer.
pub(super) fn volunteer(known: &Known, id: &str) -> Option<VolunteerRef> {
    Some(VolunteerRef {
        id: id.to_owned(),
        verified: known.volunteer(id),
    })
}
