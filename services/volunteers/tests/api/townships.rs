//! A caller limited to a township (镇 / 街道) sees and changes only records located there:
//! volunteers at their home community, activities, wishes and service records at theirs;
//! teams and organisations lie in no township (issue 16).

use std::net::SocketAddr;

use tonic::Code;
use xingfu_platform::trust::Caller;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::{TestEnv, township_principal};

use crate::boundaries::{
    Client, client_as, enrol, enrolment, open_activity, precondition, rating, reason, serve, team,
    verify, wish,
};
use crate::helpers::{activity, started, uuid_like};

/// Tina's township, where com-a lies.
const HERE: &str = "北岙街道";
/// Another township, where com-b lies.
const THERE: &str = "大门镇";

/// org-a linked with com-a (here), org-b with com-b (there), and their records.
struct World {
    addr: SocketAddr,
    /// Works at org-a, lives in com-a: here.
    va: String,
    /// Works at org-b, lives in com-b: there.
    vb: String,
    /// Works at org-b, lives in com-a: here, whoever employs them.
    vc: String,
    act_a: String,
    act_b: String,
    /// org-a's: located nowhere.
    team_a: String,
    wish_a: String,
    wish_b: String,
}

/// Tina organises and evaluates programme-wide, and is limited to HERE.
fn tina() -> Caller {
    township_principal("tina", &["activity_organiser", "evaluator"], HERE)
}

