//! Activities change after creation (issue 19): sign-ups cancelled and places freed,
//! edits at a version, cancellation with the volunteers told, and departments running
//! one activity together.

use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{TestEnv, principal};

use crate::boundaries::{Client, client_as, enrol, place, precondition, reason, verify};
use crate::directory::fields;
use crate::helpers::{START, activity, at, check};

async fn started(env: &TestEnv) -> (Client, xingfu_platform::runner::RunningSuite) {
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut admin = VolunteersServiceClient::new(xingfu_testkit::channel(addr).await);
    for side in ["a", "b", "c"] {
        place(&mut admin, side).await;
    }
    (admin, suite)
}

/// An activity in com-a led by org-a with `co_organisers`, taking `capacity`.
async fn open(
    admin: &mut Client,
    key: &str,
    capacity: i32,
    co_organisers: &[&str],
) -> pb::Activity {
    let mut request = activity(key, capacity);
    request.community_id = "com-a".into();
    request.organisation_id = "org-a".into();
    request.co_organiser_ids = co_organisers.iter().map(|o| (*o).to_owned()).collect();
    admin.create_activity(request).await.unwrap().into_inner()
}

fn sign_up(activity_id: &str, volunteer_id: &str) -> pb::SignUpRequest {
    pb::SignUpRequest {
        activity_id: activity_id.into(),
        volunteer_id: volunteer_id.into(),
    }
}

fn cancel_sign_up(activity_id: &str, volunteer_id: &str) -> pb::CancelSignUpRequest {
    pb::CancelSignUpRequest {
        activity_id: activity_id.into(),
        volunteer_id: volunteer_id.into(),
    }
}

fn update(
    id: &str,
    version: i64,
    paths: &[&str],
    values: pb::CreateActivityRequest,
) -> pb::UpdateActivityRequest {
    pb::UpdateActivityRequest {
        id: id.into(),
        version,
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        values: Some(values),
    }
}

/// The volunteer `id` calling as themself, with no role.
fn as_volunteer(id: &str) -> Caller {
    Caller {
        volunteer: Some(id.to_owned()),
        ..principal(&format!("person-{id}"), &[], None)
    }
}

async fn events(env: &TestEnv, fact: &str) -> Vec<Vec<u8>> {
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();
    let payloads = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT payload FROM outbox WHERE subject LIKE '%.{fact}.%' ORDER BY seq"
    )))
    .fetch_all(db.pool())
    .await
    .unwrap();
    db.close().await;
    payloads
}

