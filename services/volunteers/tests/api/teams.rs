use tonic::Code;
use xingfu_proto::common::PageRequest;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::TestEnv;

use crate::directory::fields;
use crate::helpers::{register, started, uuid_like};

fn team(request_id: &str, name: &str) -> pb::FormTeamRequest {
    pb::FormTeamRequest {
        request_id: request_id.into(),
        name: name.into(),
        organisation_id: "beiao-party".into(),
        skills: vec!["书法".into(), "非遗手工".into()],
    }
}

#[tokio::test]
async fn teams_are_formed_once_per_name_and_keep_their_members() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;

    let status = client
        .form_team(pb::FormTeamRequest {
            skills: vec![String::new(); 21],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = fields(&status);
    for field in [
        "request_id",
        "name",
        "organisation_id",
        "skills",
        "skills[0]",
    ] {
        assert!(bad.contains(&field.to_owned()), "{field} in {bad:?}");
    }
    let mut elsewhere = team("t-0", "小桔灯");
    elsewhere.organisation_id = "nowhere".into();
    assert_eq!(
        client.form_team(elsewhere).await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    let lamp = client
        .form_team(team("t-1", "小桔灯"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((lamp.name.as_str(), lamp.member_count), ("小桔灯", 0));
    assert_eq!(lamp.skills, vec!["书法", "非遗手工"]);
    let retry = client
        .form_team(team("t-1", "小桔灯"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, lamp, "a retry returns the team formed first");
    assert_eq!(
        client
            .form_team(team("t-2", "小桔灯"))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "one team of a name per organisation"
    );
    assert_eq!(
        client
            .form_team(team("t-1", "海岛先锋"))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "a request id cannot be reused for another team"
    );

    let member = |team_id: &str, volunteer_id: &str| pb::TeamMemberRequest {
        team_id: team_id.into(),
        volunteer_id: volunteer_id.into(),
    };
    let status = client
        .add_team_member(member(&lamp.id, &uuid_like()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(
        client
            .add_team_member(member(&uuid_like(), &uuid_like()))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = register(&mut client, n).await;
        let after = client
            .add_team_member(member(&lamp.id, &id))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after.member_count, i64::from(n) + 1);
        ids.push(id);
    }
    let again = client
        .add_team_member(member(&lamp.id, &ids[0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.member_count, 3,
        "adding a member again changes nothing"
    );
    let after = client
        .remove_team_member(member(&lamp.id, &ids[1]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.member_count, 2);
    let again = client
        .remove_team_member(member(&lamp.id, &ids[1]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.member_count, 2,
        "removing a non-member changes nothing"
    );

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_team_members(pb::ListTeamMembersRequest {
                team_id: lamp.id.clone(),
                page: Some(PageRequest {
                    page_size: 1,
                    page_token: token,
                }),
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.members.into_iter().map(|m| m.volunteer_id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let mut expected = vec![ids[0].clone(), ids[2].clone()];
    expected.sort();
    assert_eq!(seen, expected, "members page in id order");

    client
        .form_team(pb::FormTeamRequest {
            organisation_id: "beiao-party".into(),
            ..team("t-3", "海岛先锋")
        })
        .await
        .unwrap();
    let teams = client
        .list_teams(pb::ListTeamsRequest {
            organisation_id: "beiao-party".into(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .teams;
    assert_eq!(teams.len(), 2);
    assert_eq!(
        client
            .get_team(pb::GetTeamRequest {
                id: lamp.id.clone()
            })
            .await
            .unwrap()
            .into_inner()
            .member_count,
        2
    );
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.teams, stats.volunteers), (2, 3));
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
