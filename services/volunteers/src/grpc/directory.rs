//! The directory's calls (organisations and communities): requests parsed into the
//! domain, answers built from it. Importing a file is `import`'s.

use xingfu_platform::checked::DirectoryId;
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::validate::required;
use xingfu_platform::{Error, Violations, enum_map, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::domain::{
    self, Community, CommunityKind, Name, Organisation, OrganisationKind, Township,
};
use crate::ops::{CommunityPatch, OrganisationPatch, Volunteers};

enum_map!(organisation_kind_to_proto, organisation_kind_from_proto, OrganisationKind, pb::OrganisationKind, "organisation kind", {
    AgencyParty <=> AgencyParty,
    VillageParty <=> VillageParty,
    CommunityParty <=> CommunityParty,
    Social <=> Social,
});

enum_map!(community_kind_to_proto, community_kind_from_proto, CommunityKind, pb::CommunityKind, "community kind", {
    Village <=> Village,
    Residential <=> Residential,
});

/// RegisterOrganisation.
pub(super) async fn register_organisation(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::RegisterOrganisationRequest,
) -> Result<pb::Organisation, Error> {
    let org = new_organisation(&r)?;
    let org = volunteers.register_organisation(caller, org).await?;
    Ok(organisation_to_proto(org))
}

/// UpdateOrganisation: the fields the mask names, at the version read.
pub(super) async fn update_organisation(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::UpdateOrganisationRequest,
) -> Result<pb::Organisation, Error> {
    let mut v = Violations::default();
    let id = v.check(DirectoryId::parse(&r.id, "id"));
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    mask_names_a_field(&paths, &mut v);
    let values = r.values.unwrap_or_default();
    let mut patch = OrganisationPatch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "name" => patch.name = v.check(Name::parse(&values.name, &field)),
            "kind" => {
                patch.kind = v.check(required(
                    organisation_kind_from_proto(values.kind, &field),
                    &field,
                ))
            }
            "parent_id" => {
                patch.parent_id = v.check(domain::parse_parent(&values.parent_id, &field))
            }
            other => v.add("update_mask", format!("{other:?} is not an editable field")),
        }
    }
    let id = v.finish_with(id)?;
    let org = volunteers
        .update_organisation(caller, &id, r.version, patch)
        .await?;
    Ok(organisation_to_proto(org))
}

/// GetOrganisation.
pub(super) async fn get_organisation(
    volunteers: &Volunteers,
    r: pb::GetOrganisationRequest,
) -> Result<pb::Organisation, Error> {
    let id = DirectoryId::parse(&r.id, "id")?;
    Ok(organisation_to_proto(volunteers.organisation(&id).await?))
}

