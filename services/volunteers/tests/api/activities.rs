use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::TestEnv;

use crate::helpers::{START, activity, at, check, register, started, uuid_like};

#[tokio::test]
async fn activities_are_checked_created_once_and_need_a_known_community() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;

    let status = client
        .create_activity(pb::CreateActivityRequest {
            project_id: "not-a-uuid".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad: Vec<String> = xingfu_testkit::violated_fields(&status);
    for field in [
        "request_id",
        "title",
        "kind",
        "community_id",
        "project_id",
        "start_time",
        "capacity",
    ] {
        assert!(
            bad.contains(&field.to_owned()),
            "{field} reported in {bad:?}"
        );
    }
    let mut elsewhere = activity("act-elsewhere", 5);
    elsewhere.community_id = "nowhere".into();
    assert_eq!(
        client.create_activity(elsewhere).await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    let first = client
        .create_activity(activity("act-1", 5))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_activity(activity("act-1", 5))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry, "a retry returns the activity created first");
    assert_eq!(
        client
            .create_activity(activity("act-1", 6))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "a request id cannot be reused for another activity"
    );
    let read = client
        .get_activity(pb::GetActivityRequest {
            id: first.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, first);
    assert_eq!(
        client
            .get_activity(pb::GetActivityRequest { id: uuid_like() })
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn concurrent_sign_ups_never_overbook_an_activity() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let act = client
        .create_activity(activity("act-full", 3))
        .await
        .unwrap()
        .into_inner();

    let mut volunteers = Vec::new();
    for n in 0..12 {
        volunteers.push(register(&mut client, n).await);
    }
    let status = client
        .sign_up(pb::SignUpRequest {
            activity_id: act.id.clone(),
            volunteer_id: uuid_like(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "only the register signs up"
    );
    let sign_ups = volunteers.iter().map(|volunteer_id| {
        let mut client = client.clone();
        let activity_id = act.id.clone();
        let volunteer_id = volunteer_id.clone();
        tokio::spawn(async move {
            client
                .sign_up(pb::SignUpRequest {
                    activity_id,
                    volunteer_id,
                })
                .await
        })
    });
    let mut placed = 0;
    for sign_up in sign_ups {
        match sign_up.await.unwrap() {
            Ok(_) => placed += 1,
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert_eq!(placed, 3, "exactly the capacity signs up");
    let read = client
        .get_activity(pb::GetActivityRequest { id: act.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.signed_up, 3);

    let roomy = client
        .create_activity(activity("act-roomy", 5))
        .await
        .unwrap()
        .into_inner();
    let once = pb::SignUpRequest {
        activity_id: roomy.id.clone(),
        volunteer_id: volunteers[1].clone(),
    };
    client.sign_up(once.clone()).await.unwrap();
    assert_eq!(
        client.sign_up(once).await.unwrap_err().code(),
        Code::AlreadyExists
    );
    let read = client
        .get_activity(pb::GetActivityRequest { id: roomy.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.signed_up, 1, "a refused second sign-up takes no place");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn checked_out_service_is_verified_once_into_hours_verified_events() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();
    let mut request = activity("act-hours", 4);
    request.project_id = uuid_like();
    let act = client.create_activity(request).await.unwrap().into_inner();
    let (a, b) = (
        register(&mut client, 1).await,
        register(&mut client, 2).await,
    );
    let z = register(&mut client, 3).await;
    for volunteer in [&a, &b] {
        client
            .sign_up(pb::SignUpRequest {
                activity_id: act.id.clone(),
                volunteer_id: volunteer.clone(),
            })
            .await
            .unwrap();
    }
    let status = client
        .check_in(check(&act.id, &z, START))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "not signed up");
    let status = client
        .check_out(check(&act.id, &a, START))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "not checked in");

    client.check_in(check(&act.id, &a, START)).await.unwrap();
    let retry = client
        .check_in(check(&act.id, &a, START + 600))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        retry.check_in_time,
        at(START),
        "arriving again changes nothing"
    );
    let status = client
        .check_out(check(&act.id, &a, START - 60))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "leaving before arriving"
    );
    let out = client
        .check_out(check(&act.id, &a, START + 90 * 60 + 59))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.minutes, 90);
    // Retries racing each other: one arrival is recorded, every caller gets it back.
    let retries: Vec<_> = (0..6)
        .map(|_| {
            let mut client = client.clone();
            let request = check(&act.id, &b, START);
            tokio::spawn(async move { client.check_in(request).await })
        })
        .collect();
    for retry in retries {
        let part = retry.await.unwrap().unwrap().into_inner();
        assert_eq!(part.check_in_time, at(START));
    }

    let verify = pb::VerifyHoursRequest {
        activity_id: act.id.clone(),
        verifier: "beiao-party".into(),
    };
    let verified = client
        .verify_hours(verify.clone())
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1, "only checked-out service is verified");
    assert_eq!((&verified[0].volunteer_id, verified[0].minutes), (&a, 90));
    assert!(verified[0].verified && !verified[0].record_id.is_empty());
    client
        .check_out(check(&act.id, &b, START + 30 * 60))
        .await
        .unwrap();
    let verified = client
        .verify_hours(verify.clone())
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(
        verified.len(),
        1,
        "the first volunteer is not verified twice"
    );
    assert!(
        client
            .verify_hours(verify)
            .await
            .unwrap()
            .into_inner()
            .verified
            .is_empty()
    );

    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT subject, payload FROM outbox WHERE subject LIKE '%hours_verified%' ORDER BY seq",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let events: Vec<pb::HoursVerified> = rows
        .iter()
        .map(|(_, payload)| prost::Message::decode(payload.as_slice()).unwrap())
        .collect();
    assert_eq!(
        events.iter().map(|e| e.minutes).collect::<Vec<_>>(),
        [90, 30]
    );
    assert!(
        events
            .iter()
            .all(|e| e.project_id == uuid_like() && e.community_id == "beiao-xiaoqu")
    );
    let changes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE subject LIKE '%participation_changed%'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        changes,
        2 + 2 + 2,
        "two sign-ups, two arrivals, two leavings; no retries"
    );
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
