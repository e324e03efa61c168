//! Scale benchmark (see docs/benchmarks.md): the overview, list, get and hours calls through
//! the gateway with a small library (1,000 projects and 1,000 service-hour records) and
//! again with a large one (100,000 projects and 1,000,000 records), on PostgreSQL and
//! JetStream, and the ratio of their latencies. Reads should cost the same at any size:
//! figures come from maintained counters, lists are keyset-paged, gets and sums use indexes.
//!
//! The first project and the first record are written through the API; the rest are copies
//! of them made in SQL (`generate_series`), each with its own ids, and the counters the API
//! would have bumped are raised by the same amounts, so the overview tells the truth about
//! the data. Run with `scripts/bench.sh` or `cargo bench --bench scale`; `BENCH_PROJECTS`
//! (100000), `BENCH_RECORDS` (1000000), `BENCH_CALLERS` (4) and `BENCH_SECONDS` (5) tune it.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark reports and fails loudly

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use sqlx::Row as _;
use xingfu_platform::db::Database;
use xingfu_proto::common::{Date, PageRequest};
use xingfu_proto::gateway::GetOverviewRequest;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{Channel, TestEnv};

use support::{Figure, TABLE_HEADER, drive, env_number, gets};

/// The small library every ratio is measured against.
const SMALL: u64 = 1_000;
/// Rows copied per statement while seeding.
const CHUNK: u64 = 50_000;
/// Volunteers the copied records are spread over.
const COPIED_VOLUNTEERS: u64 = 10_000;

/// Copies row `key = template` of `table` for each `g` in `first..=last`: the columns in
/// `overrides` are computed from `g`, every other column is the template's.
async fn copy_rows(
    db: &Database,
    table: &str,
    key: &str,
    template: &str,
    (first, last): (u64, u64),
    overrides: &[(&str, &str)],
) {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(db.pool())
    .await
    .unwrap();
    let values: Vec<String> = columns
        .iter()
        .map(|column| {
            overrides
                .iter()
                .find(|(name, _)| name == column)
                .map_or_else(|| format!("t.{column}"), |(_, expr)| (*expr).to_owned())
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} t, generate_series(CAST($2 AS BIGINT), CAST($3 AS BIGINT)) AS g \
         WHERE t.{key} = $1",
        columns.join(", "),
        values.join(", ")
    );
    let mut from = first;
    while from <= last {
        let to = (from + CHUNK - 1).min(last);
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(template)
            .bind(from as i64)
            .bind(to as i64)
            .execute(db.pool())
            .await
            .unwrap();
        from = to + 1;
    }
}

/// Every counter of a service's counter table: (dimension, key) → count.
async fn counters(db: &Database, table: &str) -> BTreeMap<(String, String), i64> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT dimension, key, CAST(SUM(count) AS BIGINT) AS count FROM {table} GROUP BY dimension, key"
    )))
    .fetch_all(db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|row| {
            (
                (row.get("dimension"), row.get("key")),
                row.get::<i64, _>("count"),
            )
        })
        .collect()
}

/// What one write added to each counter: `after - before`, the unchanged left out.
fn bumps(
    before: &BTreeMap<(String, String), i64>,
    after: &BTreeMap<(String, String), i64>,
) -> Vec<((String, String), i64)> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, d)| *d != 0)
        .collect()
}

/// Raises the counters as `copies` more of the write would have.
async fn raise(db: &Database, table: &str, bumps: &[((String, String), i64)], copies: u64) {
    for ((dimension, key), by) in bumps {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (dimension, key, shard, count) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (dimension, key, shard) DO UPDATE SET count = {table}.count + EXCLUDED.count"
        )))
        .bind(dimension)
        .bind(key)
        .bind(by * copies as i64)
        .execute(db.pool())
        .await
        .unwrap();
    }
}

/// The libraries' two templates: one project and one verified service record, written
/// through the gateway, and what each added to its service's counters.
struct Templates {
    project_id: String,
    project_bumps: Vec<((String, String), i64)>,
    record_id: String,
    volunteer_id: String,
    record_bumps: Vec<((String, String), i64)>,
}

