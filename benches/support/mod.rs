//! What the benchmarks share: their knobs from the environment, and a driver that runs
//! one call from many concurrent callers and reports its throughput and latency.

// Each benchmark is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

/// A number from the environment, or `default`.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Throughput and latency of one figure.
pub struct Figure {
    pub name: String,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
}

impl Figure {
    /// The figure as a markdown table row: name, calls/s, p50, p99, p99.9 in ms.
    pub fn row(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            self.name,
            self.per_second,
            ms(self.p50),
            ms(self.p99),
            ms(self.p999)
        )
    }
}

/// The header of [`Figure::row`]'s table.
pub const TABLE_HEADER: &str =
    "| figure | calls/s | p50 ms | p99 ms | p99.9 ms |\n|---|---:|---:|---:|---:|";

/// Runs `call(caller, n)` from `callers` concurrent callers for `seconds`.
pub async fn drive<F, Fut>(name: impl Into<String>, callers: usize, seconds: u64, call: F) -> Figure
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let name = name.into();
    // BENCH_ONLY=<prefix> drives only the figures named so: to profile one at a time.
    if std::env::var("BENCH_ONLY").is_ok_and(|only| !name.starts_with(&only)) {
        return Figure {
            name,
            per_second: 0.0,
            p50: Duration::ZERO,
            p99: Duration::ZERO,
            p999: Duration::ZERO,
        };
    }
    // On stderr, for a profiler to start on (`perf record -a -- sleep <seconds>`).
    eprintln!("driving {name}");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..callers)
        .map(|caller| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0;
                while Instant::now() < deadline {
                    let one = Instant::now();
                    call(caller, n).await;
                    latencies.push(one.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figure {
        name,
        per_second: all.len() as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
    }
}

/// Registers the community and the Party organisation the benches' volunteers and
/// activities belong to (北岙小区, 北岙街道党工委).
pub async fn register_beiao(
    volunteers: &mut xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient<
        xingfu_testkit::Channel,
    >,
) {
    use xingfu_proto::volunteers as vpb;
    volunteers
        .register_community(vpb::RegisterCommunityRequest {
            id: "beiao-xiaoqu".into(),
            name: "北岙小区".into(),
            kind: vpb::CommunityKind::Residential as i32,
            township: "北岙街道".into(),
        })
        .await
        .unwrap();
    volunteers
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: "beiao-party".into(),
            name: "北岙街道党工委".into(),
            kind: vpb::OrganisationKind::CommunityParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
}

/// Registers a Party-member volunteer of 北岙 with the ID number `first17` and its check
/// character; returns the volunteer's id.
pub async fn register_volunteer(
    volunteers: &mut xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient<
        xingfu_testkit::Channel,
    >,
    request_id: &str,
    first17: &str,
    phone: &str,
) -> String {
    let check = xingfu_volunteers::domain::register::check_character(first17).unwrap();
    volunteers
        .register_volunteer(xingfu_proto::volunteers::RegisterVolunteerRequest {
            request_id: request_id.into(),
            name: "志愿者".into(),
            phone: phone.into(),
            id_number: format!("{first17}{check}"),
            party_member: true,
            work_organisation_id: "beiao-party".into(),
            home_community_id: "beiao-xiaoqu".into(),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// `GetProject` of `id` through `channel`.
pub async fn gets(
    name: &str,
    channel: &xingfu_testkit::Channel,
    id: &str,
    callers: usize,
    seconds: u64,
) -> Figure {
    let client = xingfu_proto::projects::projects_service_client::ProjectsServiceClient::new(
        channel.clone(),
    );
    let id = id.to_owned();
    drive(name, callers, seconds, move |_, _| {
        let mut client = client.clone();
        let id = id.clone();
        async move {
            client
                .get_project(xingfu_proto::projects::GetProjectRequest { id })
                .await
                .unwrap();
        }
    })
    .await
}