#[tokio::test]
async fn a_sign_up_cancelled_before_arrival_frees_its_place() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let a = enrol(&mut admin, 1, "org-a", "com-a").await;
    let b = enrol(&mut admin, 2, "org-a", "com-a").await;
    let act = open(&mut admin, "act-1", 1, &[]).await;

    admin.sign_up(sign_up(&act.id, &a)).await.unwrap();
    let full = admin.sign_up(sign_up(&act.id, &b)).await.unwrap_err();
    assert_eq!(precondition(&full), "ACTIVITY_FULL");

    // Another volunteer may not end a's sign-up; a may, as themself.
    let status = client_as(addr, as_volunteer(&b))
        .await
        .cancel_sign_up(cancel_sign_up(&act.id, &a))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");
    let freed = client_as(addr, as_volunteer(&a))
        .await
        .cancel_sign_up(cancel_sign_up(&act.id, &a))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(freed.signed_up, 0);
    let again = admin
        .cancel_sign_up(cancel_sign_up(&act.id, &a))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.signed_up, 0, "cancelling again changes nothing");

    // The freed place is b's; once b has arrived, their sign-up is service, not cancelled.
    admin.sign_up(sign_up(&act.id, &b)).await.unwrap();
    admin.check_in(check(&act.id, &b, START)).await.unwrap();
    let status = admin
        .cancel_sign_up(cancel_sign_up(&act.id, &b))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ALREADY_CHECKED_IN");
    let stored = admin
        .get_activity(pb::GetActivityRequest { id: act.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.signed_up, 1);
    // a signs up again: the activity is full with b.
    let status = admin.sign_up(sign_up(&act.id, &a)).await.unwrap_err();
    assert_eq!(precondition(&status), "ACTIVITY_FULL");

    let changes = events(&env, "participation_changed").await;
    let cancelled = changes
        .iter()
        .filter(|p| p.windows(9).any(|w| w == b"cancelled"))
        .count();
    assert_eq!(cancelled, 1, "one cancellation, one event");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_open_activity_is_edited_at_its_version_and_cancelled_with_its_volunteers_told() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let a = enrol(&mut admin, 1, "org-a", "com-a").await;
    let act = open(&mut admin, "act-1", 3, &[]).await;
    assert_eq!(
        (act.version, act.status),
        (1, pb::ActivityStatus::Open as i32)
    );
    admin.sign_up(sign_up(&act.id, &a)).await.unwrap();
    let second = enrol(&mut admin, 2, "org-a", "com-a").await;
    admin.sign_up(sign_up(&act.id, &second)).await.unwrap();

    let values = pb::CreateActivityRequest {
        title: "红色星期天 · 改期".into(),
        start_time: at(START + 86_400),
        capacity: 5,
        ..Default::default()
    };
    let paths = ["title", "start_time", "capacity"];
    let stale = admin
        .update_activity(update(&act.id, 2, &paths, values.clone()))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let edited = admin
        .update_activity(update(&act.id, 1, &paths, values.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (edited.version, edited.capacity, edited.title.as_str()),
        (2, 5, "红色星期天 · 改期")
    );
    assert_eq!(edited.start_time, at(START + 86_400));
    let same = admin
        .update_activity(update(&act.id, 2, &paths, values))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.version, 2, "asking for what it has changes nothing");
    let fewer = pb::CreateActivityRequest {
        capacity: 1,
        ..Default::default()
    };
    let status = admin
        .update_activity(update(&act.id, 2, &["capacity"], fewer))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "CAPACITY_BELOW_SIGN_UPS");
    let status = admin
        .update_activity(update(
            &act.id,
            2,
            &["kind", "capacity"],
            pb::CreateActivityRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["update_mask", "values.capacity"]);
    let updated = events(&env, "activity_updated").await;
    assert_eq!(updated.len(), 1);
    assert!(
        updated[0].windows(a.len()).any(|w| w == a.as_bytes()),
        "the volunteers are named, to be told"
    );

    // Cancelled with a reason: sign-ups close, the volunteers are told, and the figures
    // count it no more.
    let before = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let cancel = pb::CancelActivityRequest {
        id: act.id.clone(),
        reason: "台风预警".into(),
    };
    let cancelled = admin
        .cancel_activity(cancel.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::ActivityStatus::Cancelled as i32);
    assert_eq!(cancelled.cancel_reason, "台风预警");
    assert!(cancelled.cancel_time.is_some());
    assert_eq!(
        admin.cancel_activity(cancel).await.unwrap().into_inner(),
        cancelled
    );
    let after = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let red_sundays = |s: &pb::VolunteerStats| {
        s.by_kind
            .iter()
            .find(|k| k.kind == pb::ActivityKind::RedSunday as i32)
            .map_or(0, |k| k.activities)
    };
    assert_eq!(red_sundays(&after), red_sundays(&before) - 1);
    let told = events(&env, "activity_cancelled").await;
    assert_eq!(told.len(), 1);
    assert!(told[0].windows(a.len()).any(|w| w == a.as_bytes()));
    let third = enrol(&mut admin, 3, "org-a", "com-a").await;
    for status in [
        admin.sign_up(sign_up(&act.id, &third)).await.unwrap_err(),
        admin.check_in(check(&act.id, &a, START)).await.unwrap_err(),
        admin
            .update_activity(update(
                &act.id,
                cancelled.version,
                &["title"],
                pb::CreateActivityRequest {
                    title: "再改".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
        admin
            .complete_activity(pb::CompleteActivityRequest {
                activity_id: act.id.clone(),
                people_served: 3,
            })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(precondition(&status), "ACTIVITY_CANCELLED");
    }
    let listed = admin
        .list_activities(pb::ListActivitiesRequest {
            status: pb::ActivityStatus::Cancelled as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(listed.len(), 1);
    let open_ones = admin
        .list_activities(pb::ListActivitiesRequest {
            status: pb::ActivityStatus::Open as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert!(open_ones.is_empty());

    // Once someone has arrived, an activity is completed, not cancelled.
    let held = open(&mut admin, "act-2", 3, &[]).await;
    admin.sign_up(sign_up(&held.id, &a)).await.unwrap();
    admin.check_in(check(&held.id, &a, START)).await.unwrap();
    let status = admin
        .cancel_activity(pb::CancelActivityRequest {
            id: held.id.clone(),
            reason: "取消".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ACTIVITY_UNDER_WAY");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn departments_running_an_activity_together_reach_it_and_others_do_not() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();

    // Co-organisers need a lead, other than themselves, and must be in the directory.
    let mut request = activity("act-x", 3);
    request.community_id = "com-a".into();
    request.co_organiser_ids = vec!["org-b".into()];
    let status = admin.create_activity(request.clone()).await.unwrap_err();
    assert_eq!(fields(&status), ["co_organiser_ids"]);
    request.organisation_id = "org-a".into();
    request.co_organiser_ids = vec!["org-z".into()];
    let status = admin.create_activity(request).await.unwrap_err();
    assert_eq!(precondition(&status), "ORGANISATION_UNKNOWN");

    let act = open(&mut admin, "act-1", 3, &["org-b"]).await;
    assert_eq!(act.co_organiser_ids, ["org-b"]);
    let v = enrol(&mut admin, 1, "org-a", "com-a").await;
    admin.sign_up(sign_up(&act.id, &v)).await.unwrap();
    admin.check_in(check(&act.id, &v, START)).await.unwrap();
    admin
        .check_out(check(&act.id, &v, START + 3600))
        .await
        .unwrap();

    // org-b's organiser, limited to org-b, reads, lists and verifies it.
    let mut bob = client_as(
        addr,
        principal("bob", &["activity_organiser@org-b"], Some("org-b")),
    )
    .await;
    bob.get_activity(pb::GetActivityRequest { id: act.id.clone() })
        .await
        .unwrap();
    let listed = bob
        .list_activities(pb::ListActivitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(
        listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [act.id.as_str()]
    );
    let verified = bob
        .verify_hours(verify(&act.id, ""))
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);

    // org-c's organiser finds nothing to change, by id or in a list.
    let mut carol = client_as(
        addr,
        principal("carol", &["activity_organiser@org-c"], Some("org-c")),
    )
    .await;
    for status in [
        carol
            .get_activity(pb::GetActivityRequest { id: act.id.clone() })
            .await
            .unwrap_err(),
        carol
            .update_activity(update(
                &act.id,
                1,
                &["title"],
                pb::CreateActivityRequest {
                    title: "冒名".into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err(),
        carol
            .cancel_activity(pb::CancelActivityRequest {
                id: act.id.clone(),
                reason: "冒名".into(),
            })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    assert!(
        carol
            .list_activities(pb::ListActivitiesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .activities
            .is_empty()
    );
    // An organiser of org-c programme-wide in sight but without a role over the activity's
    // organisations may not change it.
    let mut dave = client_as(addr, principal("dave", &["activity_organiser@org-c"], None)).await;
    let status = dave
        .update_activity(update(
            &act.id,
            1,
            &["title"],
            pb::CreateActivityRequest {
                title: "冒名".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");

    // The lead hands org-b's part to org-c; bob no longer sees it.
    let handed = admin
        .update_activity(update(
            &act.id,
            1,
            &["co_organiser_ids"],
            pb::CreateActivityRequest {
                co_organiser_ids: vec!["org-c".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(handed.co_organiser_ids, ["org-c"]);
    let status = bob
        .get_activity(pb::GetActivityRequest { id: act.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    carol
        .get_activity(pb::GetActivityRequest { id: act.id.clone() })
        .await
        .unwrap();
    let status = admin
        .update_activity(update(
            &act.id,
            2,
            &["co_organiser_ids"],
            pb::CreateActivityRequest {
                co_organiser_ids: vec!["org-a".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "LEAD_REQUIRED");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
