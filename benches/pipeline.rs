//! Event pipeline and footprint benchmark (see docs/benchmarks.md): the time from an
//! event's write in its committing transaction to a consumer's handler at a steady rate;
//! the outbox relay draining a 100k-event backlog beside JetStream's own
//! publish-with-ack rate; and `xingfu serve`'s start-up time and resident memory, idle
//! and under load. Run with `scripts/bench.sh` (after the load benchmark);
//! `BENCH_RATE` (events a second, 1000) and `BENCH_BACKLOG` (100000) tune it.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark reports and fails loudly

mod support;

use std::future::Future;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use prost::Message as _;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, EventBus, Handler, Outbox, Relay, Subscription};
use xingfu_platform::time::now_micros;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::TestEnv;

use support::env_number;

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn project(key: &str) -> pb::CreateProjectRequest {
    pb::CreateProjectRequest {
        request_id: key.into(),
        title: format!("bench {key}"),
        category: pb::Category::Convenience as i32,
        community_ids: vec!["beiao-xiaoqu".into()],
        ..Default::default()
    }
}

/// Sends each event's age (microseconds since its write) to the benchmark.
struct Timing(mpsc::Sender<i64>);

impl Handler for Timing {
    fn handle<'a>(
        &'a self,
        _tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), xingfu_platform::Error>> {
        let age = now_micros() - event.time_micros;
        let _ = self.0.send(age);
        Box::pin(async { Ok(()) })
    }

    fn reset<'a>(
        &'a self,
        _tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), xingfu_platform::Error>> {
        Box::pin(async { Ok(()) })
    }
}

