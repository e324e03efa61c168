//! Completed activities and what is made of them: service records, summaries, exports,
//! the Four Ones report and the dashboard figures.

use tonic::Code;
use tonic_types::StatusExt as _;
use xingfu_proto::common::{Date, PageRequest};
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

use crate::directory::fields;
use crate::helpers::{START, activity, at, check, register, started, uuid_like};

type Client = VolunteersServiceClient<Channel>;

/// Creates an activity of `kind` starting at `start`, has each volunteer serve
/// `minutes`, verifies them and, when `people_served` is given, completes it.
async fn held(
    client: &mut Client,
    key: &str,
    kind: pb::ActivityKind,
    community_id: &str,
    start: i64,
    served: &[(&str, i64)],
    people_served: Option<i64>,
) -> pb::Activity {
    let mut request = activity(key, 50);
    request.kind = kind as i32;
    request.community_id = community_id.into();
    request.organisation_id = "beiao-party".into();
    request.start_time = at(start);
    let act = client.create_activity(request).await.unwrap().into_inner();
    for (volunteer, minutes) in served {
        client
            .sign_up(pb::SignUpRequest {
                activity_id: act.id.clone(),
                volunteer_id: (*volunteer).into(),
            })
            .await
            .unwrap();
        client
            .check_in(check(&act.id, volunteer, start))
            .await
            .unwrap();
        client
            .check_out(check(&act.id, volunteer, start + minutes * 60))
            .await
            .unwrap();
    }
    client
        .verify_hours(pb::VerifyHoursRequest {
            activity_id: act.id.clone(),
            verifier: "beiao-party".into(),
        })
        .await
        .unwrap();
    match people_served {
        Some(people_served) => client
            .complete_activity(pb::CompleteActivityRequest {
                activity_id: act.id.clone(),
                people_served,
            })
            .await
            .unwrap()
            .into_inner(),
        None => act,
    }
}

