//! The integrators' clients in docs/examples, run as an integrator would run them against
//! a real suite: a Python gRPC client generated from the protos (grpcio-tools) and a
//! Python client generated from the served OpenAPI document (openapi-python-client). Each
//! creates a project, retries the create, reads it, finds it in a list, and sends a bad
//! request.

use std::process::Command;

use xingfu_testkit::{API_KEY, TestEnv};

/// Runs `docs/examples/<script>` with `args`; its one line of JSON output.
async fn run_example(script: &str, args: Vec<String>) -> serde_json::Value {
    let path = format!("{}/docs/examples/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg(path)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "{script} printed {:?}: {err}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test]
async fn python_clients_generated_from_the_contract_create_read_and_list() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let gateway = suite.addr(xingfu_gateway::NAME).unwrap();

    let grpc = run_example(
        "grpc_client.py",
        vec![gateway.to_string(), API_KEY.to_owned()],
    )
    .await;
    assert_eq!(grpc["retry_same"], true, "{grpc}");
    assert_eq!(grpc["read_title"], "温馨小书房 · 书桌和台灯", "{grpc}");
    assert_eq!(grpc["listed"], true, "{grpc}");
    assert_eq!(grpc["bad_request"], "INVALID_ARGUMENT", "{grpc}");

    let http = format!("http://{}", suite.http_addr());
    let json = run_example("openapi_client.py", vec![http, API_KEY.to_owned()]).await;
    assert_eq!(json["retry_same"], true, "{json}");
    assert_eq!(json["read_title"], "共享幸福小课堂 · 书法", "{json}");
    assert_eq!(json["listed"], true, "{json}");
    assert_eq!(
        json["bad_request"],
        serde_json::json!([400, "INVALID_ARGUMENT", ["title"]]),
        "{json}"
    );

    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
