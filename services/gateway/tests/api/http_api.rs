//! The gateway on the HTTP port: a read and a write of each service as JSON with the same
//! keys and error codes as gRPC, and the OpenAPI document accepted by an outside validator.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use xingfu_testkit::{API_KEY, TestEnv};

use crate::helpers::{ALL, spawn_app};

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
    let (status, text) = exchange(addr, &request).await;
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Sends `request` whole and reads the answer to its end: (status, the answer's text).
async fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text[9..12].parse().unwrap();
    (status, text)
}

#[tokio::test]
async fn every_service_reads_and_writes_as_json_with_the_grpc_rules() {
    let app = spawn_app(TestEnv::embedded(), ALL).await;
    let addr = app.http_addr();
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

    // A bounded 64-bit integer is a JSON number in the document, and taken as one.
    let (_, funds) = http(addr, "GET", "/v1/funds/list-funds", key, None).await;
    let gift = json!({
        "idempotency_key": "json-gift", "fund_id": funds["funds"][0]["id"],
        "donor_kind": "DONOR_KIND_PERSON", "donor_name": "郑海生",
        "amount_fen": 10000, "channel": "DONATION_CHANNEL_WECHAT_PAY"
    });
    let (status, answer) = http(addr, "POST", "/v1/funds/donate", key, Some(gift)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["amount"]["fen"], json!("10000"), "{answer}");

    // The same codes as gRPC, as HTTP statuses with the details a caller acts on.
    let (status, error) = http(addr, "GET", "/v1/projects/get-project?id=x", None, None).await;
    assert_eq!((status, &error["code"]), (401, &json!("UNAUTHENTICATED")));
    assert!(error["details"].is_object(), "{error}");
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
    // A wrong method is 405 naming, in `Allow`, exactly the route's documented method.
    for (method, path, allowed) in [
        ("GET", "/v1/projects/create-project", "POST"),
        ("PUT", "/v1/projects/create-project", "POST"),
        ("DELETE", "/v1/projects/list-projects", "GET"),
        ("POST", "/v1/projects/list-projects", "GET"),
        ("HEAD", "/v1/projects/list-projects", "GET"),
    ] {
        assert_eq!(
            allow(addr, method, path).await,
            (405, Some(allowed.to_owned())),
            "{method} {path}"
        );
    }
    let (status, error) = http(addr, "GET", "/v1/projects/no-such-call", key, None).await;
    assert_eq!(status, 404);
    assert_eq!(error["details"], json!({}), "details is always an object");
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
    app.stop().await;
}

/// `method path` without a key: (status, its `Allow` header).
async fn allow(addr: SocketAddr, method: &str, path: &str) -> (u16, Option<String>) {
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let (status, text) = exchange(addr, &request).await;
    let allow = text
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("allow")
                .then(|| value.trim().to_owned())
        });
    (status, allow)
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
    let app = spawn_app(TestEnv::embedded(), ALL).await;
    let (status, document) = http(app.http_addr(), "GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let path = app.env.settings.data_dir.join("openapi.json");
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
    app.stop().await;
}

#[tokio::test]
async fn every_enum_value_has_a_chinese_and_an_english_label_over_grpc_and_json() {
    use xingfu_proto::gateway as gpb;
    let app = spawn_app(TestEnv::embedded(), ALL).await;
    let mut client = gpb::gateway_service_client::GatewayServiceClient::new(app.channel().await);
    let all = client
        .list_labels(gpb::ListLabelsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .enums;
    assert!(all.len() >= 30, "every enum of the API: {}", all.len());
    for e in &all {
        assert!(!e.values.is_empty(), "{} has values", e.name);
        for v in &e.values {
            assert!(
                !v.zh.is_empty() && !v.en.is_empty(),
                "{}.{} is labelled in both languages",
                e.name,
                v.name
            );
            assert!(v.name.ends_with(&v.key) && !v.key.is_empty());
        }
    }
    let kinds = client
        .list_labels(gpb::ListLabelsRequest {
            r#enum: "xingfu.volunteers.v1.ActivityKind".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .enums;
    let red_sunday = kinds[0]
        .values
        .iter()
        .find(|v| v.key == "RED_SUNDAY")
        .unwrap();
    assert_eq!(
        (red_sunday.zh.as_str(), red_sunday.en.as_str()),
        ("红色星期天", "Red Sunday")
    );
    let status = client
        .list_labels(gpb::ListLabelsRequest {
            r#enum: "xingfu.volunteers.v1.NoSuchEnum".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);

    // The same as JSON, for the dashboard and for clients without gRPC.
    let (status, body) = http(
        app.http_addr(),
        "GET",
        "/v1/gateway/list-labels?enum=xingfu.projects.v1.Category",
        Some(API_KEY),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let convenience = body["enums"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "CONVENIENCE")
        .cloned()
        .unwrap();
    assert_eq!(convenience["zh"], "便民利民");
    assert_eq!(convenience["en"], "Everyday convenience");
    app.stop().await;
}
