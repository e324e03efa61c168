//! The district's programme as demo data: loaded through the gateway on the embedded
//! default, the overview shows every figure of the source article, and loading again
//! changes nothing.

use std::cell::RefCell;

use xingfu::demo::FIGURES;
use xingfu_proto::gateway as gpb;
use xingfu_proto::gateway::gateway_service_client::GatewayServiceClient;
use xingfu_proto::workshops as wpb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::{API_KEY, TestEnv, eventually};

fn count(counts: &[gpb::KeyCount], key: &str) -> i64 {
    counts
        .iter()
        .filter(|c| c.key == key)
        .map(|c| c.count)
        .sum()
}

#[tokio::test]
async fn the_demo_programme_reproduces_every_figure_of_the_article_and_loads_once() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let endpoint = format!("http://{}", suite.addr(xingfu_gateway::NAME).unwrap());
    let started = std::time::Instant::now();
    let loaded = xingfu::seed_demo(&endpoint, API_KEY, xingfu::demo::DEFAULT_SEED)
        .await
        .unwrap();
    eprintln!(
        "loaded the demo: {} calls in {:.1} s",
        loaded.calls,
        started.elapsed().as_secs_f64()
    );
    let gateway = xingfu_testkit::channel(suite.addr(xingfu_gateway::NAME).unwrap()).await;
    // The gateway's read models follow the services' events: let them settle (the same
    // counts twice running).
    let overview = || async {
        let last = RefCell::new(gpb::Overview::default());
        eventually("the overview to settle", || async {
            let now = GatewayServiceClient::new(gateway.clone())
                .get_overview(gpb::GetOverviewRequest {})
                .await
                .unwrap()
                .into_inner();
            let last = last.replace(now.clone());
            (now.projects == last.projects && now.volunteers == last.volunteers).then_some(now)
        })
        .await
    };
    let o = overview().await;
    assert!(o.unavailable.is_empty());
    assert_eq!(o.projects, FIGURES.projects, "433 projects");
    assert_eq!(
        o.projects_by_category
            .iter()
            .filter(|c| c.count > 0)
            .count(),
        7,
        "in 7 categories"
    );
    assert_eq!(
        count(&o.organisations_by_kind, "AGENCY_PARTY"),
        FIGURES.agency_party_organisations
    );
    assert_eq!(
        count(&o.organisations_by_kind, "VILLAGE_PARTY")
            + count(&o.organisations_by_kind, "COMMUNITY_PARTY"),
        FIGURES.village_party_organisations
    );
    assert_eq!(o.wishes_adopted, FIGURES.wishes_adopted);
    assert_eq!(o.study_corners, FIGURES.study_corners);
    assert_eq!(
        o.raised.as_ref().unwrap().fen,
        FIGURES.raised_fen,
        "312,000 yuan"
    );
    assert_eq!(o.children_funded, FIGURES.children_funded);
    assert_eq!(
        count(&o.participants_by_kind, "COLLECTIVE_BIRTHDAY"),
        FIGURES.collective_birthday
    );
    assert!(
        o.meals_served >= FIGURES.meals_served_min,
        "{} meals",
        o.meals_served
    );
    assert!(count(&o.events_by_kind, "RED_SUNDAY") >= FIGURES.red_sunday_events_min);
    assert!(count(&o.participants_by_kind, "RED_SUNDAY") >= FIGURES.red_sunday_elderly_min);
    assert_eq!(o.brands, FIGURES.brands);
    assert_eq!(o.workshops_by_mode.len() as i64, FIGURES.modes);
    assert_eq!(o.commissioners, FIGURES.commissioners);
    assert!(
        o.beneficiaries >= FIGURES.workers_min,
        "{} workers",
        o.beneficiaries
    );
    assert!(
        o.average_monthly_uplift.as_ref().unwrap().fen >= FIGURES.uplift_min_fen,
        "uplift {:?}",
        o.average_monthly_uplift
    );
    assert_eq!(o.problems_resolved, FIGURES.problems_resolved);
    assert!(o.visit_person_times > 0 && o.volunteer_hours > 0);

    // The 62-year-old ex-fisherman of the large-yellow-croaker workshop: 90,000+ a year.
    let mut workshops = WorkshopsServiceClient::new(gateway.clone());
    let croaker = workshops
        .list_workshops(wpb::ListWorkshopsRequest {
            brand_id: "yellow-croaker".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .workshops;
    let mut best = 0;
    for shop in croaker {
        let mut token = String::new();
        loop {
            let page = workshops
                .list_workers(wpb::ListWorkersRequest {
                    workshop_id: shop.id.clone(),
                    page: Some(xingfu_proto::common::PageRequest {
                        page_size: 500,
                        page_token: token,
                    }),
                })
                .await
                .unwrap()
                .into_inner();
            for worker in page
                .workers
                .iter()
                .filter(|w| w.birth_year == 2026 - 62 && w.background == "渔民")
            {
                let income = workshops
                    .get_worker_income(wpb::GetWorkerIncomeRequest {
                        worker_id: worker.id.clone(),
                        year: 2025,
                    })
                    .await
                    .unwrap()
                    .into_inner();
                best = best.max(income.annual_income.unwrap().fen);
            }
            token = page.page.unwrap().next_page_token;
            if token.is_empty() {
                break;
            }
        }
    }
    assert!(
        best >= FIGURES.fisherman_annual_min_fen,
        "the fisherman earned {best} fen"
    );

    // Loading again changes nothing.
    let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    xingfu::demo::load(channel, API_KEY, xingfu::demo::DEFAULT_SEED)
        .await
        .unwrap();
    let again = overview().await;
    let strip = |mut o: gpb::Overview| {
        o.as_of = None;
        o
    };
    assert_eq!(strip(again), strip(o), "a second load changes no figure");
    suite.stop().await.unwrap();
}
