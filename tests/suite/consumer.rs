//! Applying events in batches, on both backends: each event once however often it comes,
//! and a batch with a failing event applies none of them, so the consumer can apply the
//! others on their own.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Handler, Subscription, apply, apply_batch};
use xingfu_testkit::TestEnv;

/// Records each applied event's id in `applied`; fails on an aggregate named `poison`.
struct Recorder;

impl Handler for Recorder {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), xingfu_platform::Error>> {
        Box::pin(async move {
            sqlx::query("INSERT INTO applied (event_id) VALUES ($1)")
                .bind(&event.id)
                .execute(&mut **tx)
                .await?;
            if event.aggregate_id == "poison" {
                return Err(xingfu_platform::Error::precondition(
                    "UNAPPLICABLE",
                    "events/poison",
                    "this event cannot be applied",
                ));
            }
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        _tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), xingfu_platform::Error>> {
        Box::pin(async { Ok(()) })
    }
}

fn event(id: &str, aggregate: &str) -> Envelope {
    Envelope {
        id: id.into(),
        subject: "xingfu.projects.project_created.v1".into(),
        event_type: "xingfu.projects.v1.ProjectCreated".into(),
        source: "projects".into(),
        aggregate_id: aggregate.into(),
        time_micros: 1,
        traceparent: None,
        acting: Default::default(),
        payload: Default::default(),
    }
}

async fn applied(db: &Database) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM applied ORDER BY event_id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

async fn each_event_once_and_a_failing_batch_applies_nothing(env: &TestEnv) {
    xingfu::migrate(env.settings.clone(), &[xingfu_funds::NAME])
        .await
        .unwrap();
    let db = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE applied (event_id TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .unwrap();
    let sub = Subscription {
        consumer: "funds-batch-test".into(),
        source: xingfu_projects::NAME,
        subjects: vec!["projects.project_created.v1"],
        db: db.clone(),
        handler: Arc::new(Recorder),
    };

    // The same event twice in one batch (a redelivery behind the first) is applied once.
    let first = [event("e1", "a"), event("e2", "b"), event("e1", "a")];
    assert_eq!(apply_batch(&sub, &first).await.unwrap(), 2);
    // Already applied events are skipped; the new one is applied.
    let second = [event("e2", "b"), event("e3", "c")];
    assert_eq!(apply_batch(&sub, &second).await.unwrap(), 1);
    assert_eq!(applied(&db).await, ["e1", "e2", "e3"]);

    // A failing event rolls the whole batch back: neither the handler's rows nor the
    // inbox rows of its good neighbours stay.
    let third = [event("e4", "d"), event("e5", "poison"), event("e6", "f")];
    assert!(apply_batch(&sub, &third).await.is_err());
    assert_eq!(applied(&db).await, ["e1", "e2", "e3"]);
    // One by one, as the consumer then goes on, the good ones apply and the bad one fails.
    assert!(apply(&sub, &third[0]).await.unwrap());
    assert!(apply(&sub, &third[1]).await.is_err());
    assert!(apply(&sub, &third[2]).await.unwrap());
    assert!(
        !apply(&sub, &third[0]).await.unwrap(),
        "a redelivery changes nothing"
    );
    assert_eq!(applied(&db).await, ["e1", "e2", "e3", "e4", "e6"]);
    db.close().await;
}

#[tokio::test]
async fn a_batch_applies_each_event_once_on_postgres() {
    let env = TestEnv::postgres();
    each_event_once_and_a_failing_batch_applies_nothing(&env).await;
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_batch_applies_each_event_once_on_sqlite() {
    let env = TestEnv::embedded();
    each_event_once_and_a_failing_batch_applies_nothing(&env).await;
    env.cleanup().await.unwrap();
}
