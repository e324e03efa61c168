//! The `xingfu` binary as ops run it: version, configuration errors, SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_xingfu");

#[test]
fn version_prints_the_package_version() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("xingfu {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_setting_fails_at_start_up_naming_its_key() {
    let data = tempfile_dir();
    let out = Command::new(BIN)
        .args(["serve"])
        .env("XINGFU__DATA_DIR", &data)
        .env("XINGFU__GRPC__CONCURRENCY_LIMIT", "lots")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("grpc.concurrency_limit"), "{stderr}");

    let out = Command::new(BIN)
        .args(["serve", "--services", "nowhere"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown service"));
}

#[test]
fn sigterm_drains_and_exits_zero_within_ten_seconds() {
    let data = tempfile_dir();
    let mut child = crate::helpers::serve_command(&data).spawn().unwrap();
    let (lines, ready) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("xingfu ready") {
                let _ = lines.send(());
            }
        }
    });
    if ready.recv_timeout(Duration::from_secs(30)).is_err() {
        child.kill().ok();
        panic!("the suite did not come up within 30 s");
    }

    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = started + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::remove_dir_all(&data).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xingfu-bin-{}", xingfu_testkit::unique_token()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn import_needs_streams_a_csv_file_through_the_gateway() {
    let env = xingfu_testkit::TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let endpoint = format!("http://{}", suite.addr(xingfu_gateway::NAME).unwrap());
    let file = env.settings.data_dir.join("needs.csv");
    std::fs::write(
        &file,
        "id,channel,community_id,description\nq-1,SURVEY,beiao,路灯坏了\nq-2,FAX,beiao,x\n",
    )
    .unwrap();
    let run = |file: std::path::PathBuf, endpoint: String| {
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .args(["import", "needs"])
                .arg(&file)
                .args([
                    "--endpoint",
                    &endpoint,
                    "--api-key",
                    xingfu_testkit::API_KEY,
                ])
                .output()
                .unwrap()
        })
    };
    let out = run(file.clone(), endpoint.clone()).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a rejected row makes the exit code 2"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("imported 1, already imported 0, rejected 1"),
        "{stdout}"
    );
    assert!(stdout.contains("line 3: channel"), "{stdout}");
    let again = run(file, endpoint).await.unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("imported 0, already imported 1"));
    suite.stop().await.unwrap();
}

#[test]
fn descriptors_and_config_keys_describe_the_binary() {
    let dir = tempfile_dir();
    let path = dir.join("xingfu.binpb");
    let out = Command::new(BIN)
        .args(["descriptors", "--output"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let set = <prost_types::FileDescriptorSet as prost::Message>::decode(
        std::fs::read(&path).unwrap().as_slice(),
    )
    .unwrap();
    let files: Vec<&str> = set.file.iter().filter_map(|f| f.name.as_deref()).collect();
    for expected in [
        "xingfu/projects/v1/projects.proto",
        "xingfu/projects/v1/events.proto",
        "google/protobuf/timestamp.proto",
    ] {
        assert!(files.contains(&expected), "{expected} in {files:?}");
    }
    let keys = Command::new(BIN).arg("config-keys").output().unwrap();
    let keys = String::from_utf8_lossy(&keys.stdout);
    assert!(
        keys.lines()
            .any(|l| l.starts_with("nats.url\tXINGFU__NATS__URL\t"))
    );
    assert!(keys.lines().any(|l| {
        l.starts_with("<service>.listen\tXINGFU__<SERVICE>__LISTEN\tprojects=127.0.0.1:50061")
            && l.contains("gateway=127.0.0.1:50051")
    }));
    // Each service's own keys, from its crate.
    for line in [
        "gateway.limits.rate_per_second\tXINGFU__GATEWAY__LIMITS__RATE_PER_SECOND\t200.0",
        "gateway.auth.keys_file\tXINGFU__GATEWAY__AUTH__KEYS_FILE\t",
        "funds.ledger.dual_approval_fen\tXINGFU__FUNDS__LEDGER__DUAL_APPROVAL_FEN\t5000000",
    ] {
        assert!(keys.lines().any(|l| l == line), "{line} in {keys}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
