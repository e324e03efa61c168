//! The outbox relay on PostgreSQL and JetStream: rows left pending (as by a crash before
//! they were published) are sent at the next start, in commit order, each exactly once.

use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use futures_util::StreamExt as _;
use prost::Message as _;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_proto::projects as pb;
use xingfu_testkit::{TestEnv, eventually, holds};

#[tokio::test]
async fn pending_rows_are_published_in_commit_order_at_the_next_start() {
    let env = TestEnv::postgres_jetstream();
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    db.migrate(xingfu_projects::MIGRATIONS).await.unwrap();
    let outbox = Outbox::new(xingfu_projects::NAME);
    let mut ids = Vec::new();
    // More rows than a relay batch: batches are read while the one before is being marked.
    for chunk in 0..10 {
        let mut tx = db.begin().await.unwrap();
        for i in chunk * 100..(chunk + 1) * 100 {
            let event = pb::ProjectCreated {
                project_id: format!("p{i}"),
                ..Default::default()
            };
            ids.push(
                outbox
                    .enqueue(&mut tx, &format!("p{i}"), &event)
                    .await
                    .unwrap(),
            );
        }
        tx.commit().await.unwrap();
    }

    // JetStream drops a re-publish of an id it has seen (its de-duplication window), so
    // the stream alone cannot show a row published twice: a plain subscriber sees every
    // publish.
    let nats = async_nats::connect(xingfu_testkit::nats_url())
        .await
        .unwrap();
    let mut every_publish = nats
        .subscribe(format!("{}.projects.>", env.token))
        .await
        .unwrap();
    nats.flush().await.unwrap();
    let suite = xingfu::start(
        env.settings.clone(),
        &[xingfu_projects::NAME, xingfu_funds::NAME],
    )
    .await
    .unwrap();
    let js = async_nats::jetstream::new(nats);
    let mut stream = js
        .get_stream(env.stream_name(xingfu_projects::NAME))
        .await
        .unwrap();
    let reader = stream
        .create_consumer(pull::Config::default())
        .await
        .unwrap();
    let mut messages = reader.messages().await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("every pending row is published")
            .unwrap()
            .unwrap();
        let event = pb::ProjectCreated::decode(message.payload.clone()).unwrap();
        let id = message
            .headers
            .as_ref()
            .unwrap()
            .get("ce-id")
            .unwrap()
            .as_str()
            .to_owned();
        seen.push((id, event.project_id));
        message.ack().await.unwrap();
    }
    let expected: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), format!("p{i}")))
        .collect();
    assert_eq!(seen, expected, "published once each, in commit order");

    eventually("every row to be marked sent", || async {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(db.pool())
                .await
                .unwrap();
        holds(pending == 0)
    })
    .await;
    let stored = stream.info().await.unwrap().state.messages;
    assert_eq!(stored, ids.len() as u64, "the stream holds each row once");
    db.close().await;
    // Counted after the stop: the relay's last pass at shutdown publishes nothing again.
    suite.stop().await.unwrap();
    let mut publishes = std::collections::HashMap::<String, usize>::new();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_millis(500), every_publish.next()).await
    {
        let id = message.headers.as_ref().unwrap().get("ce-id").unwrap();
        *publishes.entry(id.as_str().to_owned()).or_default() += 1;
    }
    let twice: Vec<_> = publishes.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} events published more than once, such as {:?}",
        twice.len(),
        twice.first()
    );
    assert_eq!(publishes.len(), ids.len(), "every row was published");
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_row_committed_after_a_later_one_was_published_is_still_sent() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();

    // A transaction takes an earlier seq and stays open...
    let outbox = Outbox::new(xingfu_projects::NAME);
    let mut slow = db.begin().await.unwrap();
    let late = pb::ProjectCreated {
        project_id: "late".into(),
        ..Default::default()
    };
    let late_id = outbox.enqueue(&mut slow, "late", &late).await.unwrap();

    // ...while a later one commits and is published.
    let mut client = xingfu_proto::projects::projects_service_client::ProjectsServiceClient::new(
        xingfu_testkit::channel(suite.addr(xingfu_projects::NAME).unwrap()).await,
    );
    let project = client
        .create_project(crate::helpers::new_project("gap-1"))
        .await
        .unwrap()
        .into_inner();
    let published_of = |aggregate: String| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT published_at FROM outbox WHERE aggregate_id = $1",
            )
            .bind(aggregate)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    eventually("the later event to leave", || {
        published_of(project.id.clone())
    })
    .await;

    slow.commit().await.unwrap();
    eventually("the earlier row to be sent too", || {
        published_of("late".into())
    })
    .await;

    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let mut stream = js
        .get_stream(env.stream_name(xingfu_projects::NAME))
        .await
        .unwrap();
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        2,
        "both events are on the stream"
    );
    let reader = stream
        .create_consumer(pull::Config::default())
        .await
        .unwrap();
    let mut ids = Vec::new();
    let mut messages = reader.messages().await.unwrap();
    for _ in 0..2 {
        let message = messages.next().await.unwrap().unwrap();
        ids.push(
            message
                .headers
                .as_ref()
                .unwrap()
                .get("ce-id")
                .unwrap()
                .as_str()
                .to_owned(),
        );
    }
    assert!(ids.contains(&late_id));
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