async fn place(admin: &mut Client, side: &str, township: &str) {
    admin
        .register_organisation(pb::RegisterOrganisationRequest {
            id: format!("org-{side}"),
            name: format!("机关{side}"),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    admin
        .register_community(community(side, township))
        .await
        .unwrap();
    admin
        .link_community(pb::CommunityLinkRequest {
            organisation_id: format!("org-{side}"),
            community_id: format!("com-{side}"),
        })
        .await
        .unwrap();
}

fn community(side: &str, township: &str) -> pb::RegisterCommunityRequest {
    pb::RegisterCommunityRequest {
        id: format!("com-{side}"),
        name: format!("社区{side}"),
        kind: pb::CommunityKind::Residential as i32,
        township: township.into(),
    }
}

async fn world(admin: &mut Client, addr: SocketAddr) -> World {
    place(admin, "a", HERE).await;
    place(admin, "b", THERE).await;
    World {
        addr,
        va: enrol(admin, 1, "org-a", "com-a").await,
        vb: enrol(admin, 2, "org-b", "com-b").await,
        vc: enrol(admin, 3, "org-b", "com-a").await,
        act_a: open_activity(admin, "a").await,
        act_b: open_activity(admin, "b").await,
        team_a: team(admin, "a").await,
        wish_a: wish(admin, "a").await,
        wish_b: wish(admin, "b").await,
    }
}

fn not_found(status: tonic::Status) {
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

fn outside(result: Result<impl std::fmt::Debug, tonic::Status>) {
    assert_eq!(reason(&result.unwrap_err()), "OUTSIDE_BOUNDARY");
}

fn rename(id: &str, version: i64, township: Option<&str>) -> pb::UpdateCommunityRequest {
    let mut paths = vec!["name".to_owned()];
    paths.extend(township.map(|_| "township".to_owned()));
    pb::UpdateCommunityRequest {
        id: id.into(),
        version,
        update_mask: Some(prost_types::FieldMask { paths }),
        values: Some(pb::RegisterCommunityRequest {
            name: "新名字".into(),
            township: township.unwrap_or_default().into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn a_township_caller_reaches_records_located_there_and_nothing_else_by_id() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    serve(&mut admin, &w.act_a, &w.va).await;
    serve(&mut admin, &w.act_b, &w.vb).await;
    let mut tina = client_as(w.addr, tina()).await;

    // Located here: read, whoever owns them (vc works at org-b).
    for id in [&w.va, &w.vc] {
        tina.get_volunteer(pb::GetVolunteerRequest { id: id.clone() })
            .await
            .unwrap();
    }
    tina.get_activity(pb::GetActivityRequest {
        id: w.act_a.clone(),
    })
    .await
    .unwrap();
    tina.get_wish(pb::GetWishRequest {
        id: w.wish_a.clone(),
    })
    .await
    .unwrap();

    // Located there, or nowhere (a team): NOT_FOUND, as for an id that does not exist.
    not_found(
        tina.get_volunteer(pb::GetVolunteerRequest { id: uuid_like() })
            .await
            .unwrap_err(),
    );
    not_found(
        tina.get_volunteer(pb::GetVolunteerRequest { id: w.vb.clone() })
            .await
            .unwrap_err(),
    );
    not_found(
        tina.get_activity(pb::GetActivityRequest {
            id: w.act_b.clone(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.get_wish(pb::GetWishRequest {
            id: w.wish_b.clone(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.get_team(pb::GetTeamRequest {
            id: w.team_a.clone(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.get_evaluation_result(pb::GetEvaluationResultRequest {
            volunteer_id: w.vb.clone(),
            period: "2026-Q3".into(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.export_service_record(pb::ExportServiceRecordRequest {
            volunteer_id: w.vb.clone(),
            format: pb::ExportFormat::Json as i32,
        })
        .await
        .unwrap_err(),
    );

    // Writes by id there or nowhere: refused as for a missing record.
    not_found(tina.verify_hours(verify(&w.act_b, "")).await.unwrap_err());
    not_found(
        tina.complete_activity(pb::CompleteActivityRequest {
            activity_id: w.act_b.clone(),
            people_served: 999,
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.sign_up(pb::SignUpRequest {
            activity_id: w.act_b.clone(),
            volunteer_id: w.va.clone(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.cancel_wish(pb::CancelWishRequest {
            wish_id: w.wish_b.clone(),
            reason: "不需要了".into(),
        })
        .await
        .unwrap_err(),
    );
    not_found(
        tina.add_team_member(pb::TeamMemberRequest {
            team_id: w.team_a.clone(),
            volunteer_id: w.va.clone(),
        })
        .await
        .unwrap_err(),
    );
    let status = tina
        .record_evaluation(rating("e-vb", &w.vb, pb::EvaluationSide::Work))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_UNKNOWN");

    // Creating there or nowhere: refused in so many words (the directory is public).
    let mut there = activity("act-there", 5);
    (there.community_id, there.organisation_id) = ("com-b".into(), "org-a".into());
    outside(tina.create_activity(there).await);
    outside(
        tina.post_wish(pb::PostWishRequest {
            request_id: "wish-there".into(),
            child_alias: "小月".into(),
            age_band: pb::AgeBand::AgeBand6To11 as i32,
            community_id: "com-b".into(),
            wish: "一个书包".into(),
        })
        .await,
    );
    outside(
        tina.register_volunteer(enrolment(7, "org-a", "com-b"))
            .await,
    );
    outside(
        tina.form_team(pb::FormTeamRequest {
            request_id: "team-nowhere".into(),
            name: "无处之队".into(),
            organisation_id: "org-a".into(),
            skills: Vec::new(),
        })
        .await,
    );
    outside(
        tina.link_community(pb::CommunityLinkRequest {
            organisation_id: "org-a".into(),
            community_id: "com-a".into(),
        })
        .await,
    );

    // The directory: communities of her township only, no organisation, no import.
    outside(tina.register_community(community("c", THERE)).await);
    outside(tina.update_community(rename("com-b", 1, None)).await);
    outside(tina.update_community(rename("com-a", 1, Some(THERE))).await);
    outside(
        tina.register_organisation(pb::RegisterOrganisationRequest {
            id: "org-c".into(),
            name: "机关c".into(),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: "org-a".into(),
        })
        .await,
    );
    outside(
        tina.update_organisation(pb::UpdateOrganisationRequest {
            id: "org-a".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            values: Some(pb::RegisterOrganisationRequest {
                name: "改名".into(),
                ..Default::default()
            }),
        })
        .await,
    );
    outside(
        tina.import_directory(futures_util::stream::iter([pb::ImportDirectoryChunk {
            data: format!(
                "type,id,name,kind,parent_id,township\ncommunity,com-d,社区d,RESIDENTIAL,,{HERE}\n"
            )
            .into_bytes(),
        }]))
        .await,
    );
    tina.get_organisation(pb::GetOrganisationRequest { id: "org-b".into() })
        .await
        .unwrap();
    tina.get_community(pb::GetCommunityRequest { id: "com-b".into() })
        .await
        .unwrap();

    // Located here: changed and created, by her programme-wide roles.
    let verified = tina
        .verify_hours(verify(&w.act_a, ""))
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].verified_by, "tina");
    let done = tina
        .complete_activity(pb::CompleteActivityRequest {
            activity_id: w.act_a.clone(),
            people_served: 12,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.people_served, 12);
    tina.cancel_wish(pb::CancelWishRequest {
        wish_id: w.wish_a.clone(),
        reason: "已由家人实现".into(),
    })
    .await
    .unwrap();
    tina.record_evaluation(rating("e-va", &w.va, pb::EvaluationSide::Work))
        .await
        .unwrap();
    let mut here = activity("act-here", 5);
    (here.community_id, here.organisation_id) = ("com-a".into(), "org-b".into());
    tina.create_activity(here).await.unwrap();
    tina.register_volunteer(enrolment(8, "org-b", "com-a"))
        .await
        .unwrap();
    tina.register_community(community("e", HERE)).await.unwrap();
    let renamed = tina
        .update_community(rename("com-a", 1, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name, "新名字");

    // Nothing there changed: its hours unverified, its activity open, its wish open.
    let verified = admin
        .verify_hours(verify(&w.act_b, ""))
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);
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
    let com_b = admin
        .get_community(pb::GetCommunityRequest { id: "com-b".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((com_b.name.as_str(), com_b.version), ("社区b", 1));

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

/// The records of `volunteer`'s export, by activity.
async fn exported(client: &mut Client, volunteer: &str) -> Vec<String> {
    let mut stream = client
        .export_service_record(pb::ExportServiceRecordRequest {
            volunteer_id: volunteer.into(),
            format: pb::ExportFormat::Json as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let mut data = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        data.extend(chunk.data);
    }
    let document: serde_json::Value = serde_json::from_slice(&data).unwrap();
    document["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["activity_id"].as_str().unwrap().to_owned())
        .collect()
}

/// How many teams the caller lists.
async fn teams(client: &mut Client) -> usize {
    client
        .list_teams(pb::ListTeamsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .teams
        .len()
}

/// The communities of the caller's Four Ones rows for 2026.
async fn four_ones(client: &mut Client) -> Vec<String> {
    client
        .four_ones_report(pb::FourOnesReportRequest {
            year: 2026,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .rows
        .into_iter()
        .map(|row| row.community_id)
        .collect()
}

/// (records, minutes) of a summary.
async fn hours(client: &mut Client, request: pb::SummariseHoursRequest) -> (i64, i64) {
    let summary = client.summarise_hours(request).await.unwrap().into_inner();
    (summary.records, summary.minutes)
}

#[tokio::test]
async fn lists_figures_reports_and_exports_leave_out_what_lies_elsewhere_or_nowhere() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let w = world(&mut admin, addr).await;
    // Two records here (va and vc at act_a), two there (vb and vc at act_b).
    serve(&mut admin, &w.act_a, &w.va).await;
    serve(&mut admin, &w.act_a, &w.vc).await;
    serve(&mut admin, &w.act_b, &w.vb).await;
    serve(&mut admin, &w.act_b, &w.vc).await;
    for (act, people) in [(&w.act_a, 10), (&w.act_b, 20)] {
        admin.verify_hours(verify(act, "")).await.unwrap();
        admin
            .complete_activity(pb::CompleteActivityRequest {
                activity_id: act.clone(),
                people_served: people,
            })
            .await
            .unwrap();
    }
    let mut tina = client_as(w.addr, tina()).await;

    let activities = tina
        .list_activities(pb::ListActivitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .activities;
    assert_eq!(
        activities.iter().map(|a| &a.id).collect::<Vec<_>>(),
        [&w.act_a]
    );
    let wishes = tina
        .list_wishes(pb::ListWishesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .wishes;
    assert_eq!(
        wishes.iter().map(|x| &x.id).collect::<Vec<_>>(),
        [&w.wish_a]
    );
    assert_eq!((teams(&mut tina).await, teams(&mut admin).await), (0, 1));
    // The directory is every caller's to read.
    let communities = tina
        .list_communities(pb::ListCommunitiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .communities;
    assert!(
        communities.iter().any(|c| c.id == "com-b"),
        "{communities:?}"
    );

    let mine = tina
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            mine.volunteers,
            mine.service_records,
            mine.verified_minutes,
            mine.events,
            mine.participants,
            mine.wishes_posted,
            mine.teams,
        ),
        (2, 2, 120, 1, 10, 1, 0),
        "va and vc (living here), act_a's records, completion and wish: {mine:?}"
    );
    assert!(
        mine.organisations.iter().all(|o| o.count == 0),
        "organisations lie in no township: {mine:?}"
    );
    let everything = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            everything.volunteers,
            everything.service_records,
            everything.events,
            everything.teams
        ),
        (3, 4, 2, 1)
    );

    // Hours: only those served here count, whoever's they are.
    let of_org_b = || pb::SummariseHoursRequest {
        organisation_id: "org-b".into(),
        ..Default::default()
    };
    assert_eq!(hours(&mut tina, of_org_b()).await, (1, 60), "vc at act_a");
    assert_eq!(hours(&mut admin, of_org_b()).await, (3, 180));
    let of_com_b = || pb::SummariseHoursRequest {
        community_id: "com-b".into(),
        ..Default::default()
    };
    assert_eq!(hours(&mut tina, of_com_b()).await, (0, 0));
    assert_eq!(hours(&mut admin, of_com_b()).await, (2, 120));

    // vc lives here and served both here and there: the export holds what lies here.
    assert_eq!(exported(&mut tina, &w.vc).await, [w.act_a.as_str()]);
    assert_eq!(exported(&mut admin, &w.vc).await.len(), 2);

    assert_eq!(four_ones(&mut tina).await, ["com-a"]);
    assert_eq!(four_ones(&mut admin).await, ["com-a", "com-b"]);

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
