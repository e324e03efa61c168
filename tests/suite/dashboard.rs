//! The dashboard on the gateway's HTTP port, rendered by headless Chromium, showing the
//! overview's figures once the whole suite's flows have filled it.

use std::net::SocketAddr;
use std::process::Command;

use xingfu_proto::gateway as gpb;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_testkit::{API_KEY, TestEnv};

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
    // The charts show each value's label, not its key: the flow's collective birthday.
    assert!(
        dom.contains(">集体生日<") && !dom.contains(">COLLECTIVE_BIRTHDAY<"),
        "the activity kinds are labelled in Chinese: {dom}"
    );

    let profile = env.settings.data_dir.join("chromium-en");
    let (dom, _) = tokio::task::spawn_blocking(move || {
        rendered(addr, &format!("key={API_KEY}&lang=en"), &profile)
    })
    .await
    .unwrap();
    assert!(dom.contains("Shared project library") && dom.contains("lang=\"en\""));
    assert!(
        dom.contains(">Collective birthday<"),
        "and in English: {dom}"
    );
    // Without a key the page asks for one instead of showing anything.
    let profile = env.settings.data_dir.join("chromium-nokey");
    let (dom, _) = tokio::task::spawn_blocking(move || rendered(addr, "", &profile))
        .await
        .unwrap();
    assert!(dom.contains("data-state=\"need-key\""), "{dom}");
    suite.stop().await.unwrap();
}
