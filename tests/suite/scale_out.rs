//! Scale-out on the real binary: two replicas of the projects service and two of the
//! funds service (which consumes its events) as processes of their own, on one PostgreSQL
//! and one JetStream, behind a gateway whose projects endpoint names both. Calls spread
//! over the two; the replica that relays the outbox is killed under a stream of creates,
//! and callers that retry with their request ids lose nothing, the survivor takes the
//! relay over, every event is published once, and the two funds replicas, sharing one
//! durable consumer, apply each once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use xingfu_platform::db::Database;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually, eventually_within};

use crate::helpers::{create_retrying, http_get, new_project, read_all};

/// A replica of one service: its process and its two ports.
struct Replica {
    child: Child,
    grpc: u16,
    http: u16,
}

impl Replica {
    /// `xingfu serve --services <service>` on the run's databases and streams.
    async fn start(env: &TestEnv, data: &std::path::Path, service: &str) -> Self {
        let (grpc, http) = (free_port(), free_port());
        let settings = &env.settings;
        let child = Command::new(env!("CARGO_BIN_EXE_xingfu"))
            .args(["serve", "--services", service])
            .env("XINGFU__DATA_DIR", data)
            .env("XINGFU__LOG__FILTER", "error")
            .env(
                format!("XINGFU__{}__LISTEN", service.to_uppercase()),
                format!("127.0.0.1:{grpc}"),
            )
            .env("XINGFU__HTTP__LISTEN", format!("127.0.0.1:{http}"))
            .env("XINGFU__DATABASE__URL", secret(&settings.database.url))
            .env(
                "XINGFU__DATABASE__NAME_PREFIX",
                &settings.database.name_prefix,
            )
            .env("XINGFU__NATS__URL", secret(&settings.nats.url))
            .env("XINGFU__NATS__PREFIX", &settings.nats.prefix)
            .env("XINGFU__PII__KEY", secret(&settings.pii.key))
            .env(
                "XINGFU__AUTH__INTERNAL_TOKEN",
                xingfu_testkit::INTERNAL_TOKEN,
            )
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let replica = Self { child, grpc, http };
        let health = format!("xingfu.{service}.v1.{}Service", capitalised(service));
        eventually_within(Duration::from_secs(30), "a replica serving", || async {
            let channel =
                tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{grpc}"))
                    .ok()?
                    .connect()
                    .await
                    .ok()?;
            let status = tonic_health::pb::health_client::HealthClient::new(channel)
                .check(tonic_health::pb::HealthCheckRequest {
                    service: health.clone(),
                })
                .await
                .ok()?
                .into_inner()
                .status;
            (status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
                .then_some(())
        })
        .await;
        replica
    }

    /// This replica's counter `name` with a label containing `label`, summed.
    async fn counter(&self, name: &str, label: &str) -> f64 {
        metric_sum(&metrics_text(self.http).await, name, label)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// `projects` → `Projects`.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn secret(value: &Option<xingfu_platform::secret::Secret>) -> String {
    value
        .as_ref()
        .expect("set by the test env")
        .expose()
        .to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The Prometheus text a process's HTTP port serves at `/metrics`.
async fn metrics_text(port: u16) -> String {
    http_get(port, "/metrics").await
}

/// The sum of every sample of `name` whose labels contain `label`.
fn metric_sum(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && line.contains(label))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn two_replicas_share_the_calls_and_lose_nothing_when_the_relaying_one_dies() {
    let env = TestEnv::postgres_jetstream();
    let data = std::env::temp_dir().join(format!("xingfu-scale-{}", env.token));
    std::fs::create_dir_all(&data).unwrap();
    let replicas = [
        Replica::start(&env, &data, "projects").await,
        Replica::start(&env, &data, "projects").await,
    ];
    let funds = [
        Replica::start(&env, &data, "funds").await,
        Replica::start(&env, &data, "funds").await,
    ];
    let mut settings = env.settings.clone();
    settings.service_mut(xingfu_projects::NAME).endpoint = Some(format!(
        "http://127.0.0.1:{},http://127.0.0.1:{}",
        replicas[0].grpc, replicas[1].grpc
    ));
    let (suite, gateway) = xingfu_testkit::spawn_service(&settings, xingfu_gateway::SERVICE).await;
    let client = ProjectsServiceClient::new(xingfu_testkit::channel(gateway).await);

    // Calls spread over both replicas.
    let first = eventually("the gateway reaching a replica", || {
        let mut client = client.clone();
        async move { client.create_project(new_project("scale-0")).await.ok() }
    })
    .await
    .into_inner();
    for _ in 0..300 {
        client
            .clone()
            .get_project(pb::GetProjectRequest {
                id: first.id.clone(),
            })
            .await
            .unwrap();
    }
    let method = "ProjectsService/GetProject\"";
    let served = [
        replicas[0]
            .counter("xingfu_grpc_server_calls_total", method)
            .await,
        replicas[1]
            .counter("xingfu_grpc_server_calls_total", method)
            .await,
    ];
    assert_eq!(served[0] + served[1], 300.0, "{served:?}");
    assert!(
        served.iter().all(|&n| n >= 60.0),
        "each replica takes a share of the calls: {served:?}"
    );

    // The relay runs on one replica at a time: the one that published the first event.
    let published = "xingfu_outbox_published_total";
    let leader = eventually("the first event published", || async {
        for (i, replica) in replicas.iter().enumerate() {
            if replica.counter(published, "projects").await > 0.0 {
                return Some(i);
            }
        }
        None
    })
    .await;
    let survivor = 1 - leader;
    assert_eq!(replicas[survivor].counter(published, "projects").await, 0.0);

    // Four callers create projects, each retrying its request until it is answered; the
    // relaying replica dies under them.
    const CREATES: usize = 400;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let callers: Vec<_> = (0..4)
        .map(|c| {
            let client = client.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut ids = BTreeMap::new();
                for n in (1..=CREATES).filter(|n| n % 4 == c) {
                    let request_id = format!("scale-{n}");
                    let answer = create_retrying(&client, &request_id).await;
                    ids.insert(request_id, answer.id);
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                ids
            })
        })
        .collect();
    // Killed a quarter of the way through.
    eventually("a quarter of the creates answered", || {
        let done = done.load(std::sync::atomic::Ordering::Relaxed);
        std::future::ready((done >= CREATES / 4).then_some(()))
    })
    .await;
    let [mut a, mut b] = replicas;
    let (dead, alive) = if leader == 0 {
        (&mut a, &b)
    } else {
        (&mut b, &a)
    };
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let mut answered = BTreeMap::new();
    for caller in callers {
        answered.extend(caller.await.unwrap());
    }
    assert_eq!(answered.len(), CREATES);

    // Each request made one project: a retry gets the first answer back.
    for (request_id, id) in &answered {
        let again = client
            .clone()
            .create_project(new_project(request_id))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&again.id, id, "{request_id}");
    }
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, CREATES as i64 + 1, "one project per request");

