//! The suite on a three-node JetStream cluster of real `nats-server` processes, its
//! streams replicated three times: one node is killed under a steady stream of writes,
//! and every event is still published once and applied once by its consumer, with the
//! suite serving throughout.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use xingfu_platform::db::Database;
use xingfu_platform::secret::Secret;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually, eventually_within};

use crate::helpers::{assert_all_serving, create_retrying, gateway};

/// The `nats-server` binary: `XINGFU_TEST_NATS_SERVER`, else the Debian package's, else
/// the one on `PATH` (`scripts/services.sh` installs one).
fn nats_server() -> String {
    std::env::var("XINGFU_TEST_NATS_SERVER").unwrap_or_else(|_| {
        if std::path::Path::new("/usr/sbin/nats-server").exists() {
            "/usr/sbin/nats-server".into()
        } else {
            "nats-server".into()
        }
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Three clustered JetStream nodes on loopback, each with a store of its own.
struct Cluster {
    nodes: Vec<Option<Child>>,
    client_ports: Vec<u16>,
    dir: std::path::PathBuf,
}

impl Cluster {
    fn start(token: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xingfu-nats-{token}"));
        let client_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let route_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes = route_ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",");
        let nodes = (0..3)
            .map(|i| {
                let store = dir.join(format!("n{i}"));
                std::fs::create_dir_all(&store).unwrap();
                let child = Command::new(nats_server())
                    .args(["-a", "127.0.0.1", "-js", "--cluster_name", token])
                    .args(["-n", &format!("{token}-n{i}")])
                    .args(["-p", &client_ports[i].to_string()])
                    .args(["--cluster", &format!("nats://127.0.0.1:{}", route_ports[i])])
                    .args(["--routes", &routes])
                    .arg("-sd")
                    .arg(&store)
                    .arg("-l")
                    .arg(dir.join(format!("n{i}.log")))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("nats-server starts (scripts/services.sh installs it)");
                Some(child)
            })
            .collect();
        Self {
            nodes,
            client_ports,
            dir,
        }
    }

    /// The client URLs of `nodes`.
    fn urls(&self, nodes: &[usize]) -> Vec<String> {
        nodes
            .iter()
            .map(|&node| format!("nats://127.0.0.1:{}", self.client_ports[node]))
            .collect()
    }

    /// Every node's client URL, as `nats.url` lists a cluster.
    fn url(&self) -> String {
        self.urls(&[0, 1, 2]).join(",")
    }

    /// Waits until the cluster can hold a stream on all three nodes (a meta leader is
    /// elected and every node has joined): it makes one, then removes it.
    async fn wait_ready(&self) {
        let urls = self.urls(&[0, 1, 2]);
        eventually_within(Duration::from_secs(30), "the JetStream cluster", || {
            let urls = urls.clone();
            async move {
                let client = async_nats::connect(urls).await.ok()?;
                let js = async_nats::jetstream::new(client);
                let probe = async_nats::jetstream::stream::Config {
                    name: "READY_PROBE".into(),
                    subjects: vec!["ready-probe".into()],
                    num_replicas: 3,
                    ..Default::default()
                };
                js.create_stream(probe).await.ok()?;
                js.delete_stream("READY_PROBE").await.ok()
            }
        })
        .await;
    }

    fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in 0..self.nodes.len() {
            self.kill(node);
        }
        // The nodes' logs stay for a failed test to be read.
        if !std::thread::panicking() {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }
}

/// The message ids of every `project_created` event on `stream`, read from the start by
/// a consumer of its own; `None` while the cluster cannot answer (a leader moving).
async fn created_ids(js: &async_nats::jetstream::Context, stream: &str) -> Option<Vec<String>> {
    use futures_util::StreamExt as _;
    let consumer = js
        .get_stream(stream)
        .await
        .ok()?
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .ok()?;
    let mut batch = consumer
        .fetch()
        .max_messages(1000)
        .expires(Duration::from_secs(3))
        .messages()
        .await
        .ok()?;
    let mut created = Vec::new();
    while let Some(message) = batch.next().await {
        let message = message.ok()?;
        if message.subject.as_str().split('.').nth(2) == Some("project_created") {
            created.push(message.headers.as_ref()?.get("Nats-Msg-Id")?.to_string());
        }
    }
    Some(created)
}

#[tokio::test]
async fn a_node_of_a_three_node_cluster_dies_under_writes_and_nothing_is_lost_or_doubled() {
    let mut env = TestEnv::postgres();
    let mut cluster = Cluster::start(&env.token);
    cluster.wait_ready().await;
    env.settings.nats.url = Some(Secret::new(cluster.url()));
    env.settings.nats.prefix = env.token.clone();
    env.settings.nats.replicas = 3;
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    assert_all_serving(&suite).await;
    let client = ProjectsServiceClient::new(gateway(&suite).await);

    // A steady stream of creates, each retried with its request id until answered.
    const CREATES: usize = 150;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = {
        let (client, done) = (client.clone(), done.clone());
        tokio::spawn(async move {
            let mut ids = BTreeSet::new();
            for n in 0..CREATES {
                let request_id = format!("cluster-{n}");
                let answer = create_retrying(&client, &request_id).await;
                ids.insert(answer.id);
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            ids
        })
    };
    eventually("a third of the creates answered", || {
        let done = done.load(std::sync::atomic::Ordering::Relaxed);
        std::future::ready((done >= CREATES / 3).then_some(()))
    })
    .await;
    cluster.kill(0);
    let ids = writer.await.unwrap();
    assert_eq!(ids.len(), CREATES, "one project per request");
    assert_all_serving(&suite).await;

    // Every event on the stream once, read through the surviving nodes.
    let survivors = cluster.urls(&[1, 2]);
    let js = async_nats::jetstream::new(async_nats::connect(survivors).await.unwrap());
    let stream = env.stream_name(xingfu_projects::NAME);
    let projects = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let created = loop {
        let seen = created_ids(&js, &stream).await;
        match seen {
            Some(created) if created.len() >= CREATES => break created,
            _ if std::time::Instant::now() > deadline => {
                // Whether the relay or the reading is stuck.
                let pending: Option<i64> =
                    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
                        .fetch_one(projects.pool())
                        .await
                        .ok();
                panic!(
                    "after 60 s, {:?} of {CREATES} events on the stream; {pending:?} rows \
                     still in the projects outbox",
                    seen.map(|c| c.len())
                );
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    projects.close().await;
    let unique: BTreeSet<&String> = created.iter().collect();
    assert_eq!(created.len(), CREATES, "each event on the stream once");
    assert_eq!(unique.len(), CREATES);

    // …and applied once by the funds service's consumer of the projects stream.
    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    let applied: i64 =
        eventually_within(Duration::from_secs(30), "every event applied", || async {
            let applied: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE consumer = 'funds-projects'")
                    .fetch_one(funds.pool())
                    .await
                    .ok()?;
            (applied >= CREATES as i64).then_some(applied)
        })
        .await;
    assert_eq!(applied, CREATES as i64, "each event applied once");
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM known_projects")
        .fetch_one(funds.pool())
        .await
        .unwrap();
    assert_eq!(known, CREATES as i64);

    funds.close().await;
    suite.stop().await.unwrap();
    drop(cluster);
    env.cleanup().await.unwrap();
}
