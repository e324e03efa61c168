//! The volunteer register's calls: requests parsed into the domain, answers built from
//! it, personal data in clear only for a caller holding `pii:read`.

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::access;
use crate::domain::register::{
    Affiliation, AffiliationFilter, NewVolunteer, Skill, Volunteer, VolunteerFilter,
    VolunteerPatch, VolunteerStatus, WithdrawalReason, parse_id_number, parse_phone,
};
use crate::ops::{Lookup, Volunteers};

enum_map!(status_to_proto, status_from_proto, VolunteerStatus, pb::VolunteerStatus, "volunteer status", {
    Active <=> Active,
    Withdrawn <=> Withdrawn,
    Erased <=> Erased,
});

/// RegisterVolunteer.
pub(super) async fn register_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::RegisterVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let reveal = access::reveals(caller);
    let new = new_volunteer(&r)?;
    let mut volunteer = volunteers.register_volunteer(caller, new, reveal).await?;
    // A write answers with the name as the caller may see it, never the phone or ID
    // number in clear: revealing them is a read, asked for and audited as one.
    volunteer.revealed = None;
    Ok(volunteer_to_proto(volunteer))
}

/// GetVolunteer: personal data in clear for a caller holding `pii:read`.
pub(super) async fn get_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::GetVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let reveal = access::reveals(caller);
    let id = RecordId::parse(&r.id, "id")?;
    let volunteer = volunteers.volunteer_for(caller, &id, reveal).await?;
    Ok(volunteer_to_proto(volunteer))
}

/// ListVolunteers: the register inside the caller's boundary.
pub(super) async fn list_volunteers(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListVolunteersRequest,
) -> Result<pb::ListVolunteersResponse, Error> {
    let mut v = Violations::default();
    let mut directory_id = |value: &str, field: &str| match value {
        "" => None,
        id => v.check(DirectoryId::parse(id, field)),
    };
    let work_organisation_id = directory_id(&r.work_organisation_id, "work_organisation_id");
    let home_community_id = directory_id(&r.home_community_id, "home_community_id");
    let skill = match r.skill.as_str() {
        "" => None,
        skill => v.check(Skill::parse(skill, "skill")),
    };
    let status = v.check(status_from_proto(r.status, "status"));
    let status = v.finish_with(status)?;
    let filter = VolunteerFilter {
        work_organisation_id,
        home_community_id,
        skill,
        party_member: r.party_member,
        status,
    };
    let key = format!("{filter:?}");
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let reveal = access::reveals(caller);
    let mut found = volunteers
        .volunteers(
            caller,
            &filter,
            page.after.as_deref(),
            page.fetch_limit(),
            reveal,
        )
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |v| v.id.as_str());
    Ok(pb::ListVolunteersResponse {
        volunteers: found.into_iter().map(volunteer_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// FindVolunteer, by a clear phone or ID number: admitted only with `pii:read`
/// (`access::finding_by_personal_data`), so the answer is in clear.
pub(super) async fn find_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::FindVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let lookup = lookup(&r)?;
    let volunteer = volunteers.find_volunteer(caller, lookup, true).await?;
    Ok(volunteer_to_proto(volunteer))
}

/// UpdateVolunteer: the fields the mask names, at the version read. Like a registration,
/// the answer shows the name as the caller may see it, never the phone in clear.
pub(super) async fn update_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::UpdateVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
    let values = r.values.unwrap_or_default();
    let mut patch = VolunteerPatch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "name" => patch.name = v.check(validate::single_line(&values.name, &field, 50)),
            "phone" => patch.phone = v.check(parse_phone(&values.phone, &field)),
            "party_member" => patch.party_member = Some(values.party_member),
            "work_organisation_id" => {
                patch.work_organisation_id =
                    v.check(DirectoryId::parse(&values.work_organisation_id, &field))
            }
            "home_community_id" => {
                patch.home_community_id =
                    v.check(DirectoryId::parse(&values.home_community_id, &field))
            }
            "skills" => patch.skills = Some(super::teams::skills(&values.skills, &mut v)),
            other => v.add("update_mask", format!("{other:?} is not an editable field")),
        }
    }
    let id = v.finish_with(id)?;
    let reveal = access::reveals(caller);
    let mut volunteer = volunteers
        .update_volunteer(caller, &id, r.version, patch, reveal)
        .await?;
    volunteer.revealed = None;
    Ok(volunteer_to_proto(volunteer))
}

/// WithdrawVolunteer.
pub(super) async fn withdraw_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::WithdrawVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(WithdrawalReason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    let reveal = access::reveals(caller);
    let mut volunteer = volunteers
        .withdraw_volunteer(caller, &id, &reason, reveal)
        .await?;
    volunteer.revealed = None;
    Ok(volunteer_to_proto(volunteer))
}