/// ListOrganisations.
pub(super) async fn list_organisations(
    volunteers: &Volunteers,
    r: pb::ListOrganisationsRequest,
) -> Result<pb::ListOrganisationsResponse, Error> {
    let mut v = Violations::default();
    let kind = v.check(organisation_kind_from_proto(r.kind, "kind"));
    let parent = if r.parent_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.parent_id, "parent_id"))
            .map(Some)
    };
    let (kind, parent) = v.finish_with((kind, parent))?;
    let filters = format!("{kind:?}/{:?}", parent.as_ref().map(DirectoryId::as_str));
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut orgs = volunteers
        .organisations(
            kind,
            parent.as_ref(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut orgs, &page, &filters, |o| o.id.as_str());
    Ok(pb::ListOrganisationsResponse {
        organisations: orgs.into_iter().map(organisation_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// RegisterCommunity.
pub(super) async fn register_community(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::RegisterCommunityRequest,
) -> Result<pb::Community, Error> {
    let community = new_community(&r)?;
    let community = volunteers.register_community(caller, community).await?;
    Ok(community_to_proto(community))
}

/// UpdateCommunity: the fields the mask names, at the version read.
pub(super) async fn update_community(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::UpdateCommunityRequest,
) -> Result<pb::Community, Error> {
    let mut v = Violations::default();
    let id = v.check(DirectoryId::parse(&r.id, "id"));
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    mask_names_a_field(&paths, &mut v);
    let values = r.values.unwrap_or_default();
    let mut patch = CommunityPatch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "name" => patch.name = v.check(Name::parse(&values.name, &field)),
            "kind" => {
                patch.kind = v.check(required(
                    community_kind_from_proto(values.kind, &field),
                    &field,
                ))
            }
            "township" => patch.township = v.check(Township::parse(&values.township, &field)),
            other => v.add("update_mask", format!("{other:?} is not an editable field")),
        }
    }
    let id = v.finish_with(id)?;
    let community = volunteers
        .update_community(caller, &id, r.version, patch)
        .await?;
    Ok(community_to_proto(community))
}

/// GetCommunity.
pub(super) async fn get_community(
    volunteers: &Volunteers,
    r: pb::GetCommunityRequest,
) -> Result<pb::Community, Error> {
    let id = DirectoryId::parse(&r.id, "id")?;
    Ok(community_to_proto(volunteers.community(&id).await?))
}

/// ListCommunities.
pub(super) async fn list_communities(
    volunteers: &Volunteers,
    r: pb::ListCommunitiesRequest,
) -> Result<pb::ListCommunitiesResponse, Error> {
    let mut v = Violations::default();
    let kind = v.check(community_kind_from_proto(r.kind, "kind"));
    let township = if r.township.is_empty() {
        Some(None)
    } else {
        v.check(Township::parse(&r.township, "township")).map(Some)
    };
    let (kind, township) = v.finish_with((kind, township))?;
    let filters = format!("{kind:?}/{:?}", township.as_ref().map(Township::as_str));
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut communities = volunteers
        .communities(
            township.as_ref(),
            kind,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut communities, &page, &filters, |c| c.id.as_str());
    Ok(pb::ListCommunitiesResponse {
        communities: communities.into_iter().map(community_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// `RegisterOrganisationRequest` as an organisation, every bad field reported at once.
fn new_organisation(r: &pb::RegisterOrganisationRequest) -> Result<Organisation, Error> {
    let mut v = Violations::default();
    let id = v.check(DirectoryId::parse(&r.id, "id"));
    let name = v.check(Name::parse(&r.name, "name"));
    let kind = v.check(required(
        organisation_kind_from_proto(r.kind, "kind"),
        "kind",
    ));
    let parent_id = v.check(domain::parse_parent(&r.parent_id, "parent_id"));
    if !r.parent_id.is_empty() && r.parent_id == r.id {
        v.add("parent_id", "must not be the organisation itself");
    }
    let (id, name, kind, parent_id) = v.finish_with((id, name, kind, parent_id))?;
    Ok(Organisation {
        id,
        name,
        kind,
        parent_id,
        version: 1,
        created_at: now_micros(),
    })
}

/// `RegisterCommunityRequest` as a community, every bad field reported at once.
fn new_community(r: &pb::RegisterCommunityRequest) -> Result<Community, Error> {
    let mut v = Violations::default();
    let id = v.check(DirectoryId::parse(&r.id, "id"));
    let name = v.check(Name::parse(&r.name, "name"));
    let kind = v.check(required(community_kind_from_proto(r.kind, "kind"), "kind"));
    let township = v.check(Township::parse(&r.township, "township"));
    let (id, name, kind, township) = v.finish_with((id, name, kind, township))?;
    Ok(Community {
        id,
        name,
        kind,
        township,
        version: 1,
        created_at: now_micros(),
    })
}

/// An update names at least one field (the version it read is bounded by the request's
/// `version` in the proto).
fn mask_names_a_field(paths: &[String], v: &mut Violations) {
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
}

fn organisation_to_proto(org: Organisation) -> pb::Organisation {
    pb::Organisation {
        id: org.id.into_string(),
        name: org.name.into_string(),
        kind: organisation_kind_to_proto(org.kind) as i32,
        parent_id: org.parent_id.map(String::from).unwrap_or_default(),
        version: org.version,
        create_time: Some(to_timestamp(org.created_at)),
    }
}

fn community_to_proto(community: Community) -> pb::Community {
    pb::Community {
        id: community.id.into_string(),
        name: community.name.into_string(),
        kind: community_kind_to_proto(community.kind) as i32,
        township: community.township.into_string(),
        version: community.version,
        create_time: Some(to_timestamp(community.created_at)),
    }
}
