//! Requests about activities parsed into the domain, and answers built from it.

use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::{Error, FieldViolation, Violations, enum_map, validate};
use xingfu_proto::common::CommunityRef;
use xingfu_proto::volunteers as pb;

use crate::domain::activities::{Activity, ActivityKind, MAX_CAPACITY, NewActivity, Participation};

enum_map!(kind_to_proto, kind_from_proto, ActivityKind, pb::ActivityKind, "activity kind", {
    Classroom <=> Classroom,
    RedSunday <=> RedSunday,
    Visit <=> Visit,
    Other <=> Other,
    FestivalVisit <=> FestivalVisit,
    CollectiveBirthday <=> CollectiveBirthday,
    CollectiveExchange <=> CollectiveExchange,
    PracticalMatter <=> PracticalMatter,
    MealDonate <=> MealDonate,
    MealOrder <=> MealOrder,
    MealCook <=> MealCook,
    MealDeliver <=> MealDeliver,
});

/// An activity kind of a request; UNSPECIFIED is `None`. The deprecated catch-all kinds
/// are refused with the kinds that replace them.
pub(super) fn parse_kind(value: i32, field: &str) -> Result<Option<ActivityKind>, FieldViolation> {
    #[allow(deprecated)] // naming the deprecated values is how they are refused
    match pb::ActivityKind::try_from(value) {
        Ok(pb::ActivityKind::FourOnes) => Err(FieldViolation::new(
            field,
            "FOUR_ONES is retired: use FESTIVAL_VISIT, COLLECTIVE_BIRTHDAY, \
             COLLECTIVE_EXCHANGE or PRACTICAL_MATTER",
        )),
        Ok(pb::ActivityKind::Meals) => Err(FieldViolation::new(
            field,
            "MEALS is retired: use MEAL_DONATE, MEAL_ORDER, MEAL_COOK or MEAL_DELIVER",
        )),
        _ => kind_from_proto(value, field),
    }
}

/// `CreateActivityRequest` as a new activity, every bad field reported at once.
pub(super) fn new_activity(r: &pb::CreateActivityRequest) -> Result<NewActivity, Error> {
    let mut v = Violations::default();
    let request_id = v.check(validate::request_id(&r.request_id, "request_id"));
    let title = v.check(validate::single_line(&r.title, "title", 200));
    let kind = v.check(validate::required(parse_kind(r.kind, "kind"), "kind"));
    let community_id = v.check(validate::directory_id(&r.community_id, "community_id"));
    let project_id = if r.project_id.is_empty() {
        Some(None)
    } else {
        v.check(validate::uuid(&r.project_id, "project_id"))
            .map(Some)
    };
    let start_at = v.check(
        validate::timestamp(r.start_time.as_ref(), "start_time")
            .and_then(|t| t.ok_or_else(|| FieldViolation::new("start_time", "must be set"))),
    );
    let organisation_id = if r.organisation_id.is_empty() {
        Some(None)
    } else {
        v.check(validate::directory_id(
            &r.organisation_id,
            "organisation_id",
        ))
        .map(Some)
    };
    let capacity = i64::from(r.capacity);
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        v.add("capacity", format!("must be 1 to {MAX_CAPACITY}"));
    }
    v.finish()?;
    match (
        request_id,
        title,
        kind,
        community_id,
        project_id,
        start_at,
        organisation_id,
    ) {
        (
            Some(request_id),
            Some(title),
            Some(kind),
            Some(community_id),
            Some(project_id),
            Some(start_at),
            Some(organisation_id),
        ) => Ok(NewActivity {
            request_id,
            title,
            kind,
            community_id,
            project_id,
            start_at,
            capacity,
            organisation_id,
        }),
        _ => Err(Error::invalid("", "invalid request")),
    }
}

/// `ListActivitiesRequest`'s filters: community, kind and whether completed.
pub(super) type ActivityFilters = (Option<String>, Option<ActivityKind>, Option<bool>);

/// The filters of a `ListActivitiesRequest`, checked.
pub(super) fn list_filters(r: &pb::ListActivitiesRequest) -> Result<ActivityFilters, Error> {
    let mut v = Violations::default();
    let community = if r.community_id.is_empty() {
        None
    } else {
        v.check(validate::directory_id(&r.community_id, "community_id"))
    };
    let kind = v.check(parse_kind(r.kind, "kind")).flatten();
    let completed = match pb::ActivityStatus::try_from(r.status) {
        Ok(pb::ActivityStatus::Unspecified) => None,
        Ok(pb::ActivityStatus::Open) => Some(false),
        Ok(pb::ActivityStatus::Completed) => Some(true),
        Err(_) => {
            v.add("status", format!("unknown activity status {}", r.status));
            None
        }
    };
    v.finish()?;
    Ok((community, kind, completed))
}

/// The activity and volunteer ids of a sign-up or check, checked.
pub(super) fn ids(activity_id: &str, volunteer_id: &str) -> Result<(String, String), Error> {
    let mut v = Violations::default();
    let activity = v.check(validate::uuid(activity_id, "activity_id"));
    let volunteer = v.check(validate::uuid(volunteer_id, "volunteer_id"));
    v.finish()?;
    Ok((activity.unwrap_or_default(), volunteer.unwrap_or_default()))
}

/// A check's time: the given one, or now.
pub(super) fn check_time(r: &pb::CheckRequest) -> Result<i64, Error> {
    Ok(validate::timestamp(r.time.as_ref(), "time")?.unwrap_or_else(now_micros))
}

/// An activity as the API shows it.
pub(super) fn activity_to_proto(a: Activity) -> pb::Activity {
    pb::Activity {
        id: a.id,
        title: a.title,
        kind: kind_to_proto(a.kind) as i32,
        community: Some(CommunityRef {
            id: a.community_id,
            // Checked against the directory, which this service keeps, at creation.
            verified: true,
        }),
        project_id: a.project_id.unwrap_or_default(),
        start_time: Some(to_timestamp(a.start_at)),
        capacity: i32::try_from(a.capacity).unwrap_or(i32::MAX),
        signed_up: i32::try_from(a.signed_up).unwrap_or(i32::MAX),
        create_time: Some(to_timestamp(a.created_at)),
        organisation_id: a.organisation_id.unwrap_or_default(),
        status: if a.completed_at.is_some() {
            pb::ActivityStatus::Completed
        } else {
            pb::ActivityStatus::Open
        } as i32,
        people_served: a.people_served.unwrap_or(0),
        complete_time: a.completed_at.map(to_timestamp),
    }
}

/// A participation as the API shows it.
pub(super) fn participation_to_proto(p: Participation) -> pb::Participation {
    pb::Participation {
        activity_id: p.activity_id,
        volunteer_id: p.volunteer_id,
        check_in_time: p.check_in_at.map(to_timestamp),
        check_out_time: p.check_out_at.map(to_timestamp),
        minutes: p.minutes.unwrap_or(0),
        verified: p.record_id.is_some(),
        verified_by: p.verified_by.unwrap_or_default(),
        record_id: p.record_id.unwrap_or_default(),
    }
}
