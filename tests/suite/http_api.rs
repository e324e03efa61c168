//! The gateway on the HTTP port: a read and a write of each service as JSON with the same
//! keys and error codes as gRPC, the OpenAPI document accepted by an outside validator,
//! and the dashboard rendered by headless Chromium showing the overview's figures.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use xingfu_proto::gateway as gpb;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_testkit::{API_KEY, TestEnv};

/// One HTTP/1.1 exchange: (status, JSON body).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(key) = key {
        request += &format!("x-api-key: {key}\r\n");
    }
    if !body.is_empty() {
        request += &format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            body.len()
        );
    }
    request += "\r\n";
    request += &body;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    let status = text[9..12].parse().unwrap();
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[tokio::test]
async fn every_service_reads_and_writes_as_json_with_the_grpc_rules() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let addr = suite.http_addr();
    let key = Some(API_KEY);

    // projects: a write, then reads of it.
    let (status, created) = http(
        addr,
        "POST",
        "/v1/projects/create-project",
        key,
        Some(json!({
            "request_id": "json-1",
            "title": "小桔灯 · 共享幸福小课堂",
            "category": "CATEGORY_COMMUNITY_ACTIVITY",
            "community_ids": ["beiao-xiaoqu"]
        })),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, read) = http(
        addr,
        "GET",
        &format!("/v1/projects/get-project?id={id}"),
        key,
        None,
    )
    .await;
    assert_eq!(
        (status, &read["title"]),
        (200, &json!("小桔灯 · 共享幸福小课堂"))
    );
    let (status, page) = http(
        addr,
        "GET",
        "/v1/projects/list-projects?category=CATEGORY_COMMUNITY_ACTIVITY&page.page_size=1",
        key,
        None,
    )
    .await;
    assert_eq!(
        (status, page["projects"].as_array().map(Vec::len)),
        (200, Some(1))
    );

    // volunteers, funds, workshops: a write and a read each.
    let writes = [
        (
            "/v1/volunteers/register-organisation",
            json!({"id": "json-org", "name": "机关党委", "kind": "ORGANISATION_KIND_AGENCY_PARTY"}),
        ),
        (
            "/v1/funds/create-fund",
            json!({"request_id": "json-fund", "name": "困难儿童助学金", "purpose": "PURPOSE_CHILD_SUPPORT"}),
        ),
        (
            "/v1/workshops/register-brand",
            json!({"id": "json-brand", "name": "百岛文创", "department_id": "json-org"}),
        ),
    ];
    for (path, body) in writes {
        let (status, answer) = http(addr, "POST", path, key, Some(body)).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    let reads = [
        (
            "/v1/volunteers/get-organisation?id=json-org",
            "name",
            json!("机关党委"),
        ),
        ("/v1/funds/list-funds", "funds", Value::Null),
        (
            "/v1/workshops/list-brands?page.page_size=5",
            "brands",
            Value::Null,
        ),
        ("/v1/gateway/get-overview", "projects", json!("1")),
    ];
    for (path, field, expected) in reads {
        let (status, answer) = http(addr, "GET", path, key, None).await;
        assert_eq!(status, 200, "{path}: {answer}");
        if expected.is_null() {
            assert_eq!(
                answer[field].as_array().map(Vec::len),
                Some(1),
                "{path}: {answer}"
            );
        } else {
            assert_eq!(answer[field], expected, "{path}");
        }
    }

    // The same codes as gRPC, as HTTP statuses with the details a caller acts on.
    let (status, error) = http(addr, "GET", "/v1/projects/get-project?id=x", None, None).await;
    assert_eq!((status, &error["code"]), (401, &json!("UNAUTHENTICATED")));
    let (status, error) = http(
        addr,
        "POST",
        "/v1/projects/create-project",
        key,
        Some(json!({})),
    )
    .await;
    assert_eq!((status, &error["code"]), (400, &json!("INVALID_ARGUMENT")));
    let fields: Vec<&str> = error["details"]["field_violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"request_id") && fields.contains(&"title"),
        "{fields:?}"
    );
    let (status, _) = http(addr, "GET", "/v1/projects/create-project", key, None).await;
    assert_eq!(status, 405, "a write is a POST");
    let (status, _) = http(addr, "GET", "/v1/projects/no-such-call", key, None).await;
    assert_eq!(status, 404);
    let (status, error) = http(
        addr,
        "GET",
        "/v1/projects/list-projects?colour=red",
        key,
        None,
    )
    .await;
    assert_eq!((status, &error["code"]), (400, &json!("INVALID_ARGUMENT")));
    let (status, error) = http(
        addr,
        "GET",
        &format!("/v1/projects/get-project?id={}", uuid::Uuid::now_v7()),
        key,
        None,
    )
    .await;
    assert_eq!((status, &error["code"]), (404, &json!("NOT_FOUND")));
    let (status, error) = too_large(addr, "/v1/projects/create-project").await;
    assert_eq!(
        (status, &error["code"]),
        (413, &json!("RESOURCE_EXHAUSTED")),
        "{error}"
    );
    assert!(
        error["message"].is_string() && error.get("details").is_some(),
        "{error}"
    );
    suite.stop().await.unwrap();
}

