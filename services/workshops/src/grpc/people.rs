//! Appointments and broker ratings: requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{DirectoryId, Line, Note, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::workshops as pb;

use super::fields::optional_id;
use super::refs;
use crate::access::Scope;
use crate::domain::people::{Appointment, ListFilters, NewAppointment, Place, Role};
use crate::ops::{Known, Workshops};

enum_map!(role_to_proto, role_from_proto, Role, pb::Role, "role", {
    Commissioner <=> Commissioner,
    RedSteward <=> RedSteward,
    StarBroker <=> StarBroker,
});

/// Appoint.
pub(super) async fn appoint(
    workshops: &Workshops,
    r: pb::AppointRequest,
) -> Result<pb::Appointment, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let volunteer = v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"));
    let role = v.check(validate::required(role_from_proto(r.role, "role"), "role"));
    let place = match (
        r.workshop_id.is_empty(),
        r.community_id.is_empty(),
        r.firm.trim().is_empty(),
    ) {
        (false, true, true) => v
            .check(RecordId::parse(&r.workshop_id, "workshop_id"))
            .map(Place::Workshop),
        (true, false, true) => v
            .check(DirectoryId::parse(&r.community_id, "community_id"))
            .map(Place::Community),
        (true, true, false) => v.check(Line::parse(&r.firm, "firm")).map(Place::Firm),
        _ => {
            v.add(
                "workshop_id",
                "give exactly one of workshop_id, community_id and firm",
            );
            None
        }
    };
    let (request_id, volunteer_id, role, place) =
        v.finish_with((request_id, volunteer, role, place))?;
    let appointment = workshops
        .appoint(NewAppointment {
            request_id,
            volunteer_id,
            role,
            place,
        })
        .await?;
    answer(workshops, appointment).await
}

/// EndAppointment.
pub(super) async fn end(
    workshops: &Workshops,
    r: pb::EndAppointmentRequest,
) -> Result<pb::Appointment, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    answer(workshops, workshops.end_appointment(&id).await?).await
}

/// ListAppointments.
pub(super) async fn list(
    workshops: &Workshops,
    r: pb::ListAppointmentsRequest,
    scope: &Scope,
) -> Result<pb::ListAppointmentsResponse, Error> {
    let mut v = Violations::default();
    let filters = ListFilters {
        role: v.check(role_from_proto(r.role, "role")).flatten(),
        workshop_id: optional_id(&r.workshop_id, "workshop_id", RecordId::parse, &mut v),
        volunteer_id: optional_id(&r.volunteer_id, "volunteer_id", RecordId::parse, &mut v),
        active_only: r.active_only,
    };
    v.finish()?;
    let key = format!("{filters:?}");
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let mut found = workshops
        .appointments(&filters, scope, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |a| a.id.as_str());
    let known = known_of(workshops, &found).await?;
    Ok(pb::ListAppointmentsResponse {
        appointments: found
            .into_iter()
            .map(|a| appointment_to_proto(a, &known))
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// RateBroker.
pub(super) async fn rate(
    workshops: &Workshops,
    r: pb::RateBrokerRequest,
) -> Result<pb::Appointment, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let id = v.check(RecordId::parse(&r.appointment_id, "appointment_id"));
    let note = v.check(Note::parse(&r.note, "note"));
    let (request_id, id, note) = v.finish_with((request_id, id, note))?;
    let rated = workshops
        .rate_broker(&request_id, &id, i64::from(r.stars), note)
        .await?;
    answer(workshops, rated).await
}

/// ListBrokerRatings.
pub(super) async fn ratings(
    workshops: &Workshops,
    r: pb::ListBrokerRatingsRequest,
) -> Result<pb::ListBrokerRatingsResponse, Error> {
    let id = RecordId::parse(&r.appointment_id, "appointment_id")?;
    let page = paging::parse(r.page.as_ref(), id.as_str(), "page")?;
    let mut found = workshops
        .broker_ratings(&id, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut found, &page, id.as_str(), |(key, _)| key.as_str());
    Ok(pb::ListBrokerRatingsResponse {
        ratings: found
            .into_iter()
            .map(|(_, rating)| pb::BrokerRating {
                stars: i32::try_from(rating.stars).unwrap_or(0),
                note: rating.note.into_string(),
                create_time: Some(to_timestamp(rating.created_at)),
            })
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

async fn answer(workshops: &Workshops, appointment: Appointment) -> Result<pb::Appointment, Error> {
    let known = known_of(workshops, std::slice::from_ref(&appointment)).await?;
    Ok(appointment_to_proto(appointment, &known))
}

async fn known_of(workshops: &Workshops, found: &[Appointment]) -> Result<Known, Error> {
    let volunteers: Vec<&str> = found.iter().map(|a| a.volunteer_id.as_str()).collect();
    workshops.known(&[], &[], &volunteers).await
}

fn appointment_to_proto(a: Appointment, known: &Known) -> pb::Appointment {
    let (workshop_id, community_id, firm) = match a.place {
        Place::Workshop(id) => (id.into_string(), String::new(), String::new()),
        Place::Community(id) => (String::new(), id.into_string(), String::new()),
        Place::Firm(name) => (String::new(), String::new(), name.into_string()),
    };
    pb::Appointment {
        volunteer: refs::volunteer(known, &a.volunteer_id),
        id: a.id.into_string(),
        role: role_to_proto(a.role) as i32,
        workshop_id,
        community_id,
        firm,
        stars: i32::try_from(a.stars).unwrap_or(0),
        active: a.active,
        create_time: Some(to_timestamp(a.created_at)),
        end_time: a.ended_at.map(to_timestamp),
    }
}