async fn templates(
    gateway: &Channel,
    projects_db: &Database,
    volunteers_db: &Database,
) -> Templates {
    let mut projects = ProjectsServiceClient::new(gateway.clone());
    let before = counters(projects_db, "project_count_shards").await;
    let project_id = projects
        .create_project(pb::CreateProjectRequest {
            request_id: "scale-template".into(),
            title: "幸福敲门 · 老年食堂送餐".into(),
            category: pb::Category::Convenience as i32,
            community_ids: vec!["beiao-xiaoqu".into()],
            description: "A 15-minute meal circle for the community's elderly".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let project_bumps = bumps(
        &before,
        &counters(projects_db, "project_count_shards").await,
    );

    let mut volunteers = VolunteersServiceClient::new(gateway.clone());
    support::register_beiao(&mut volunteers).await;
    let volunteer_id = support::register_volunteer(
        &mut volunteers,
        "scale-volunteer",
        "33032219600101001",
        "13900000001",
    )
    .await;
    let activity_id = volunteers
        .create_activity(vpb::CreateActivityRequest {
            request_id: "scale-activity".into(),
            title: "红色星期天".into(),
            kind: vpb::ActivityKind::RedSunday as i32,
            community_id: "beiao-xiaoqu".into(),
            start_time: Some(prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 0,
            }),
            capacity: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let check = |seconds| vpb::CheckRequest {
        activity_id: activity_id.clone(),
        volunteer_id: volunteer_id.clone(),
        time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
    };
    volunteers
        .sign_up(vpb::SignUpRequest {
            activity_id: activity_id.clone(),
            volunteer_id: volunteer_id.clone(),
        })
        .await
        .unwrap();
    volunteers.check_in(check(1_795_000_000)).await.unwrap();
    volunteers.check_out(check(1_795_005_400)).await.unwrap();
    let before = counters(volunteers_db, "volunteer_count_shards").await;
    volunteers
        .verify_hours(vpb::VerifyHoursRequest {
            activity_id,
            verifier: "beiao-party".into(),
        })
        .await
        .unwrap();
    let record_bumps = bumps(
        &before,
        &counters(volunteers_db, "volunteer_count_shards").await,
    );
    let record_id = sqlx::query_scalar("SELECT record_id FROM service_records")
        .fetch_one(volunteers_db.pool())
        .await
        .unwrap();
    Templates {
        project_id,
        project_bumps,
        record_id,
        volunteer_id,
        record_bumps,
    }
}

/// Grows both libraries to `projects` projects and `records` records, from `have_*`.
async fn grow(
    t: &Templates,
    projects_db: &Database,
    volunteers_db: &Database,
    (have_projects, projects): (u64, u64),
    (have_records, records): (u64, u64),
) {
    let started = Instant::now();
    // Copy g gets id md5('scale-project-g') as a UUID: spread over the id order the list
    // pages by, as UUIDv7 ids written over months would be.
    let project_id = "CAST(CAST(md5('scale-project-' || g) AS uuid) AS TEXT)";
    let copies = (have_projects, projects - 1);
    copy_rows(
        projects_db,
        "projects",
        "id",
        &t.project_id,
        copies,
        &[("id", project_id), ("request_id", "'scale-project-' || g")],
    )
    .await;
    copy_rows(
        projects_db,
        "project_communities",
        "project_id",
        &t.project_id,
        copies,
        &[("project_id", project_id)],
    )
    .await;
    raise(
        projects_db,
        "project_count_shards",
        &t.project_bumps,
        projects - have_projects,
    )
    .await;
    // Records of other volunteers, one a minute back in time from the template's.
    copy_rows(
        volunteers_db,
        "service_records",
        "record_id",
        &t.record_id,
        (have_records, records - 1),
        &[
            (
                "record_id",
                "CAST(CAST(md5('scale-record-' || g) AS uuid) AS TEXT)",
            ),
            (
                "volunteer_id",
                &format!(
                    "CAST(CAST(md5('scale-volunteer-' || (g % {COPIED_VOLUNTEERS})) AS uuid) AS TEXT)"
                ),
            ),
            ("served_at", "t.served_at - g * 60000000"),
            ("verified_at", "t.verified_at - g * 60000000"),
        ],
    )
    .await;
    raise(
        volunteers_db,
        "volunteer_count_shards",
        &t.record_bumps,
        records - have_records,
    )
    .await;
    for (db, table) in [
        (projects_db, "projects"),
        (projects_db, "project_communities"),
        (volunteers_db, "service_records"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
            .execute(db.pool())
            .await
            .unwrap();
    }
    println!(
        "seeded {projects} projects and {records} service-hour records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The page token after walking `skip` projects of the library, newest first.
async fn token_after(gateway: &Channel, skip: u64) -> String {
    let mut projects = ProjectsServiceClient::new(gateway.clone());
    let mut token = String::new();
    let mut walked = 0;
    while walked < skip {
        let page = projects
            .list_projects(pb::ListProjectsRequest {
                page: Some(PageRequest {
                    page_size: (skip - walked).min(500) as i32,
                    page_token: token,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        walked += page.projects.len() as u64;
        token = page.page.unwrap().next_page_token;
    }
    token
}

/// The read calls, each driven by `callers` for `seconds`.
async fn measure(
    gateway: &Channel,
    t: &Templates,
    projects: u64,
    callers: usize,
    seconds: u64,
) -> Vec<Figure> {
    let size = format!("{projects} projects");
    let mut figures = Vec::new();
    let overview = GatewayServiceClient::new(gateway.clone());
    figures.push(
        drive(
            format!("overview, {size}"),
            callers,
            seconds,
            move |_, _| {
                let mut overview = overview.clone();
                async move {
                    overview.get_overview(GetOverviewRequest {}).await.unwrap();
                }
            },
        )
        .await,
    );
    let client = ProjectsServiceClient::new(gateway.clone());
    let deep = token_after(gateway, projects * 4 / 5).await;
    for (name, token, category) in [
        ("list, first page of 20", String::new(), None),
        ("list, page of 20 after 80 % of the library", deep, None),
        (
            "list, first page of 20 in a category",
            String::new(),
            Some(pb::Category::Convenience),
        ),
    ] {
        let client = client.clone();
        figures.push(
            drive(format!("{name}, {size}"), callers, seconds, move |_, _| {
                let mut client = client.clone();
                let token = token.clone();
                async move {
                    let page = client
                        .list_projects(pb::ListProjectsRequest {
                            page: Some(PageRequest {
                                page_size: 20,
                                page_token: token,
                            }),
                            category: category.map_or(0, |c| c as i32),
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .into_inner();
                    assert_eq!(page.projects.len(), 20);
                }
            })
            .await,
        );
    }
    figures.push(
        gets(
            &format!("get a project, {size}"),
            gateway,
            &t.project_id,
            callers,
            seconds,
        )
        .await,
    );
    let volunteers = VolunteersServiceClient::new(gateway.clone());
    let volunteer_id = t.volunteer_id.clone();
    figures.push(
        drive(
            format!("a volunteer's hours in a year, {size}"),
            callers,
            seconds,
            move |_, _| {
                let mut volunteers = volunteers.clone();
                let volunteer_id = volunteer_id.clone();
                async move {
                    let summary = volunteers
                        .summarise_hours(vpb::SummariseHoursRequest {
                            volunteer_id,
                            from: Some(Date {
                                year: 2026,
                                month: 1,
                                day: 1,
                            }),
                            to: Some(Date {
                                year: 2026,
                                month: 12,
                                day: 31,
                            }),
                            ..Default::default()
                        })
                        .await
                        .unwrap()
                        .into_inner();
                    assert_eq!(summary.records, 1);
                }
            },
        )
        .await,
    );
    figures
}

#[tokio::main]
async fn main() {
    let projects = env_number("BENCH_PROJECTS", 100_000).max(SMALL);
    let records = env_number("BENCH_RECORDS", 1_000_000).max(SMALL);
    let callers = env_number("BENCH_CALLERS", 4) as usize;
    let seconds = env_number("BENCH_SECONDS", 5);
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;
    let projects_db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let volunteers_db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();

    let t = templates(&gateway, &projects_db, &volunteers_db).await;
    grow(&t, &projects_db, &volunteers_db, (1, SMALL), (1, SMALL)).await;
    let small = measure(&gateway, &t, SMALL, callers, seconds).await;
    grow(
        &t,
        &projects_db,
        &volunteers_db,
        (SMALL, projects),
        (SMALL, records),
    )
    .await;
    let large = measure(&gateway, &t, projects, callers, seconds).await;

    println!("\n{callers} callers, {seconds} s per figure, through the gateway\n");
    println!("{TABLE_HEADER}");
    for f in small.iter().chain(&large) {
        println!("{}", f.row());
    }
    println!(
        "\n| call | p50 {projects} / {SMALL} | p99 {projects} / {SMALL} | calls/s {projects} / {SMALL} |\n|---|---:|---:|---:|"
    );
    for (s, l) in small.iter().zip(&large) {
        let name = s.name.rsplit_once(", ").map_or(s.name.as_str(), |(n, _)| n);
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            l.p50.as_secs_f64() / s.p50.as_secs_f64(),
            l.p99.as_secs_f64() / s.p99.as_secs_f64(),
            l.per_second / s.per_second
        );
    }
    projects_db.close().await;
    volunteers_db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
