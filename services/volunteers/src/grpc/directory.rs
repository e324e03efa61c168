//! The directory's requests parsed into the domain and its answers built from it.

use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, validate};
use xingfu_proto::volunteers as pb;

use super::{
    community_kind_from_proto, community_kind_to_proto, organisation_kind_from_proto,
    organisation_kind_to_proto,
};
use crate::domain::{self, Community, Organisation};

pub(super) fn organisation_to_proto(org: Organisation) -> pb::Organisation {
    pb::Organisation {
        id: org.id,
        name: org.name,
        kind: organisation_kind_to_proto(org.kind) as i32,
        parent_id: org.parent_id.unwrap_or_default(),
        version: org.version,
        create_time: Some(to_timestamp(org.created_at)),
    }
}

pub(super) fn community_to_proto(community: Community) -> pb::Community {
    pb::Community {
        id: community.id,
        name: community.name,
        kind: community_kind_to_proto(community.kind) as i32,
        township: community.township,
        version: community.version,
        create_time: Some(to_timestamp(community.created_at)),
    }
}

/// `RegisterOrganisationRequest` as an organisation, every bad field reported at once.
pub(super) fn new_organisation(r: &pb::RegisterOrganisationRequest) -> Result<Organisation, Error> {
    let mut v = Violations::default();
    let id = v.check(validate::directory_id(&r.id, "id"));
    let name = v.check(domain::parse_name(&r.name, "name"));
    let kind = v.check(required(
        organisation_kind_from_proto(r.kind, "kind"),
        "kind",
    ));
    let parent_id = v.check(domain::parse_parent(&r.parent_id, "parent_id"));
    if !r.parent_id.is_empty() && r.parent_id == r.id {
        v.add("parent_id", "must not be the organisation itself");
    }
    v.finish()?;
    match (id, name, kind, parent_id) {
        (Some(id), Some(name), Some(kind), Some(parent_id)) => Ok(Organisation {
            id,
            name,
            kind,
            parent_id,
            version: 1,
            created_at: now_micros(),
        }),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `RegisterCommunityRequest` as a community, every bad field reported at once.
pub(super) fn new_community(r: &pb::RegisterCommunityRequest) -> Result<Community, Error> {
    let mut v = Violations::default();
    let id = v.check(validate::directory_id(&r.id, "id"));
    let name = v.check(domain::parse_name(&r.name, "name"));
    let kind = v.check(required(community_kind_from_proto(r.kind, "kind"), "kind"));
    let township = v.check(domain::parse_township(&r.township, "township"));
    v.finish()?;
    match (id, name, kind, township) {
        (Some(id), Some(name), Some(kind), Some(township)) => Ok(Community {
            id,
            name,
            kind,
            township,
            version: 1,
            created_at: now_micros(),
        }),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

pub(super) fn mask_and_version(paths: &[String], version: i64, v: &mut Violations) {
    if version <= 0 {
        v.add("version", "must be the version you read (1 or more)");
    }
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
}
