//! The volunteer register's calls: requests parsed into the domain, answers built from
//! it, personal data in clear only for a caller holding `pii:read`.

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::access;
use crate::domain::register::{
    NewVolunteer, Skill, Volunteer, VolunteerFilter, parse_id_number, parse_phone,
};
use crate::ops::{Lookup, Volunteers};

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
    v.finish()?;
    let filter = VolunteerFilter {
        work_organisation_id,
        home_community_id,
        skill,
        party_member: r.party_member,
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
    }
}
