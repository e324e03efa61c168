//! Who acted is who called, and a caller limited to an organisation's subtree sees and
//! changes only what is owned inside it (issue 16).

use std::net::SocketAddr;

use tonic::Code;
use tonic_types::StatusExt as _;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{Channel, TestEnv, principal};
use xingfu_volunteers::domain::register::check_character;

use crate::helpers::{START, activity, at, check, started, uuid_like};

pub(crate) type Client = VolunteersServiceClient<Channel>;

/// Two organisations, each linked with its own community, and their records.
struct World {
    addr: SocketAddr,
    /// Works at org-a, lives in com-a.
    va: String,
    /// Works at org-b, lives in com-b.
    vb: String,
    /// Works at org-b, lives in com-a (org-a's home side).
    vc: String,
    act_a: String,
    act_b: String,
    team_a: String,
    team_b: String,
    wish_a: String,
    wish_b: String,
}

pub(crate) async fn client_as(addr: SocketAddr, caller: Caller) -> Client {
    VolunteersServiceClient::new(xingfu_testkit::channel_as(addr, caller).await)
}

/// The ErrorInfo reason of a PERMISSION_DENIED.
pub(crate) use xingfu_testkit::denial_reason as reason;

/// The precondition type of a FAILED_PRECONDITION.
pub(crate) fn precondition(status: &tonic::Status) -> String {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    status
        .get_error_details()
        .precondition_failure()
        .map(|p| p.violations[0].r#type.clone())
        .unwrap_or_default()
}

/// Alice organises and evaluates for org-a, and is limited to it.
fn alice_caller() -> Caller {
    principal(
        "alice",
        &["activity_organiser@org-a", "evaluator@org-a"],
        Some("org-a"),
    )
}

/// The registration of volunteer `n` (a valid, made-up ID number).
pub(crate) fn enrolment(n: u32, work: &str, home: &str) -> pb::RegisterVolunteerRequest {
    let first17 = format!("33032219850101{n:03}");
    let check = check_character(&first17).unwrap();
    pb::RegisterVolunteerRequest {
        request_id: format!("enrol-{n}"),
        name: format!("志愿者{n}"),
        phone: format!("1390000{n:04}"),
        id_number: format!("{first17}{check}"),
        party_member: true,
        work_organisation_id: work.into(),
        home_community_id: home.into(),
        skills: Vec::new(),
    }
}

pub(crate) async fn enrol(client: &mut Client, n: u32, work: &str, home: &str) -> String {
    client
        .register_volunteer(enrolment(n, work, home))
        .await
        .unwrap()
        .into_inner()
        .id
}

/// Organisation `org-<side>` and community `com-<side>`, linked.
pub(crate) async fn place(client: &mut Client, side: &str) {
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: format!("org-{side}"),
            name: format!("机关{side}"),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(pb::RegisterCommunityRequest {
            id: format!("com-{side}"),
            name: format!("社区{side}"),
            kind: pb::CommunityKind::Residential as i32,
            township: "北岙街道".into(),
        })
        .await
        .unwrap();
    client
        .link_community(pb::CommunityLinkRequest {
            organisation_id: format!("org-{side}"),
            community_id: format!("com-{side}"),
        })
        .await
        .unwrap();
}

pub(crate) async fn open_activity(client: &mut Client, side: &str) -> String {
    let mut request = activity(&format!("act-{side}"), 10);
    request.community_id = format!("com-{side}");
    request.organisation_id = format!("org-{side}");
    client
        .create_activity(request)
        .await
        .unwrap()
        .into_inner()
        .id
}

pub(crate) async fn team(client: &mut Client, side: &str) -> String {
    client
        .form_team(pb::FormTeamRequest {
            request_id: format!("team-{side}"),
            name: format!("小桔灯{side}"),
            organisation_id: format!("org-{side}"),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

pub(crate) async fn wish(client: &mut Client, side: &str) -> String {
    client
        .post_wish(pb::PostWishRequest {
            request_id: format!("wish-{side}"),
            child_alias: "小星".into(),
            age_band: pb::AgeBand::AgeBand6To11 as i32,
            community_id: format!("com-{side}"),
            wish: "一套绘本".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// The admin signs `volunteer` up for `activity`, checks them in and out an hour apart.
pub(crate) async fn serve(client: &mut Client, activity_id: &str, volunteer: &str) {
    client
        .sign_up(pb::SignUpRequest {
            activity_id: activity_id.into(),
            volunteer_id: volunteer.into(),
        })
        .await
        .unwrap();
    client
        .check_in(check(activity_id, volunteer, START))
        .await
        .unwrap();
    client
        .check_out(check(activity_id, volunteer, START + 3600))
        .await
        .unwrap();
}

async fn world(admin: &mut Client, addr: SocketAddr) -> World {
    place(admin, "a").await;
    place(admin, "b").await;
    let va = enrol(admin, 1, "org-a", "com-a").await;
    let vb = enrol(admin, 2, "org-b", "com-b").await;
    let vc = enrol(admin, 3, "org-b", "com-a").await;
    World {
        addr,
        act_a: open_activity(admin, "a").await,
        act_b: open_activity(admin, "b").await,
        team_a: team(admin, "a").await,
        team_b: team(admin, "b").await,
        wish_a: wish(admin, "a").await,
        wish_b: wish(admin, "b").await,
        va,
        vb,
        vc,
    }
}

pub(crate) fn verify(activity_id: &str, verifier: &str) -> pb::VerifyHoursRequest {
    pb::VerifyHoursRequest {
        activity_id: activity_id.into(),
        verifier: verifier.into(),
    }
}

pub(crate) fn rating(
    key: &str,
    volunteer: &str,
    side: pb::EvaluationSide,
) -> pb::RecordEvaluationRequest {
    pb::RecordEvaluationRequest {
        request_id: key.into(),
        volunteer_id: volunteer.into(),
        period: "2026-Q3".into(),
        side: side as i32,
        score: 4,
        comment: String::new(),
        evaluator: String::new(),
    }
}

#[tokio::test]
async fn a_caller_limited_to_org_a_reaches_nothing_of_org_b_by_id() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    serve(&mut admin, &w.act_b, &w.vb).await;
    let mut alice = client_as(w.addr, alice_caller()).await;

    // Reads by id: NOT_FOUND, as for an id that does not exist.
    let missing = alice
        .get_volunteer(pb::GetVolunteerRequest { id: uuid_like() })
        .await
        .unwrap_err();
    let outside = alice
        .get_volunteer(pb::GetVolunteerRequest { id: w.vb.clone() })
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code(), outside.code()),
        (Code::NotFound, Code::NotFound)
    );
    let not_found = |status: tonic::Status| assert_eq!(status.code(), Code::NotFound, "{status:?}");
    not_found(
        alice
            .get_activity(pb::GetActivityRequest {
                id: w.act_b.clone(),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        alice
            .get_team(pb::GetTeamRequest {
                id: w.team_b.clone(),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        alice
            .get_wish(pb::GetWishRequest {
                id: w.wish_b.clone(),
            })
            .await
            .unwrap_err(),
    );
    // Inside: found (vc lives in org-a's community, so org-a is one of their owners).
    for id in [&w.va, &w.vc] {
        alice
            .get_volunteer(pb::GetVolunteerRequest { id: id.clone() })
            .await
            .unwrap();
    }

    // Writes by id: refused as for a missing record.
    not_found(
        alice
            .add_team_member(pb::TeamMemberRequest {
                team_id: w.team_b.clone(),
                volunteer_id: w.va.clone(),
            })
            .await
            .unwrap_err(),
    );
    let status = alice
        .add_team_member(pb::TeamMemberRequest {
            team_id: w.team_a.clone(),
            volunteer_id: w.vb.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_UNKNOWN");
    not_found(
        alice
            .sign_up(pb::SignUpRequest {
                activity_id: w.act_b.clone(),
                volunteer_id: w.va.clone(),
            })
            .await
            .unwrap_err(),
    );
    not_found(alice.verify_hours(verify(&w.act_b, "")).await.unwrap_err());
    let status = alice
        .record_evaluation(rating("e-b", &w.vb, pb::EvaluationSide::Work))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_UNKNOWN");
    not_found(
        alice
            .cancel_wish(pb::CancelWishRequest {
                wish_id: w.wish_b.clone(),
                reason: "不需要了".into(),
            })
            .await
            .unwrap_err(),
    );
    not_found(
        alice
            .complete_activity(pb::CompleteActivityRequest {
                activity_id: w.act_b.clone(),
                people_served: 999,
            })
            .await
            .unwrap_err(),
    );
    not_found(
        alice
            .export_service_record(pb::ExportServiceRecordRequest {
                volunteer_id: w.vb.clone(),
                format: pb::ExportFormat::Json as i32,
            })
            .await
            .unwrap_err(),
    );

    // Nothing of org-b changed: its hours are still unverified, its activity open, its
    // wish open.
    let verified = admin
        .verify_hours(verify(&w.act_b, ""))
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].verified_by, "test-admin");
    let act_b = admin
        .get_activity(pb::GetActivityRequest {
            id: w.act_b.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(act_b.status, pb::ActivityStatus::Open as i32);
    let wish_b = admin
        .get_wish(pb::GetWishRequest {
            id: w.wish_b.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(wish_b.status, pb::WishStatus::Open as i32);

    // Creating outside the boundary is refused in so many words: the directory is public.
    let mut elsewhere = activity("act-b-2", 5);
    elsewhere.community_id = "com-b".into();
    elsewhere.organisation_id = "org-b".into();
    let status = alice.create_activity(elsewhere).await.unwrap_err();
    assert_eq!(reason(&status), "OUTSIDE_BOUNDARY");
    let status = alice
        .link_community(pb::CommunityLinkRequest {
            organisation_id: "org-b".into(),
            community_id: "com-a".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "OUTSIDE_BOUNDARY");
    // Nor can it reach another community's residents by linking its own organisation.
    let status = alice
        .link_community(pb::CommunityLinkRequest {
            organisation_id: "org-a".into(),
            community_id: "com-b".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "OUTSIDE_BOUNDARY");
    // Nor move its own community to another township (what township callers see).
    let status = alice
        .update_community(pb::UpdateCommunityRequest {
            id: "com-a".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["township".into()],
            }),
            values: Some(pb::RegisterCommunityRequest {
                township: "大门镇".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "OUTSIDE_BOUNDARY");
    let status = alice
        .update_organisation(pb::UpdateOrganisationRequest {
            id: "org-b".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["parent_id".into()],
            }),
            values: Some(pb::RegisterOrganisationRequest {
                parent_id: "org-a".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        reason(&status),
        "OUTSIDE_BOUNDARY",
        "no one pulls org-b into their subtree"
    );
    // The directory itself stays readable.
    alice
        .get_organisation(pb::GetOrganisationRequest { id: "org-b".into() })
        .await
        .unwrap();

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn lists_stats_and_reports_show_a_limited_caller_its_boundary_only() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    serve(&mut admin, &w.act_a, &w.va).await;
    serve(&mut admin, &w.act_b, &w.vb).await;
    for act in [&w.act_a, &w.act_b] {
        admin.verify_hours(verify(act, "")).await.unwrap();
    }
    let mut alice = client_as(w.addr, alice_caller()).await;

    let activities = alice
        .list_activities(pb::ListActivitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(
        activities.iter().map(|a| &a.id).collect::<Vec<_>>(),
        [&w.act_a]
    );
    let teams = alice
        .list_teams(pb::ListTeamsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .teams;
    assert_eq!(teams.iter().map(|t| &t.id).collect::<Vec<_>>(), [&w.team_a]);
    let wishes = alice
        .list_wishes(pb::ListWishesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .wishes;
    assert_eq!(
        wishes.iter().map(|x| &x.id).collect::<Vec<_>>(),
        [&w.wish_a]
    );
    let all = admin
        .list_activities(pb::ListActivitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(all.len(), 2, "the programme-wide admin sees both");

    let mine = alice
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            mine.volunteers,
            mine.teams,
            mine.wishes_posted,
            mine.service_records,
            mine.verified_minutes
        ),
        (2, 1, 1, 1, 60),
        "va and vc (home side), org-a's team, wish and hour: {mine:?}"
    );
    let everything = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((everything.volunteers, everything.service_records), (3, 2));

    // org-b's hours, counted in the community they were served in: none are alice's.
    let hours = alice
        .summarise_hours(pb::SummariseHoursRequest {
            community_id: "com-b".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((hours.records, hours.minutes), (0, 0));
    let hours = admin
        .summarise_hours(pb::SummariseHoursRequest {
            community_id: "com-b".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((hours.records, hours.minutes), (1, 60));

    let report = alice
        .four_ones_report(pb::FourOnesReportRequest {
            year: 2026,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        report.rows.iter().all(|row| row.organisation_id == "org-a") && !report.rows.is_empty(),
        "{report:?}"
    );

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn verifiers_and_evaluators_are_the_caller_and_never_the_person_rated() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    serve(&mut admin, &w.act_a, &w.va).await;
    let mut alice = client_as(w.addr, alice_caller()).await;

    // One key naming another verifier is refused, as is an organiser of another place.
    let status = alice
        .verify_hours(verify(&w.act_a, "bob"))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ACTOR_NOT_CALLER");
    let mut carol = client_as(
        w.addr,
        principal("carol", &["activity_organiser@org-b"], None),
    )
    .await;
    let status = carol.verify_hours(verify(&w.act_a, "")).await.unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");
    let status = carol
        .complete_activity(pb::CompleteActivityRequest {
            activity_id: w.act_a.clone(),
            people_served: 999,
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");

    // No one verifies their own hours: alice, as volunteer va, is refused outright.
    let mut alice_va = alice_caller();
    alice_va.volunteer = Some(w.va.clone());
    let mut alice_va = client_as(w.addr, alice_va).await;
    let status = alice_va
        .verify_hours(verify(&w.act_a, ""))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "SELF_VERIFICATION");

    // The right principal: recorded as herself, whatever the field's spelling.
    let verified = alice
        .verify_hours(verify(&w.act_a, " ALICE "))
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].verified_by, "alice");
    let done = alice
        .complete_activity(pb::CompleteActivityRequest {
            activity_id: w.act_a.clone(),
            people_served: 30,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.people_served, 30);

    // Evaluations: the evaluator is the caller; no self-evaluation; each side its own.
    use pb::EvaluationSide::{Home, Work};
    let mut named = rating("e-named", &w.va, Work);
    named.evaluator = "bob".into();
    let status = alice.record_evaluation(named).await.unwrap_err();
    assert_eq!(reason(&status), "ACTOR_NOT_CALLER");
    let status = alice_va
        .record_evaluation(rating("e-self", &w.va, Home))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "SELF_EVALUATION");
    let mut eve = client_as(w.addr, principal("eve", &["evaluator@org-a"], None)).await;
    let work = eve
        .record_evaluation(rating("e-va-work", &w.va, Work))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(work.evaluator, "eve");
    // vc works at org-b and lives in com-a, linked with org-a: eve rates the home side only.
    eve.record_evaluation(rating("e-vc-home", &w.vc, Home))
        .await
        .unwrap();
    let status = eve
        .record_evaluation(rating("e-vc-work", &w.vc, Work))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");
    let status = eve
        .record_evaluation(rating("e-vb-home", &w.vb, Home))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ROLE_REQUIRED");

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn volunteers_check_themselves_in_and_adopt_and_fulfil_wishes_as_themselves() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    for volunteer in [&w.va, &w.vc] {
        admin
            .sign_up(pb::SignUpRequest {
                activity_id: w.act_a.clone(),
                volunteer_id: volunteer.clone(),
            })
            .await
            .unwrap();
    }
    let mut dave = principal("dave", &[], None);
    dave.volunteer = Some(w.va.clone());
    let mut dave = client_as(w.addr, dave).await;

    let arrived = dave
        .check_in(check(&w.act_a, &w.va, START))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(arrived.check_in_time, at(START));
    let status = dave
        .check_in(check(&w.act_a, &w.vc, START))
        .await
        .unwrap_err();
    assert_eq!(
        reason(&status),
        "ROLE_REQUIRED",
        "another volunteer's check-in"
    );
    // An organiser of the activity's organisation checks anyone in.
    client_as(w.addr, alice_caller())
        .await
        .check_in(check(&w.act_a, &w.vc, START))
        .await
        .unwrap();

    let status = dave
        .adopt_wish(pb::AdoptWishRequest {
            wish_id: w.wish_a.clone(),
            volunteer_id: w.vc.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ACTOR_NOT_CALLER");
    let adopted = dave
        .adopt_wish(pb::AdoptWishRequest {
            wish_id: w.wish_a.clone(),
            volunteer_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(adopted.adopter_id, w.va);
    let fulfil = pb::FulfilWishRequest {
        wish_id: w.wish_a.clone(),
        note: "绘本已送到".into(),
    };
    let status = client_as(w.addr, alice_caller())
        .await
        .fulfil_wish(fulfil.clone())
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "NOT_ADOPTER");
    let fulfilled = dave.fulfil_wish(fulfil).await.unwrap().into_inner();
    assert_eq!(fulfilled.status, pb::WishStatus::Fulfilled as i32);

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn finding_by_phone_needs_pii_read_and_names_are_masked_without_it() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    let mut reader = principal("reader", &[], None);
    reader.scopes = ["volunteers:read".to_owned()].into();
    let mut reader = client_as(w.addr, reader).await;

    let status = reader
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13900000001".into(),
            id_number: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "PII_READ_REQUIRED");
    let shown = reader
        .get_volunteer(pb::GetVolunteerRequest { id: w.va.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        shown.name, "志***",
        "masked as workers' and donors' names are"
    );
    assert!(shown.phone.is_empty() && shown.id_number.is_empty());
    let clear = admin
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13900000001".into(),
            id_number: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((clear.id, clear.name), (w.va.clone(), "志愿者1".to_owned()));

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn the_register_lists_by_side_skill_and_party_within_the_callers_boundary() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    // A fourth: no Party member, with skills whose text LIKE would read as patterns.
    let mut other = enrolment(4, "org-a", "com-b");
    other.party_member = false;
    other.skills = vec!["书法".into(), "50%_off".into()];
    let vd = admin
        .register_volunteer(other)
        .await
        .unwrap()
        .into_inner()
        .id;
    let list = |client: &Client, request: pb::ListVolunteersRequest| {
        let mut client = client.clone();
        async move {
            let mut ids: Vec<String> = client
                .list_volunteers(request)
                .await
                .unwrap()
                .into_inner()
                .volunteers
                .into_iter()
                .map(|v| v.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut ids: Vec<&String>| {
        ids.sort();
        ids.into_iter().cloned().collect::<Vec<_>>()
    };

    let all = list(&admin, pb::ListVolunteersRequest::default()).await;
    assert_eq!(all, sorted(vec![&w.va, &w.vb, &w.vc, &vd]));
    let at_org_b = pb::ListVolunteersRequest {
        work_organisation_id: "org-b".into(),
        ..Default::default()
    };
    assert_eq!(
        list(&admin, at_org_b.clone()).await,
        sorted(vec![&w.vb, &w.vc])
    );
    let home_a = pb::ListVolunteersRequest {
        home_community_id: "com-a".into(),
        ..Default::default()
    };
    assert_eq!(list(&admin, home_a).await, sorted(vec![&w.va, &w.vc]));
    for (skill, expected) in [("50%_off", vec![&vd]), ("书法", vec![&vd]), ("50", vec![])] {
        let request = pb::ListVolunteersRequest {
            skill: skill.into(),
            ..Default::default()
        };
        assert_eq!(list(&admin, request).await, sorted(expected), "{skill}");
    }
    let not_party = pb::ListVolunteersRequest {
        party_member: Some(false),
        ..Default::default()
    };
    assert_eq!(list(&admin, not_party).await, vec![vd.clone()]);
    let party = pb::ListVolunteersRequest {
        party_member: Some(true),
        ..Default::default()
    };
    assert_eq!(list(&admin, party).await.len(), 3);
    let status = admin
        .list_volunteers(pb::ListVolunteersRequest {
            work_organisation_id: "org b".into(),
            skill: "a\nb".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = xingfu_testkit::violated_fields(&status);
    assert_eq!(fields, ["work_organisation_id", "skill"]);

    // Alice, limited to org-a, sees whom org-a owns: its workers (va, vd) and those living
    // in com-a, which org-a is linked with (vc); naming org-b's workers shows only vc.
    let alice = client_as(w.addr, alice_caller()).await;
    let seen = list(&alice, pb::ListVolunteersRequest::default()).await;
    assert_eq!(seen, sorted(vec![&w.va, &w.vc, &vd]));
    assert_eq!(list(&alice, at_org_b).await, vec![w.vc.clone()]);
    // Without pii:read, a list shows names masked and no phone or ID number.
    let mut reader = alice_caller();
    reader.scopes = ["volunteers:read".to_owned()].into();
    let shown = client_as(w.addr, reader)
        .await
        .list_volunteers(pb::ListVolunteersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .volunteers;
    assert_eq!(shown.len(), 3);
    assert!(
        shown
            .iter()
            .all(|v| v.phone.is_empty() && v.id_number.is_empty() && v.name.ends_with("**")),
        "{shown:?}"
    );
    // A caller limited to another township sees no one.
    let elsewhere = client_as(
        w.addr,
        xingfu_testkit::township_principal("tom", &[], "霓屿街道"),
    )
    .await;
    assert!(
        list(&elsewhere, pb::ListVolunteersRequest::default())
            .await
            .is_empty()
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
