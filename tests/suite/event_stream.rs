//! The event stream as internal tools see it: every event decodes from JetStream with the
//! descriptor set alone; a poison message goes to the dead-letter stream and the stream
//! moves on; the relay and the consumers ride out a NATS restart, losing nothing and
//! applying nothing twice.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use prost_reflect::{DescriptorPool, DynamicMessage};
use xingfu_platform::db::Database;
use xingfu_platform::secret::Secret;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually};

use crate::helpers::{gateway, inbox_count, new_project, read_all, wait_for_known_project};

#[tokio::test]
async fn every_published_event_decodes_with_the_descriptor_set_alone() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    crate::projects_flow::flow(gateway(&suite).await).await;
    crate::funds_flow::flow(
        gateway(&suite).await,
        crate::helpers::second_approver(&suite).await,
    )
    .await;
    crate::volunteers_flow::flow(gateway(&suite).await).await;
    crate::workshops_flow::flow(gateway(&suite).await).await;
    // The second approver's role and keys end: the gateway's revocation facts.
    {
        use xingfu_proto::gateway as gw;
        let mut admin =
            gw::gateway_service_client::GatewayServiceClient::new(gateway(&suite).await);
        admin
            .revoke_role(gw::RoleRequest {
                principal_id: "deputy-head".into(),
                role: "grant_approver".into(),
                organisation_id: String::new(),
            })
            .await
            .unwrap();
        admin
            .revoke_api_key(gw::RevokeApiKeyRequest {
                key_id: "a-key-from-the-key-file".into(),
            })
            .await
            .unwrap();
    }
    // Give the relays a moment to drain the outboxes.
    tokio::time::sleep(Duration::from_millis(700)).await;

    let pool = DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET).unwrap();
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let mut seen = BTreeSet::new();
    for service in [
        xingfu_projects::NAME,
        xingfu_funds::NAME,
        xingfu_volunteers::NAME,
        xingfu_workshops::NAME,
        xingfu_gateway::NAME,
    ] {
        for message in read_all(&js, &env.stream_name(service)).await {
            let headers = message.headers.as_ref().unwrap();
            let event_type = headers.get("ce-type").unwrap().as_str().to_owned();
            let descriptor = pool
                .get_message_by_name(&event_type)
                .unwrap_or_else(|| panic!("{event_type} is described"));
            let decoded =
                DynamicMessage::decode(descriptor, message.payload.clone()).expect("decodes");
            assert!(
                !decoded.fields().collect::<Vec<_>>().is_empty(),
                "{event_type} carries data"
            );
            seen.insert(event_type);
        }
    }
    let produced: BTreeSet<String> = xingfu_proto::events::CATALOGUE
        .iter()
        .map(|(_, event_type)| (*event_type).to_owned())
        .collect();
    let missing: Vec<_> = produced.difference(&seen).collect();
    assert!(missing.is_empty(), "not seen on JetStream: {missing:?}");
    // Each consumer got what it subscribed to and handled all of it the first time: a
    // consumer handed other events (a filter the server ignored) would fail and retry.
    for (source, consumer) in [
        (xingfu_projects::NAME, "funds-projects"),
        (xingfu_volunteers::NAME, "projects-directory"),
        (xingfu_volunteers::NAME, "projects-hours"),
        (xingfu_funds::NAME, "projects-grants"),
        (xingfu_volunteers::NAME, "workshops-directory"),
        (xingfu_volunteers::NAME, "workshops-register"),
    ] {
        let stream = js.get_stream(env.stream_name(source)).await.unwrap();
        let info = eventually(&format!("{consumer} to settle"), || async {
            let info = stream
                .get_consumer::<pull::Config>(consumer)
                .await
                .unwrap()
                .info()
                .await
                .unwrap()
                .clone();
            (info.num_pending == 0 && info.num_ack_pending == 0).then_some(info)
        })
        .await;
        assert_eq!(
            (info.num_pending, info.num_ack_pending, info.num_redelivered),
            (0, 0, 0),
            "{consumer} settled without a redelivery"
        );
    }
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_poison_event_is_dead_lettered_and_the_stream_moves_on() {
    let mut env = TestEnv::postgres_jetstream();
    env.settings.nats.max_deliver = 2;
    // Started once to make the stream and the durable consumer, then stopped, so the burst
    // below waits for it and arrives in one pull: the poison sits inside a batch.
    let suite = xingfu::start(env.settings.clone(), &[xingfu_funds::NAME])
        .await
        .unwrap();
    suite.stop().await.unwrap();
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let subject = format!("{}.projects.project_created.v1", env.token);
    let mut acks = Vec::new();
    for i in 0..21 {
        let id = if i == 10 {
            "poison-1".to_owned()
        } else {
            format!("good-{i}")
        };
        let payload = if i == 10 {
            vec![0xff, 0xff, 0xff]
        } else {
            prost::Message::encode_to_vec(&project_created(&format!("after-poison-{i}")))
        };
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
        headers.insert("ce-id", id.as_str());
        headers.insert("ce-type", "xingfu.projects.v1.ProjectCreated");
        acks.push(
            js.publish_with_headers(subject.clone(), headers, payload.into())
                .await
                .unwrap(),
        );
    }
    for ack in acks {
        ack.await.unwrap();
    }
    let suite = xingfu::start(env.settings.clone(), &[xingfu_funds::NAME])
        .await
        .unwrap();

    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    for i in (0..21).filter(|i| *i != 10) {
        assert_eq!(
            wait_for_known_project(&funds, &format!("after-poison-{i}")).await,
            1,
            "the poison did not block the events around it"
        );
        assert_eq!(inbox_count(&funds, &format!("good-{i}")).await, 1);
    }
    assert_eq!(
        inbox_count(&funds, "poison-1").await,
        0,
        "the poison applied nothing"
    );
    let dead_letters = format!("{}_DEAD_LETTERS", env.token.to_uppercase());
    let dead = eventually("the poison to be dead-lettered", || async {
        let dead = read_all(&js, &dead_letters).await;
        (!dead.is_empty()).then_some(dead)
    })
    .await;
    assert_eq!(dead.len(), 1);
    let headers = dead[0].headers.as_ref().unwrap();
    assert_eq!(
        headers.get("xingfu-consumer").unwrap().as_str(),
        "funds-projects"
    );
    assert_eq!(headers.get("xingfu-deliveries").unwrap().as_str(), "2");
    assert!(
        headers
            .get("xingfu-dead-letter-reason")
            .unwrap()
            .as_str()
            .contains("undecodable")
    );
    assert_eq!(dead[0].payload.as_ref(), &[0xff, 0xff, 0xff]);
    funds.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

/// A `ProjectCreated` of `project_id` with nothing else set.
fn project_created(project_id: &str) -> xingfu_proto::projects::ProjectCreated {
    xingfu_proto::projects::ProjectCreated {
        project_id: project_id.into(),
        ..Default::default()
    }
}

/// A NATS server of this test's own, so stopping it disturbs no other test.
struct PrivateNats {
    child: Child,
    port: u16,
    store: std::path::PathBuf,
}

impl PrivateNats {
    async fn start(port: u16, store: &std::path::Path) -> Self {
        let binary = ["/usr/sbin/nats-server", "nats-server"]
            .into_iter()
            .find(|b| Command::new(b).arg("--version").output().is_ok())
            .expect("nats-server is installed (scripts/services.sh installs it)");
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(store)
            .spawn()
            .unwrap();
        // Made first, so that a server which never listens is still stopped on the panic.
        let nats = Self {
            child,
            port,
            store: store.to_path_buf(),
        };
        eventually(&format!("nats-server to listen on port {port}"), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await;
        nats
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

#[tokio::test]
async fn relays_and_consumers_ride_out_a_nats_restart() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store =
        std::env::temp_dir().join(format!("xingfu-nats-{}", xingfu_testkit::unique_token()));
    let mut nats = PrivateNats::start(port, &store).await;
    let mut env = TestEnv::postgres();
    env.settings.nats.url = Some(Secret::new(format!("nats://127.0.0.1:{port}")));
    env.settings.nats.prefix = env.token.clone();
    let suite = xingfu::start(
        env.settings.clone(),
        &[
            xingfu_projects::NAME,
            xingfu_funds::NAME,
            xingfu_gateway::NAME,
        ],
    )
    .await
    .unwrap();
    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();

    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            client
                .create_project(new_project(&format!("before-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    wait_for_known_project(&funds, &ids[4]).await;

    nats.stop();
    for i in 0..5 {
        // Writes go on while NATS is down: the outbox keeps their events.
        ids.push(
            client
                .create_project(new_project(&format!("during-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let nats = PrivateNats::start(nats.port, &store).await;
    for i in 0..5 {
        ids.push(
            client
                .create_project(new_project(&format!("after-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }

    for id in &ids {
        assert_eq!(
            wait_for_known_project(&funds, id).await,
            1,
            "{id} applied exactly once"
        );
    }
    let projects = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let events: Vec<String> = sqlx::query_scalar("SELECT event_id FROM outbox")
        .fetch_all(projects.pool())
        .await
        .unwrap();
    assert_eq!(events.len(), 15);
    for event in &events {
        assert_eq!(inbox_count(&funds, event).await, 1);
    }
    projects.close().await;
    funds.close().await;
    suite.stop().await.unwrap();
    drop(nats);
    env.cleanup().await.ok();
}

#[tokio::test]
async fn tools_read_the_stream_with_the_cli_and_with_python() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(
        env.settings.clone(),
        &[xingfu_projects::NAME, xingfu_gateway::NAME],
    )
    .await
    .unwrap();
    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let project = client
        .create_project(new_project("tools-1"))
        .await
        .unwrap()
        .into_inner();
    let nats_url = xingfu_testkit::nats_url();

    let tail = tokio::task::spawn_blocking({
        let (prefix, nats_url) = (env.token.clone(), nats_url.clone());
        move || {
            Command::new(env!("CARGO_BIN_EXE_xingfu"))
                .args([
                    "events", "tail", "--since", "start", "--json", "--count", "1",
                ])
                .args(["--subject", &format!("{prefix}.projects.>")])
                .env("XINGFU__NATS__URL", &nats_url)
                .env("XINGFU__NATS__PREFIX", &prefix)
                .env("XINGFU__LOG__FILTER", "error")
                .output()
                .unwrap()
        }
    });
    let out = tokio::time::timeout(Duration::from_secs(20), tail)
        .await
        .expect("tail ends")
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["type"], "xingfu.projects.v1.ProjectCreated");
    assert_eq!(line["data"]["projectId"], project.id.as_str());

    let descriptors = std::env::temp_dir().join(format!("xingfu-{}.binpb", env.token));
    std::fs::write(&descriptors, xingfu_proto::FILE_DESCRIPTOR_SET).unwrap();
    let python = tokio::task::spawn_blocking({
        let (prefix, descriptors) = (env.token.clone(), descriptors.clone());
        move || {
            Command::new("python3")
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/docs/examples/consume.py"
                ))
                .args([
                    "--url",
                    &nats_url,
                    "--prefix",
                    &prefix,
                    "--service",
                    "projects",
                    "--count",
                    "1",
                ])
                .arg("--descriptors")
                .arg(&descriptors)
                .output()
                .unwrap()
        }
    });
    let out = tokio::time::timeout(Duration::from_secs(30), python)
        .await
        .expect("python ends")
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["type"], "xingfu.projects.v1.ProjectCreated");
    assert_eq!(line["data"]["projectId"], project.id.as_str());
    assert_eq!(line["data"]["title"], project.title.as_str());
    std::fs::remove_file(&descriptors).ok();
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn replay_rebuilds_a_read_model_from_the_stream() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(
        env.settings.clone(),
        &[
            xingfu_projects::NAME,
            xingfu_funds::NAME,
            xingfu_gateway::NAME,
        ],
    )
    .await
    .unwrap();
    let mut client = ProjectsServiceClient::new(gateway(&suite).await);
    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            client
                .create_project(new_project(&format!("replay-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    for id in &ids {
        wait_for_known_project(&funds, id).await;
    }
    suite.stop().await.unwrap();

    // The read model is lost (a bad migration, a restore from an old backup, …).
    sqlx::query("DELETE FROM known_projects")
        .execute(funds.pool())
        .await
        .unwrap();
    let settings = env.settings.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_xingfu"))
            .args(["events", "replay", "--service", "funds"])
            .env(
                "XINGFU__NATS__URL",
                settings.nats.url.as_ref().unwrap().expose(),
            )
            .env("XINGFU__NATS__PREFIX", &settings.nats.prefix)
            .env(
                "XINGFU__DATABASE__URL",
                settings.database.url.as_ref().unwrap().expose(),
            )
            .env(
                "XINGFU__DATABASE__NAME_PREFIX",
                &settings.database.name_prefix,
            )
            .env(
                "XINGFU__PII__KEY",
                settings.pii.key.as_ref().unwrap().expose(),
            )
            .env("XINGFU__LOG__FILTER", "error")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("funds-projects: applied 3, already applied 0")
    );
    for id in &ids {
        assert_eq!(
            wait_for_known_project(&funds, id).await,
            1,
            "rebuilt exactly once"
        );
    }
    funds.close().await;
    env.cleanup().await.unwrap();
}