fn day(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn precondition(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .precondition_failure()
        .map(|p| p.violations[0].r#type.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn completed_activities_feed_records_summaries_exports_and_figures() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let (a, b) = (
        register(&mut client, 1).await,
        register(&mut client, 2).await,
    );

    let mut retired = activity("old-kind", 5);
    #[allow(deprecated)]
    {
        retired.kind = pb::ActivityKind::Meals as i32;
    }
    let status = client.create_activity(retired).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("MEAL_DELIVER"), "{status:?}");

    let meals = held(
        &mut client,
        "meals",
        pb::ActivityKind::MealDeliver,
        "beiao-xiaoqu",
        START,
        &[(&a, 60), (&b, 60)],
        Some(120),
    )
    .await;
    assert_eq!(meals.status, pb::ActivityStatus::Completed as i32);
    assert_eq!(
        (meals.people_served, meals.organisation_id.as_str()),
        (120, "beiao-party")
    );
    let birthday = held(
        &mut client,
        "birthday",
        pb::ActivityKind::CollectiveBirthday,
        "beiao-xiaoqu",
        START + 86_400,
        &[(&a, 90)],
        Some(40),
    )
    .await;
    let open = held(
        &mut client,
        "sunday",
        pb::ActivityKind::RedSunday,
        "beiao-xiaoqu",
        START,
        &[],
        None,
    )
    .await;

    // Completing again: the same figure is a retry, another is refused.
    let complete = |id: &str, people_served| pb::CompleteActivityRequest {
        activity_id: id.into(),
        people_served,
    };
    let again = client
        .complete_activity(complete(&birthday.id, 40))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, birthday);
    let status = client
        .complete_activity(complete(&birthday.id, 41))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ACTIVITY_COMPLETED");
    let status = client
        .sign_up(pb::SignUpRequest {
            activity_id: birthday.id.clone(),
            volunteer_id: b.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        precondition(&status),
        "ACTIVITY_COMPLETED",
        "sign-ups close"
    );
    let status = client
        .complete_activity(complete(&open.id, -1))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["people_served"]);
    assert_eq!(
        client
            .complete_activity(complete(&uuid_like(), 1))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // Listing by status and kind, a page at a time.
    let list = |kind: pb::ActivityKind, status: pb::ActivityStatus, size, token: String| {
        pb::ListActivitiesRequest {
            page: Some(PageRequest {
                page_size: size,
                page_token: token,
            }),
            community_id: "beiao-xiaoqu".into(),
            kind: kind as i32,
            status: status as i32,
        }
    };
    use pb::ActivityKind as K;
    use pb::ActivityStatus as S;
    let completed = client
        .list_activities(list(K::Unspecified, S::Completed, 10, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(completed.activities.len(), 2);
    let first = client
        .list_activities(list(K::Unspecified, S::Unspecified, 2, String::new()))
        .await
        .unwrap()
        .into_inner();
    let token = first.page.unwrap().next_page_token;
    let rest = client
        .list_activities(list(K::Unspecified, S::Unspecified, 2, token))
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = first
        .activities
        .iter()
        .chain(&rest.activities)
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(
        ids,
        [meals.id.clone(), birthday.id.clone(), open.id.clone()]
    );
    #[allow(deprecated)]
    let retired = K::Meals;
    let status = client
        .list_activities(list(retired, S::Unspecified, 2, String::new()))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["kind"], "retired kinds are refused");

    // Hours per volunteer, organisation and community, over a period.
    let summary =
        |volunteer: &str, organisation: &str, community: &str| pb::SummariseHoursRequest {
            volunteer_id: volunteer.into(),
            organisation_id: organisation.into(),
            community_id: community.into(),
            from: None,
            to: None,
        };
    let of_a = client
        .summarise_hours(summary(&a, "", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((of_a.minutes, of_a.records, of_a.volunteers), (150, 2, 1));
    let of_org = client
        .summarise_hours(summary("", "beiao-party", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (of_org.minutes, of_org.records, of_org.volunteers),
        (210, 3, 2)
    );
    let of_community = client
        .summarise_hours(summary("", "", "beiao-xiaoqu"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(of_community, of_org);
    // START is 2026-11-18 in the district; the birthday is the day after.
    let mut first_day = summary("", "beiao-party", "");
    first_day.from = day(2026, 11, 18);
    first_day.to = day(2026, 11, 18);
    let first_day = client
        .summarise_hours(first_day)
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first_day.minutes, first_day.records), (120, 2));
    let mut backwards = summary(&a, "beiao-party", "");
    backwards.from = day(2026, 11, 19);
    backwards.to = day(2026, 11, 18);
    let status = client.summarise_hours(backwards).await.unwrap_err();
    let bad = fields(&status);
    assert!(bad.contains(&"volunteer_id".to_owned()) && bad.contains(&"to".to_owned()));
    assert_eq!(
        client
            .summarise_hours(summary("", "nowhere", ""))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    assert_eq!(
        client
            .summarise_hours(summary(&uuid_like(), "", ""))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // The export a national volunteer information system takes: masked, complete.
    let export = |format: pb::ExportFormat| pb::ExportServiceRecordRequest {
        volunteer_id: a.clone(),
        format: format as i32,
    };
    let json = read_export(&mut client, export(pb::ExportFormat::Json)).await;
    assert_eq!(json.0, "application/json");
    let doc: serde_json::Value = serde_json::from_slice(&json.1).unwrap();
    assert_eq!(doc["volunteer"]["name"], "志愿者1");
    let records = doc["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["organisation"], "北岙街道党工委");
    assert_eq!(records[0]["activity_kind"], "MEAL_DELIVER");
    assert_eq!(records[0]["date"], "2026-11-18");
    assert_eq!(records[0]["hours"], "1.00");
    assert_eq!(records[1]["hours"], "1.50");
    assert_eq!(records[1]["verifier"], "beiao-party");
    let masked = records[0]["id_number_masked"].as_str().unwrap();
    assert!(masked.contains("**********"), "{masked}");
    let text = String::from_utf8(json.1.clone()).unwrap();
    assert!(!text.contains("330322199001010"), "no ID number in clear");

    let csv = read_export(&mut client, export(pb::ExportFormat::Csv)).await;
    assert!(csv.0.starts_with("text/csv"));
    let csv = String::from_utf8(csv.1).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("record_id,name,id_number_masked,"));
    assert!(lines[2].contains(",COLLECTIVE_BIRTHDAY,") && lines[2].contains(",90,1.50,"));
    let status = client
        .export_service_record(export(pb::ExportFormat::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["format"]);
    let mut nobody = export(pb::ExportFormat::Csv);
    nobody.volunteer_id = uuid_like();
    assert_eq!(
        client
            .export_service_record(nobody)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stats.events,
            stats.participants,
            stats.meals_served,
            stats.verified_minutes,
            stats.service_records
        ),
        (2, 160, 120, 210, 3)
    );
    let delivered = stats
        .by_kind
        .iter()
        .find(|k| k.kind == K::MealDeliver as i32)
        .unwrap();
    assert_eq!(
        (
            delivered.activities,
            delivered.completed,
            delivered.volunteer_times
        ),
        (1, 1, 2)
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

async fn read_export(
    client: &mut Client,
    request: pb::ExportServiceRecordRequest,
) -> (String, Vec<u8>) {
    let mut stream = client
        .export_service_record(request)
        .await
        .unwrap()
        .into_inner();
    let (mut content_type, mut data) = (String::new(), Vec::new());
    while let Some(chunk) = stream.message().await.unwrap() {
        if content_type.is_empty() {
            content_type = chunk.content_type;
        }
        data.extend(chunk.data);
    }
    (content_type, data)
}

#[tokio::test]
async fn the_four_ones_report_shows_what_each_linked_community_misses() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    client
        .register_community(pb::RegisterCommunityRequest {
            id: "dongping-cun".into(),
            name: "东屏村".into(),
            kind: pb::CommunityKind::Village as i32,
            township: "东屏街道".into(),
        })
        .await
        .unwrap();
    let link = |community: &str| pb::CommunityLinkRequest {
        organisation_id: "beiao-party".into(),
        community_id: community.into(),
    };
    for community in ["beiao-xiaoqu", "dongping-cun", "dongping-cun"] {
        let linked = client.link_community(link(community)).await.unwrap();
        assert!(linked.into_inner().linked);
    }
    assert_eq!(
        client
            .link_community(link("nowhere"))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );
    use pb::ActivityKind as K;
    for (i, kind) in [
        K::FestivalVisit,
        K::CollectiveBirthday,
        K::CollectiveExchange,
        K::PracticalMatter,
    ]
    .into_iter()
    .enumerate()
    {
        held(
            &mut client,
            &format!("b-{i}"),
            kind,
            "beiao-xiaoqu",
            START,
            &[],
            Some(30),
        )
        .await;
    }
    held(
        &mut client,
        "d-1",
        K::FestivalVisit,
        "dongping-cun",
        START,
        &[],
        Some(12),
    )
    .await;
    // Not completed, and completed the year before: neither counts for 2026.
    held(
        &mut client,
        "d-2",
        K::CollectiveBirthday,
        "dongping-cun",
        START,
        &[],
        None,
    )
    .await;
    let year_before = START - 365 * 86_400;
    held(
        &mut client,
        "d-3",
        K::PracticalMatter,
        "dongping-cun",
        year_before,
        &[],
        Some(5),
    )
    .await;

    let report = |year, missing_only, size, token: String| pb::FourOnesReportRequest {
        page: Some(PageRequest {
            page_size: size,
            page_token: token,
        }),
        year,
        organisation_id: "beiao-party".into(),
        missing_only,
    };
    let full = client
        .four_ones_report(report(2026, false, 10, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.rows.len(), 2);
    let (beiao, dongping) = (&full.rows[0], &full.rows[1]);
    assert_eq!(beiao.community_id, "beiao-xiaoqu");
    assert!(beiao.missing.is_empty(), "{beiao:?}");
    assert_eq!(
        (
            dongping.festival_visits,
            dongping.collective_birthdays,
            dongping.practical_matters
        ),
        (1, 0, 0)
    );
    assert_eq!(
        dongping.missing,
        [
            K::CollectiveBirthday as i32,
            K::CollectiveExchange as i32,
            K::PracticalMatter as i32
        ]
    );
    let missing = client
        .four_ones_report(report(2026, true, 10, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(missing.rows.len(), 1);
    assert_eq!(missing.rows[0].community_id, "dongping-cun");
    let first = client
        .four_ones_report(report(2026, false, 1, String::new()))
        .await
        .unwrap()
        .into_inner();
    let token = first.page.unwrap().next_page_token;
    assert!(!token.is_empty());
    let second = client
        .four_ones_report(report(2026, false, 1, token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            first.rows[0].community_id.as_str(),
            second.rows[0].community_id.as_str()
        ),
        ("beiao-xiaoqu", "dongping-cun")
    );
    assert!(second.page.unwrap().next_page_token.is_empty());
    let before = client
        .four_ones_report(report(2025, false, 10, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.rows[1].practical_matters, 1);

    let status = client
        .four_ones_report(report(1999, false, 10, String::new()))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["year"]);
    let mut elsewhere = report(2026, false, 10, String::new());
    elsewhere.organisation_id = "nowhere".into();
    assert_eq!(
        client.four_ones_report(elsewhere).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let unlinked = client
        .unlink_community(link("dongping-cun"))
        .await
        .unwrap()
        .into_inner();
    assert!(!unlinked.linked);
    let after = client
        .four_ones_report(report(2026, false, 10, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.rows.len(), 1);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