    // The survivor took the relay over, and every project's event is on the stream once.
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let stream = env.stream_name(xingfu_projects::NAME);
    let created: Vec<String> = eventually_within(
        Duration::from_secs(20),
        "every project's event on the stream",
        || async {
            let created: Vec<String> = read_all(&js, &stream)
                .await
                .into_iter()
                .filter(|m| m.subject.as_str().split('.').nth(2) == Some("project_created"))
                .map(|m| {
                    m.headers
                        .as_ref()
                        .and_then(|h| h.get("Nats-Msg-Id"))
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                })
                .collect();
            (created.len() > CREATES).then_some(created)
        },
    )
    .await;
    let unique: BTreeSet<&String> = created.iter().collect();
    assert_eq!(created.len(), CREATES + 1, "each event on the stream once");
    assert_eq!(unique.len(), created.len());
    assert!(alive.counter(published, "projects").await > 0.0);

    // The two funds replicas share one durable consumer: each event applied once.
    let funds_db = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    let applied = eventually_within(Duration::from_secs(20), "every event applied", || async {
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE consumer = 'funds-projects'")
                .fetch_one(funds_db.pool())
                .await
                .ok()?;
        (applied > CREATES as i64).then_some(applied)
    })
    .await;
    assert_eq!(applied, CREATES as i64 + 1, "each event in the inbox once");
    // Each replica counts what it applied just after committing it: wait for the counts.
    let consumer = "consumer=\"funds-projects\",outcome=\"applied\"";
    let by_replica = eventually("each replica's count of what it applied", || async {
        let counts = [
            funds[0]
                .counter("xingfu_events_consumed_total", consumer)
                .await,
            funds[1]
                .counter("xingfu_events_consumed_total", consumer)
                .await,
        ];
        (counts[0] + counts[1] >= applied as f64).then_some(counts)
    })
    .await;
    assert_eq!(
        by_replica[0] + by_replica[1],
        applied as f64,
        "applied once between the two replicas: {by_replica:?}"
    );
    funds_db.close().await;

    suite.stop().await.unwrap();
    db.close().await;
    drop((a, b, funds));
    std::fs::remove_dir_all(&data).ok();
    env.cleanup().await.unwrap();
}
