//! The activities' calls (creating, signing up, checking in and out, verifying,
//! completing, listing): requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, FieldViolation, Violations, enum_map, paging, validate};
use xingfu_proto::common::{CommunityRef, PageResponse};
use xingfu_proto::volunteers as pb;

use crate::domain::activities::{
    Activity, ActivityKind, ActivityPatch, ActivityStatus, CancelReason, NewActivity,
    Participation, Title,
};
use crate::ops::Volunteers;

enum_map!(status_to_proto, status_from_proto, ActivityStatus, pb::ActivityStatus, "activity status", {
    Open <=> Open,
    Completed <=> Completed,
    Cancelled <=> Cancelled,
});

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
fn parse_kind(value: i32, field: &str) -> Result<Option<ActivityKind>, FieldViolation> {
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

/// CreateActivity.
pub(super) async fn create_activity(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CreateActivityRequest,
) -> Result<pb::Activity, Error> {
    let new = new_activity(&r)?;
    let activity = volunteers.create_activity(caller, new).await?;
    Ok(activity_to_proto(activity))
}

/// GetActivity.
pub(super) async fn get_activity(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::GetActivityRequest,
) -> Result<pb::Activity, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(activity_to_proto(volunteers.activity(caller, &id).await?))
}

/// ListActivities.
pub(super) async fn list_activities(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListActivitiesRequest,
) -> Result<pb::ListActivitiesResponse, Error> {
    let (community, kind, status) = list_filters(&r)?;
    let filters = format!(
        "{:?}/{kind:?}/{status:?}",
        community.as_ref().map(DirectoryId::as_str)
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut found = volunteers
        .activities(
            caller,
            (community.as_ref(), kind, status),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &filters, |a| a.id.as_str());
    Ok(pb::ListActivitiesResponse {
        activities: found.into_iter().map(activity_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// SignUp.
pub(super) async fn sign_up(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::SignUpRequest,
) -> Result<pb::Participation, Error> {
    let (activity, volunteer) = ids(&r.activity_id, &r.volunteer_id)?;
    let part = volunteers.sign_up(caller, &activity, &volunteer).await?;
    Ok(participation_to_proto(part))
}

/// CheckIn.
pub(super) async fn check_in(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CheckRequest,
) -> Result<pb::Participation, Error> {
    let (activity, volunteer) = ids(&r.activity_id, &r.volunteer_id)?;
    let at = check_time(&r)?;
    let part = volunteers
        .check_in(caller, &activity, &volunteer, at)
        .await?;
    Ok(participation_to_proto(part))
}

/// CheckOut.
pub(super) async fn check_out(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CheckRequest,
) -> Result<pb::Participation, Error> {
    let (activity, volunteer) = ids(&r.activity_id, &r.volunteer_id)?;
    let at = check_time(&r)?;
    let part = volunteers
        .check_out(caller, &activity, &volunteer, at)
        .await?;
    Ok(participation_to_proto(part))
}

/// VerifyHours: the verifier is the caller (or whom a delegate names), never the
/// field's word.
pub(super) async fn verify_hours(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::VerifyHoursRequest,
) -> Result<pb::VerifyHoursResponse, Error> {
    let activity = RecordId::parse(&r.activity_id, "activity_id")?;
    let verifier = caller.actor("verifier", &r.verifier)?;
    let verified = volunteers
        .verify_hours(caller, &activity, &verifier.id)
        .await?;
    Ok(pb::VerifyHoursResponse {
        verified: verified.into_iter().map(participation_to_proto).collect(),
    })
}

/// CompleteActivity.
pub(super) async fn complete_activity(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CompleteActivityRequest,
) -> Result<pb::Activity, Error> {
    let id = RecordId::parse(&r.activity_id, "activity_id")?;
    let activity = volunteers
        .complete_activity(caller, &id, r.people_served)
        .await?;
    Ok(activity_to_proto(activity))
}

/// `CreateActivityRequest` as a new activity, every bad field reported at once.
fn new_activity(r: &pb::CreateActivityRequest) -> Result<NewActivity, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let title = v.check(Title::parse(&r.title, "title"));
    let kind = v.check(validate::required(parse_kind(r.kind, "kind"), "kind"));
    let community_id = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let project_id = if r.project_id.is_empty() {
        Some(None)
    } else {
        v.check(RecordId::parse(&r.project_id, "project_id"))
            .map(Some)
    };
    let start_at = v.check(
        validate::timestamp(r.start_time.as_ref(), "start_time")
            .and_then(|t| t.ok_or_else(|| FieldViolation::new("start_time", "must be set"))),
    );
    let organisation_id = if r.organisation_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.organisation_id, "organisation_id"))
            .map(Some)
    };
    let co_organiser_ids = co_organisers(&r.co_organiser_ids, "co_organiser_ids", &mut v);
    if !r.co_organiser_ids.is_empty()
        && (r.organisation_id.is_empty() || r.co_organiser_ids.contains(&r.organisation_id))
    {
        v.add(
            "co_organiser_ids",
            "co-organisers run an activity with a lead organisation_id, not in their number",
        );
    }
    let (request_id, title, kind, community_id, project_id, start_at, organisation_id) = v
        .finish_with((
            request_id,
            title,
            kind,
            community_id,
            project_id,
            start_at,
            organisation_id,
        ))?;
    Ok(NewActivity {
        request_id,
        title,
        kind,
        community_id,
        project_id,
        start_at,
        capacity: i64::from(r.capacity),
        organisation_id,
        co_organiser_ids,
    })
}

/// Co-organiser ids, each a directory id (the proto bounds their number and keeps them
/// distinct).
fn co_organisers(ids: &[String], field: &str, v: &mut Violations) -> Vec<DirectoryId> {
    ids.iter()
        .enumerate()
        .filter_map(|(i, id)| v.check(DirectoryId::parse(id, &format!("{field}[{i}]"))))
        .collect()
}

/// CancelSignUp.
pub(super) async fn cancel_sign_up(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CancelSignUpRequest,
) -> Result<pb::Activity, Error> {
    let (activity, volunteer) = ids(&r.activity_id, &r.volunteer_id)?;
    let activity = volunteers
        .cancel_sign_up(caller, &activity, &volunteer)
        .await?;
    Ok(activity_to_proto(activity))
}

/// UpdateActivity: the fields the mask names, at the version read.
pub(super) async fn update_activity(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::UpdateActivityRequest,
) -> Result<pb::Activity, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        v.add("update_mask", "must name at least one field");
    }
    let values = r.values.unwrap_or_default();
    let mut patch = ActivityPatch::default();
    for path in &paths {
        let field = format!("values.{path}");
        match path.as_str() {
            "title" => patch.title = v.check(Title::parse(&values.title, &field)),
            "start_time" => {
                patch.start_at = v.check(
                    validate::timestamp(values.start_time.as_ref(), &field).and_then(|t| {
                        t.ok_or_else(|| FieldViolation::new(field.as_str(), "must be set"))
                    }),
                )
            }
            "capacity" => match values.capacity {
                1..=10_000 => patch.capacity = Some(i64::from(values.capacity)),
                _ => v.add(&field, "must be 1 to 10,000"),
            },
            "community_id" => {
                patch.community_id = v.check(DirectoryId::parse(&values.community_id, &field))
            }
            "project_id" => {
                patch.project_id = match values.project_id.as_str() {
                    "" => Some(None),
                    id => v.check(RecordId::parse(id, &field)).map(Some),
                }
            }
            "co_organiser_ids" => {
                patch.co_organiser_ids =
                    Some(co_organisers(&values.co_organiser_ids, &field, &mut v))
            }
            other => v.add("update_mask", format!("{other:?} is not an editable field")),
        }
    }
    let id = v.finish_with(id)?;
    let activity = volunteers
        .update_activity(caller, &id, r.version, patch)
        .await?;
    Ok(activity_to_proto(activity))
}

