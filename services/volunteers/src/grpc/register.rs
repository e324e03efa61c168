//! Requests about the volunteer register parsed into the domain, answers built from it.

use xingfu_platform::time::to_timestamp;
use xingfu_platform::{Error, Violations, validate};
use xingfu_proto::volunteers as pb;

use crate::domain::register::{NewVolunteer, Volunteer, parse_id_number, parse_phone};
use crate::ops::Lookup;

/// `RegisterVolunteerRequest` as a new volunteer, every bad field reported at once. The
/// violations name the field, never echo its value: the values are personal data.
pub(super) fn new_volunteer(r: &pb::RegisterVolunteerRequest) -> Result<NewVolunteer, Error> {
    let mut v = Violations::default();
    let request_id = v.check(validate::request_id(&r.request_id, "request_id"));
    let name = v.check(validate::single_line(&r.name, "name", 50));
    let phone = v.check(parse_phone(&r.phone, "phone"));
    let id_number = v.check(parse_id_number(&r.id_number, "id_number"));
    let work = v.check(validate::directory_id(
        &r.work_organisation_id,
        "work_organisation_id",
    ));
    let home = v.check(validate::directory_id(
        &r.home_community_id,
        "home_community_id",
    ));
    let skills = super::teams::skills(&r.skills, &mut v);
    v.finish()?;
    match (request_id, name, phone, id_number, work, home) {
        (Some(request_id), Some(name), Some(phone), Some(id_number), Some(work), Some(home)) => {
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
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `FindVolunteerRequest` as a lookup: exactly one of phone and ID number.
pub(super) fn lookup(r: &pb::FindVolunteerRequest) -> Result<Lookup, Error> {
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
pub(super) fn volunteer_to_proto(v: Volunteer) -> pb::Volunteer {
    let (phone, id_number) = v.revealed.unwrap_or_default();
    pb::Volunteer {
        phone,
        id_number,
        id: v.id,
        name: v.name,
        phone_masked: v.phone_masked,
        id_number_masked: v.id_number_masked,
        party_member: v.party_member,
        work_organisation_id: v.work_organisation_id,
        home_community_id: v.home_community_id,
        skills: v.skills,
        create_time: Some(to_timestamp(v.created_at)),
    }
}