/// A JSON body of 3 MiB, over the port's limit: (status, JSON body). The answer comes
/// before the body is all sent, so reading and writing go on together.
async fn too_large(addr: SocketAddr, path: &str) -> (u16, Value) {
    let body = format!("{{\"title\": \"{}\"}}", "x".repeat(3 << 20));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {API_KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let (mut reader, mut writer) = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap()
        .into_split();
    let sending = tokio::spawn(async move {
        // The server may stop reading once it has answered.
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(body.as_bytes()).await;
        writer
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n")
            && let Ok(json) = serde_json::from_str::<Value>(body)
        {
            sending.abort();
            return (head[9..12].parse().unwrap(), json);
        }
        let n = reader.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer: {text:?}");
        answer.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn the_openapi_document_passes_an_outside_validator() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let (status, document) = http(suite.http_addr(), "GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let path = env.settings.data_dir.join("openapi.json");
    std::fs::write(&path, document.to_string()).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys; from openapi_spec_validator import validate; \
             validate(json.load(open(sys.argv[1]))); print('valid')",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(document["paths"]["/v1/workshops/place-order"]["post"].is_object());
    suite.stop().await.unwrap();
}

/// The figures the dashboard shows, by name, from Chromium's rendering of it.
fn rendered(
    addr: SocketAddr,
    hash: &str,
    profile: &std::path::Path,
) -> (String, Vec<(String, String)>) {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("http://{addr}/#{hash}"))
        .output()
        .expect("chromium runs (scripts/services.sh installs it)");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let figures = dom
        .split("data-figure=\"")
        .skip(1)
        .map(|rest| {
            let (name, after) = rest.split_once('"').unwrap();
            let value = after.split_once('>').unwrap().1.split_once('<').unwrap().0;
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (dom, figures)
}

#[tokio::test]
async fn the_dashboard_shows_the_overviews_figures_in_chinese_and_english() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let channel = crate::helpers::gateway(&suite).await;
    crate::projects_flow::flow(channel.clone()).await;
    crate::funds_flow::flow(
        channel.clone(),
        crate::helpers::second_approver(&suite).await,
    )
    .await;
    crate::volunteers_flow::flow(channel.clone()).await;
    crate::workshops_flow::flow(channel.clone()).await;
    let overview = GatewayServiceClient::new(channel)
        .get_overview(gpb::GetOverviewRequest {})
        .await
        .unwrap()
        .into_inner();

    let addr = suite.http_addr();
    let profile = env.settings.data_dir.join("chromium");
    let (dom, figures) =
        tokio::task::spawn_blocking(move || rendered(addr, &format!("key={API_KEY}"), &profile))
            .await
            .unwrap();
    assert!(
        dom.contains("data-state=\"loaded\""),
        "the page loaded its figures: {dom}"
    );
    assert!(dom.contains("共享项目库") && dom.contains("lang=\"zh-CN\""));
    let shown = |name: &str| {
        figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} is on the page"))
    };
    let yuan = |money: &Option<xingfu_proto::common::Money>| {
        (money.as_ref().map_or(0, |m| m.fen) / 100).to_string()
    };
    let party: i64 = overview
        .organisations_by_kind
        .iter()
        .filter(|k| k.key.ends_with("_PARTY"))
        .map(|k| k.count)
        .sum();
    for (name, expected) in [
        ("projects", overview.projects.to_string()),
        (
            "visit_person_times",
            overview.visit_person_times.to_string(),
        ),
        ("party_organisations", party.to_string()),
        ("volunteers", overview.volunteers.to_string()),
        ("volunteer_hours", overview.volunteer_hours.to_string()),
        ("events", overview.events.to_string()),
        ("participants", overview.participants.to_string()),
        ("meals_served", overview.meals_served.to_string()),
        ("wishes_adopted", overview.wishes_adopted.to_string()),
        ("raised", yuan(&overview.raised)),
        ("granted", yuan(&overview.granted)),
        ("children_funded", overview.children_funded.to_string()),
        ("study_corners", overview.study_corners.to_string()),
        ("workshops", overview.workshops.to_string()),
        ("brands", overview.brands.to_string()),
        ("beneficiaries", overview.beneficiaries.to_string()),
        (
            "average_monthly_uplift",
            yuan(&overview.average_monthly_uplift),
        ),
        ("commissioners", overview.commissioners.to_string()),
        ("problems_resolved", overview.problems_resolved.to_string()),
    ] {
        assert_eq!(shown(name), expected, "{name}");
    }
    assert!(
        overview.projects > 0 && overview.workshops > 0,
        "the flows filled it"
    );

    let profile = env.settings.data_dir.join("chromium-en");
    let (dom, _) = tokio::task::spawn_blocking(move || {
        rendered(addr, &format!("key={API_KEY}&lang=en"), &profile)
    })
    .await
    .unwrap();
    assert!(dom.contains("Shared project library") && dom.contains("lang=\"en\""));
    // Without a key the page asks for one instead of showing anything.
    let profile = env.settings.data_dir.join("chromium-nokey");
    let (dom, _) = tokio::task::spawn_blocking(move || rendered(addr, "", &profile))
        .await
        .unwrap();
    assert!(dom.contains("data-state=\"need-key\""), "{dom}");
    suite.stop().await.unwrap();
}