/// CancelActivity.
pub(super) async fn cancel_activity(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CancelActivityRequest,
) -> Result<pb::Activity, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let reason = v.check(CancelReason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    let activity = volunteers.cancel_activity(caller, &id, &reason).await?;
    Ok(activity_to_proto(activity))
}

/// `ListActivitiesRequest`'s filters: community, kind and status.
type ListFilters = (
    Option<DirectoryId>,
    Option<ActivityKind>,
    Option<ActivityStatus>,
);

/// The filters of a `ListActivitiesRequest`, checked.
fn list_filters(r: &pb::ListActivitiesRequest) -> Result<ListFilters, Error> {
    let mut v = Violations::default();
    let community = if r.community_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.community_id, "community_id"))
            .map(Some)
    };
    let kind = v.check(parse_kind(r.kind, "kind"));
    let status = v.check(status_from_proto(r.status, "status"));
    v.finish_with((community, kind, status))
}

/// The activity and volunteer ids of a sign-up or check, checked.
fn ids(activity_id: &str, volunteer_id: &str) -> Result<(RecordId, RecordId), Error> {
    let mut v = Violations::default();
    let activity = v.check(RecordId::parse(activity_id, "activity_id"));
    let volunteer = v.check(RecordId::parse(volunteer_id, "volunteer_id"));
    v.finish_with((activity, volunteer))
}

/// A check's time: the given one, or now.
fn check_time(r: &pb::CheckRequest) -> Result<i64, Error> {
    Ok(validate::timestamp(r.time.as_ref(), "time")?.unwrap_or_else(now_micros))
}

/// An activity as the API shows it.
fn activity_to_proto(a: Activity) -> pb::Activity {
    let status = status_to_proto(a.status()) as i32;
    pb::Activity {
        id: a.id.into_string(),
        title: a.title.into_string(),
        kind: kind_to_proto(a.kind) as i32,
        community: Some(CommunityRef {
            id: a.community_id.into_string(),
            // Checked against the directory, which this service keeps, at creation.
            verified: true,
        }),
        project_id: a.project_id.map(String::from).unwrap_or_default(),
        start_time: Some(to_timestamp(a.start_at)),
        capacity: i32::try_from(a.capacity).unwrap_or(i32::MAX),
        signed_up: i32::try_from(a.signed_up).unwrap_or(i32::MAX),
        create_time: Some(to_timestamp(a.created_at)),
        organisation_id: a.organisation_id.map(String::from).unwrap_or_default(),
        status,
        people_served: a.people_served.unwrap_or(0),
        complete_time: a.completed_at.map(to_timestamp),
        co_organiser_ids: a.co_organiser_ids.into_iter().map(String::from).collect(),
        version: a.version,
        cancel_time: a.cancelled_at.map(to_timestamp),
        cancel_reason: a.cancel_reason.unwrap_or_default(),
    }
}

/// A participation as the API shows it.
fn participation_to_proto(p: Participation) -> pb::Participation {
    pb::Participation {
        activity_id: p.activity_id.into_string(),
        volunteer_id: p.volunteer_id.into_string(),
        check_in_time: p.check_in_at.map(to_timestamp),
        check_out_time: p.check_out_at.map(to_timestamp),
        minutes: p.minutes.unwrap_or(0),
        verified: p.record_id.is_some(),
        verified_by: p.verified_by.unwrap_or_default(),
        record_id: p.record_id.map(String::from).unwrap_or_default(),
    }
}
