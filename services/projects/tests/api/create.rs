use prost::Message as _;
use sqlx::Row;
use tonic::Code;
use xingfu_proto::projects as pb;

use crate::helpers::{new_project, spawn_app, violated_fields};

#[tokio::test]
async fn create_stores_a_draft_and_its_event_in_one_go() {
    let mut app = spawn_app().await;
    let project = app
        .client
        .create_project(new_project("req-1"))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(project.title, "共享幸福小课堂 · 书法");
    assert_eq!(project.status, pb::ProjectStatus::Draft as i32);
    assert_eq!(project.communities[0].id, "beiao-xiaoqu-01");
    assert!(
        !project.communities[0].verified,
        "unknown to the directory yet"
    );
    assert_eq!(project.version, 1);
    assert!(uuid::Uuid::try_parse(&project.id).is_ok());

    let row = sqlx::query("SELECT subject, event_type, aggregate_id, payload FROM outbox")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        row.get::<String, _>("subject"),
        "projects.project_created.v1"
    );
    assert_eq!(
        row.get::<String, _>("event_type"),
        "xingfu.projects.v1.ProjectCreated"
    );
    assert_eq!(row.get::<String, _>("aggregate_id"), project.id);
    let event = pb::ProjectCreated::decode(row.get::<Vec<u8>, _>("payload").as_slice()).unwrap();
    assert_eq!(event.project_id, project.id);
    assert_eq!(event.category, pb::Category::CommunityActivity as i32);
    app.stop().await;
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_returns_the_first_project() {
    let mut app = spawn_app().await;
    let first = app
        .client
        .create_project(new_project("req-retry"))
        .await
        .unwrap()
        .into_inner();
    let again = app
        .client
        .create_project(new_project("req-retry"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(app.count("projects").await, 1);
    assert_eq!(
        app.count("outbox").await,
        1,
        "a retry publishes nothing new"
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_retries_create_one_project() {
    let app = spawn_app().await;
    let calls = (0..8).map(|_| {
        let mut client = app.client.clone();
        tokio::spawn(async move { client.create_project(new_project("req-race")).await })
    });
    let mut ids = Vec::new();
    for call in calls {
        ids.push(
            call.await
                .unwrap()
                .expect("every retry succeeds")
                .into_inner()
                .id,
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all retries return the same project");
    assert_eq!(app.count("projects").await, 1);
    assert_eq!(app.count("outbox").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_request_id_reused_for_another_project_is_already_exists() {
    let mut app = spawn_app().await;
    app.client
        .create_project(new_project("req-reuse"))
        .await
        .unwrap();
    let mut other = new_project("req-reuse");
    other.title = "Bus shelter at the ferry".into();
    let status = app.client.create_project(other).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(status.message().contains("request_id"));
    assert_eq!(app.count("projects").await, 1);
    app.stop().await;
}

/// Makes one field of a request bad.
type Spoil = Box<dyn Fn(&mut pb::CreateProjectRequest)>;

#[tokio::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let mut app = spawn_app().await;
    let cases: Vec<(&str, Spoil)> = vec![
        ("request_id", Box::new(|r| r.request_id.clear())),
        ("title", Box::new(|r| r.title = "   ".into())),
        ("title", Box::new(|r| r.title = "长".repeat(201))),
        ("category", Box::new(|r| r.category = 0)),
        ("category", Box::new(|r| r.category = 42)),
        (
            "community_ids[0]",
            Box::new(|r| r.community_ids = vec!["no spaces please".into()]),
        ),
        (
            "description",
            Box::new(|r| r.description = "x".repeat(4001)),
        ),
    ];
    for (field, spoil) in cases {
        let mut request = new_project("req-bad");
        spoil(&mut request);
        let status = app.client.create_project(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert_eq!(violated_fields(&status), [field]);
    }

    let everything_wrong = pb::CreateProjectRequest::default();
    let status = app
        .client
        .create_project(everything_wrong)
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["request_id", "title", "category", "community_ids"],
        "every bad field is reported at once"
    );
    assert_eq!(app.count("projects").await, 0);
    assert_eq!(app.count("outbox").await, 0);
    app.stop().await;
}
