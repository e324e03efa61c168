//! References to the directory's and the register's records, `verified` once their
//! events have confirmed them.

use xingfu_platform::checked::{DirectoryId, RecordId};
use xingfu_proto::common::{CommunityRef, OrganisationRef, VolunteerRef};

use crate::ops::Known;

/// A reference to an organisation.
pub(super) fn organisation(known: &Known, id: &DirectoryId) -> Option<OrganisationRef> {
    Some(OrganisationRef {
        id: id.to_string(),
        verified: known.organisation(id.as_str()),
    })
}

/// A reference to a community.
pub(super) fn community(known: &Known, id: &DirectoryId) -> Option<CommunityRef> {
    Some(CommunityRef {
        id: id.to_string(),
        verified: known.community(id.as_str()),
    })
}

/// A reference to a volunteer.
pub(super) fn volunteer(known: &Known, id: &RecordId) -> Option<VolunteerRef> {
    Some(VolunteerRef {
        id: id.to_string(),
        verified: known.volunteer(id.as_str()),
    })
}
