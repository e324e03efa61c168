use xingfu_proto::funds::GrantDisbursed;
use xingfu_proto::projects as pb;
use xingfu_proto::volunteers::{CommunityRegistered, HoursVerified, OrganisationRegistered};

use crate::helpers::spawn_app;

#[tokio::test]
async fn directory_grant_and_hours_events_verify_and_add_up() {
    let mut app = spawn_app().await;
    let project = app.claimed("c-1", "org-edu").await;
    assert!(!project.lead_organisation.as_ref().unwrap().verified);

    app.deliver(&OrganisationRegistered {
        organisation_id: "org-edu".into(),
        name: "教育局机关党委".into(),
        kind: "AGENCY_PARTY".into(),
        parent_id: String::new(),
    })
    .await;
    app.deliver(&CommunityRegistered {
        community_id: "beiao-xiaoqu-01".into(),
        name: "北岙小区".into(),
        kind: "RESIDENTIAL".into(),
        township: "北岙街道".into(),
    })
    .await;
    let grant = GrantDisbursed {
        grant_id: "g-1".into(),
        fund_id: "f-1".into(),
        project_id: project.id.clone(),
        amount_fen: 1_500_000,
        kind: xingfu_proto::funds::GrantKind::Project as i32,
    };
    app.deliver(&grant).await;
    app.deliver(&GrantDisbursed {
        grant_id: "g-2".into(),
        ..grant.clone()
    })
    .await;
    app.deliver(&HoursVerified {
        record_id: "h-1".into(),
        project_id: project.id.clone(),
        minutes: 90,
        ..Default::default()
    })
    .await;

    let read = app
        .client
        .get_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        read.lead_organisation.unwrap().verified,
        "the directory confirmed the organisation"
    );
    assert!(read.communities[0].verified);
    assert_eq!(read.funded.unwrap().fen, 3_000_000);
    assert_eq!(read.volunteer_minutes, 90);
    app.stop().await;
}