/// Commit → handler at a steady rate, the events coming from project creates through
/// gRPC: (achieved rate, p50 ms, p99 ms). The creates take most of the two cores.
async fn latency_of_creates(rate: u64) -> (f64, f64, f64) {
    let mut env = TestEnv::postgres_jetstream();
    // A benchmark's streams hold far more than a test's.
    env.settings.nats.max_megabytes = 256;
    let suite = xingfu::start(env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let channel = xingfu_testkit::channel(suite.addr(xingfu_projects::NAME).unwrap()).await;
    let figures = timed(&env, suite.bus().clone(), rate, move |c, n| {
        let mut client = ProjectsServiceClient::new(channel.clone());
        async move {
            client
                .create_project(project(&format!("lat-{c}-{n}")))
                .await
                .unwrap();
        }
    })
    .await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
    figures
}

/// Commit → handler at a steady rate, each event written in a transaction of its own
/// through the projects outbox and moved by its relay: the pipeline alone, without the
/// cost of what makes the events. (achieved rate, p50 ms, p99 ms).
async fn latency_of_writes(rate: u64) -> (f64, f64, f64) {
    let mut env = TestEnv::postgres_jetstream();
    env.settings.nats.max_megabytes = 256;
    let bus = EventBus::connect(&env.settings).await.unwrap();
    bus.ensure_stream(xingfu_projects::NAME).await.unwrap();
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    db.migrate(xingfu_projects::MIGRATIONS).await.unwrap();
    let outbox = Outbox::new(xingfu_projects::NAME);
    let token = tokio_util::sync::CancellationToken::new();
    let relay =
        tokio::spawn(Relay::new(db.clone(), outbox.clone(), bus.clone()).run(token.clone()));
    let figures = timed(&env, bus, rate, move |_, _| {
        let (db, outbox) = (db.clone(), outbox.clone());
        async move {
            let mut tx = db.begin().await.unwrap();
            let event = pb::ProjectCreated {
                project_id: uuid::Uuid::now_v7().to_string(),
                title: "幸福敲门".into(),
                ..Default::default()
            };
            outbox
                .enqueue(&mut tx, &event.project_id, &event)
                .await
                .unwrap();
            outbox.commit(tx).await.unwrap();
        }
    })
    .await;
    token.cancel();
    relay.await.unwrap();
    env.cleanup().await.unwrap();
    figures
}

/// Runs `write(caller, n)` at `rate` a second for 10 s while a consumer of the projects
/// stream times each event from its write to its handler: (achieved, p50 ms, p99 ms).
async fn timed<F, Fut>(env: &TestEnv, bus: EventBus, rate: u64, write: F) -> (f64, f64, f64)
where
    F: Fn(u64, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let inbox = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    inbox.migrate(&[]).await.unwrap();
    let (sender, ages) = mpsc::channel();
    let token = tokio_util::sync::CancellationToken::new();
    let consumer = bus.spawn_consumer(
        Subscription {
            consumer: "bench-latency".into(),
            source: xingfu_projects::NAME,
            subjects: vec![pb::ProjectCreated::SUBJECT],
            db: inbox.clone(),
            handler: Arc::new(Timing(sender)),
        },
        token.clone(),
    );
    let seconds = 10;
    let callers = 32u64;
    let interval = Duration::from_secs_f64(callers as f64 / rate as f64);
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let write = write.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(interval);
                let mut sent = 0u64;
                while started.elapsed() < Duration::from_secs(seconds) {
                    ticker.tick().await;
                    write(c, sent).await;
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for task in tasks {
        sent += task.await.unwrap();
    }
    let achieved = sent as f64 / started.elapsed().as_secs_f64();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (seen.len() as u64) < sent && Instant::now() < deadline {
        if let Ok(age) = ages.recv_timeout(Duration::from_millis(200)) {
            seen.push(age);
        }
    }
    seen.sort_unstable();
    token.cancel();
    let _ = consumer.await;
    inbox.close().await;
    (achieved, percentile(&seen, 0.5), percentile(&seen, 0.99))
}

/// JetStream's own publish-with-ack rate for `count` messages of `size` bytes, 512 in
/// flight.
async fn jetstream_rate(count: u64, size: usize) -> f64 {
    let token = xingfu_testkit::unique_token();
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let name = format!("BENCH_{}", token.to_uppercase());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![format!("{token}.bench.>")],
        ..Default::default()
    })
    .await
    .unwrap();
    let payload = bytes::Bytes::from(vec![7u8; size]);
    let started = Instant::now();
    let mut acks = Vec::with_capacity(512);
    for n in 0..count {
        acks.push(
            js.publish(format!("{token}.bench.{}", n % 16), payload.clone())
                .await
                .unwrap(),
        );
        if acks.len() == 512 {
            for ack in acks.drain(..) {
                ack.await.unwrap();
            }
        }
    }
    for ack in acks {
        ack.await.unwrap();
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    js.delete_stream(&name).await.unwrap();
    rate
}

/// The relay draining `count` waiting events: (events a second, event size in bytes).
async fn drain(count: u64) -> (f64, usize) {
    let mut env = TestEnv::postgres_jetstream();
    // A benchmark's streams hold far more than a test's.
    env.settings.nats.max_megabytes = 256;
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    db.migrate(xingfu_projects::MIGRATIONS).await.unwrap();
    let event = pb::ProjectCreated {
        project_id: uuid::Uuid::now_v7().to_string(),
        title: "积压的事件".into(),
        category: pb::Category::Convenience as i32,
        community_ids: vec!["beiao-xiaoqu".into()],
        ..Default::default()
    };
    let payload = event.encode_to_vec();
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, event_type, aggregate_id, payload, created_at) \
         SELECT gen_random_uuid()::text, $1, $2, 'backlog', $3, $4 FROM generate_series(1, $5)",
    )
    .bind(pb::ProjectCreated::SUBJECT)
    .bind(pb::ProjectCreated::TYPE)
    .bind(payload.clone())
    .bind(now_micros())
    .bind(i64::try_from(count).unwrap())
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    // On stderr, for a profiler to start on: what follows is the drain alone.
    eprintln!("draining {count} events");
    let started = Instant::now();
    let suite = xingfu::start(env.settings.clone(), &[xingfu_projects::NAME])
        .await
        .unwrap();
    let mut stream = js
        .get_stream(env.stream_name(xingfu_projects::NAME))
        .await
        .unwrap();
    loop {
        let messages = stream.info().await.unwrap().state.messages;
        if messages >= count {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the backlog drains"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rate = count as f64 / started.elapsed().as_secs_f64();
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
    (rate, payload.len())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `xingfu serve` on the embedded default: (start to every API SERVING, RSS idle MiB,
/// peak RSS under load MiB, creates a second under load).
async fn footprint() -> (Duration, f64, f64, f64) {
    let data =
        std::env::temp_dir().join(format!("xingfu-bench-{}", xingfu_testkit::unique_token()));
    std::fs::create_dir_all(&data).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xingfu"))
        .arg("serve")
        .env("XINGFU__DATA_DIR", &data)
        .env("XINGFU__LOG__FILTER", "warn")
        .env("XINGFU__HTTP__LISTEN", "127.0.0.1:0")
        .env("XINGFU__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .envs(
            ["PROJECTS", "VOLUNTEERS", "FUNDS", "WORKSHOPS"]
                .map(|s| (format!("XINGFU__{s}__LISTEN"), "127.0.0.1:0")),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let endpoint =
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    let names = [
        "xingfu.projects.v1.ProjectsService",
        "xingfu.volunteers.v1.VolunteersService",
        "xingfu.funds.v1.FundsService",
        "xingfu.workshops.v1.WorkshopsService",
    ];
    let channel = loop {
        if let Ok(channel) = endpoint.connect().await {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
            let mut all = true;
            for name in names {
                let status = health
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: name.into(),
                    })
                    .await
                    .map(|r| r.into_inner().status)
                    .unwrap_or_default();
                all &= status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
            }
            if all {
                break channel;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "xingfu comes up"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let up = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = rss_kib(child.id()) as f64 / 1024.0;
    let key = std::fs::read_to_string(data.join("admin-api-key")).unwrap();
    let link = tonic::service::interceptor::InterceptedService::new(
        channel,
        xingfu::demo::ApiKey::new(key.trim()).unwrap(),
    );
    let load_started = Instant::now();
    let tasks: Vec<_> = (0..32)
        .map(|c| {
            let mut client = ProjectsServiceClient::new(link.clone());
            tokio::spawn(async move {
                let mut n = 0u64;
                while load_started.elapsed() < Duration::from_secs(10) {
                    client
                        .create_project(project(&format!("rss-{c}-{n}")))
                        .await
                        .unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let pid = child.id();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while load_started.elapsed() < Duration::from_secs(10) {
            peak = peak.max(rss_kib(pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    });
    let mut created = 0;
    for task in tasks {
        created += task.await.unwrap();
    }
    let peak = sampler.await.unwrap() as f64 / 1024.0;
    let rate = created as f64 / load_started.elapsed().as_secs_f64();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    std::fs::remove_dir_all(&data).ok();
    (up, idle, peak, rate)
}

#[tokio::main]
async fn main() {
    let rate = env_number("BENCH_RATE", 1000);
    let backlog = env_number("BENCH_BACKLOG", 100_000);
    // BENCH_ONLY=footprint, latency or drain runs that part alone.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let runs = |part: &str| only.is_empty() || only == part;
    println!("# xingfu pipeline and footprint benchmark");
    if runs("footprint") {
        footprint_figures().await;
    }
    if runs("latency") {
        latency_figures(rate).await;
    }
    if runs("drain") {
        drain_figures(backlog).await;
    }
}

async fn footprint_figures() {
    let (up, idle, peak, load_rate) = footprint().await;
    println!(
        "footprint (embedded): start to every API SERVING {:.0} ms; RSS idle {idle:.1} MiB; \
         peak RSS under load {peak:.1} MiB ({load_rate:.0} creates/s through the gateway, 32 callers)",
        up.as_secs_f64() * 1000.0
    );
}

async fn latency_figures(rate: u64) {
    let (achieved, p50, p99) = latency_of_writes(rate).await;
    println!(
        "commit -> handler, events written in their own transactions, at {achieved:.0} events/s \
         (asked {rate}): p50 {p50:.2} ms, p99 {p99:.2} ms"
    );
    let (achieved, p50, p99) = latency_of_creates(rate).await;
    println!(
        "commit -> handler, events of project creates through gRPC, at {achieved:.0} events/s \
         (asked {rate}): p50 {p50:.2} ms, p99 {p99:.2} ms"
    );
}

async fn drain_figures(backlog: u64) {
    let (drained, size) = drain(backlog).await;
    let jetstream = jetstream_rate(backlog, size).await;
    println!(
        "draining a {backlog}-event backlog: {drained:.0} events/s; JetStream publish-with-ack \
         ({size}-byte messages, 512 in flight): {jetstream:.0}/s; ratio {:.0} %",
        100.0 * drained / jetstream
    );
}