/// EraseVolunteer: admitted only with `pii:erase` (`access::erasing_personal_data`).
pub(super) async fn erase_volunteer(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::EraseVolunteerRequest,
) -> Result<pb::Volunteer, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    let volunteer = volunteers.erase_volunteer(caller, &id).await?;
    Ok(volunteer_to_proto(volunteer))
}

/// ListAffiliations: where volunteers worked and lived, inside the caller's boundary.
pub(super) async fn list_affiliations(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListAffiliationsRequest,
) -> Result<pb::ListAffiliationsResponse, Error> {
    let mut v = Violations::default();
    let volunteer_id = match r.volunteer_id.as_str() {
        "" => None,
        id => v.check(RecordId::parse(id, "volunteer_id")),
    };
    let mut directory_id = |value: &str, field: &str| match value {
        "" => None,
        id => v.check(DirectoryId::parse(id, field)),
    };
    let work_organisation_id = directory_id(&r.work_organisation_id, "work_organisation_id");
    let home_community_id = directory_id(&r.home_community_id, "home_community_id");
    v.finish()?;
    let filter = AffiliationFilter {
        volunteer_id,
        work_organisation_id,
        home_community_id,
        party_member: r.party_member,
        current: r.current,
    };
    let key = format!("{filter:?}");
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let mut found = volunteers
        .affiliations(caller, &filter, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |a| a.id.as_str());
    Ok(pb::ListAffiliationsResponse {
        affiliations: found.into_iter().map(affiliation_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// `RegisterVolunteerRequest` as a new volunteer, every bad field reported at once. The
/// violations name the field, never echo its value: the values are personal data.
fn new_volunteer(r: &pb::RegisterVolunteerRequest) -> Result<NewVolunteer, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    // Personal data, kept a plain string: the register seals it before storing it.
    let name = v.check(validate::single_line(&r.name, "name", 50));
    let phone = v.check(parse_phone(&r.phone, "phone"));
    let id_number = v.check(parse_id_number(&r.id_number, "id_number"));
    let work = v.check(DirectoryId::parse(
        &r.work_organisation_id,
        "work_organisation_id",
    ));
    let home = v.check(DirectoryId::parse(
        &r.home_community_id,
        "home_community_id",
    ));
    let skills = super::teams::skills(&r.skills, &mut v);
    let (request_id, name, phone, id_number, work, home) =
        v.finish_with((request_id, name, phone, id_number, work, home))?;
    Ok(NewVolunteer {
        request_id,
        name,
        phone,
        id_number,
        party_member: r.party_member,
        work_organisation_id: work,
        home_community_id: home,
        skills,
    })
}

/// `FindVolunteerRequest` as a lookup: exactly one of phone and ID number.
fn lookup(r: &pb::FindVolunteerRequest) -> Result<Lookup, Error> {
    match (r.phone.is_empty(), r.id_number.is_empty()) {
        (false, true) => Ok(Lookup::Phone(parse_phone(&r.phone, "phone")?)),
        (true, false) => Ok(Lookup::IdNumber(parse_id_number(
            &r.id_number,
            "id_number",
        )?)),
        _ => Err(Error::invalid(
            "phone",
            "give exactly one of phone and id_number",
        )),
    }
}

/// A volunteer as the API shows it.
fn volunteer_to_proto(v: Volunteer) -> pb::Volunteer {
    let (phone, id_number) = v.revealed.unwrap_or_default();
    pb::Volunteer {
        phone,
        id_number,
        id: v.id.into_string(),
        name: v.name,
        phone_masked: v.phone_masked,
        id_number_masked: v.id_number_masked,
        party_member: v.party_member,
        work_organisation_id: v.work_organisation_id.into_string(),
        home_community_id: v.home_community_id.into_string(),
        skills: v.skills.into_iter().map(String::from).collect(),
        create_time: Some(to_timestamp(v.created_at)),
        version: v.version,
        status: status_to_proto(v.status) as i32,
        status_time: v.status_changed_at.map(to_timestamp),
        withdrawal_reason: v.withdrawal_reason,
    }
}

fn affiliation_to_proto(a: Affiliation) -> pb::Affiliation {
    pb::Affiliation {
        id: a.id.into_string(),
        volunteer_id: a.volunteer_id.into_string(),
        work_organisation_id: a.work_organisation_id.into_string(),
        home_community_id: a.home_community_id.into_string(),
        party_member: a.party_member,
        start_time: Some(to_timestamp(a.valid_from)),
        end_time: a.valid_until.map(to_timestamp),
    }
}
