use xingfu_funds::storage::projects::known_project;

use crate::helpers::{project_created, spawn_app};

#[tokio::test]
async fn project_created_events_build_the_read_model_once_each() {
    let app = spawn_app(3).await;
    let project_id = uuid::Uuid::now_v7().to_string();
    let event_id = uuid::Uuid::now_v7().to_string();
    assert!(
        app.deliver_created(
            &event_id,
            project_created(&project_id, "结对帮困 · 297 children")
        )
        .await
    );

    let (project, revision) = known_project(app.db.pool(), &project_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project.title, "结对帮困 · 297 children");
    assert_eq!(project.community_id, "shuangzhu-village");
    assert_eq!(project.created_at, 1_795_910_400_000_005);
    assert_eq!(revision, 1);

    // Redelivered: acknowledged, not applied again.
    assert!(
        app.deliver_created(
            &event_id,
            project_created(&project_id, "结对帮困 · 297 children")
        )
        .await
    );
    assert_eq!(
        known_project(app.db.pool(), &project_id)
            .await
            .unwrap()
            .unwrap()
            .1,
        1
    );

    // A different event about the same project is applied.
    let second = uuid::Uuid::now_v7().to_string();
    assert!(
        app.deliver_created(&second, project_created(&project_id, "renamed"))
            .await
    );
    let (project, revision) = known_project(app.db.pool(), &project_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((project.title.as_str(), revision), ("renamed", 2));
    app.stop().await;
}

#[tokio::test]
async fn a_poison_event_is_given_up_after_max_deliver_and_leaves_nothing_behind() {
    let app = spawn_app(2).await;
    let event_id = uuid::Uuid::now_v7().to_string();
    // Not a ProjectCreated at all: the handler fails on every delivery.
    assert!(
        app.deliver_created(&event_id, vec![0xff, 0xff, 0xff]).await,
        "the bus moves on"
    );
    let inbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE event_id = $1")
        .bind(&event_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(inbox, 0, "the failed handler's transaction was rolled back");

    // The consumer still works after it.
    let project_id = uuid::Uuid::now_v7().to_string();
    assert!(
        app.deliver_created(
            &uuid::Uuid::now_v7().to_string(),
            project_created(&project_id, "ok")
        )
        .await
    );
    assert!(
        known_project(app.db.pool(), &project_id)
            .await
            .unwrap()
            .is_some()
    );
    app.stop().await;
}
