//! The workshops service end to end through the gateway, on the embedded default and on
//! PostgreSQL + JetStream: every capability answers; the department, community and
//! volunteers it names turn verified when the volunteers service's events arrive; on
//! JetStream each of its events is on the stream.

use std::collections::BTreeSet;

use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::{Channel, TestEnv, eventually, holds};
use xingfu_volunteers::domain::register::check_character;

use crate::helpers::gateway;

const DEPARTMENT: &str = "wflow-agri";
const VILLAGE: &str = "wflow-cun";

fn id_number(prefix: &str, n: u32) -> String {
    let first17 = format!("{prefix}{n:03}");
    format!("{first17}{}", check_character(&first17).unwrap())
}

/// Registers the directory entries and a commissioner in the volunteers service; returns
/// the commissioner's volunteer id.
async fn directory(channel: Channel) -> String {
    let mut volunteers = VolunteersServiceClient::new(channel);
    volunteers
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: DEPARTMENT.into(),
            name: "洞头区农业农村局".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    volunteers
        .register_community(vpb::RegisterCommunityRequest {
            id: VILLAGE.into(),
            name: "鹿西村".into(),
            kind: vpb::CommunityKind::Village as i32,
            township: "鹿西乡".into(),
        })
        .await
        .unwrap();
    volunteers
        .register_volunteer(vpb::RegisterVolunteerRequest {
            request_id: "wflow-commissioner".into(),
            name: "王专员".into(),
            phone: "13500001111".into(),
            id_number: id_number("33032219800808", 7),
            party_member: true,
            work_organisation_id: DEPARTMENT.into(),
            home_community_id: VILLAGE.into(),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// Runs every capability once through `channel`; returns the figures at the end.
pub async fn flow(channel: Channel) -> pb::WorkshopStats {
    let commissioner = directory(channel.clone()).await;
    let mut client = WorkshopsServiceClient::new(channel);
    client
        .register_brand(pb::RegisterBrandRequest {
            id: "wflow-fish".into(),
            name: "渔家厨娘".into(),
            department_id: DEPARTMENT.into(),
            description: String::new(),
        })
        .await
        .unwrap();
    let workshop = client
        .create_workshop(pb::CreateWorkshopRequest {
            request_id: "wflow-workshop".into(),
            name: "大黄鱼共富工坊".into(),
            community_id: VILLAGE.into(),
            host_firm: "鹿西海产合作社".into(),
            department_id: DEPARTMENT.into(),
            mode: pb::Mode::Processing as i32,
            brand_id: "wflow-fish".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let opened = client
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: workshop.id.clone(),
            status: pb::WorkshopStatus::Open as i32,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let renamed = client
        .update_workshop(pb::UpdateWorkshopRequest {
            id: workshop.id.clone(),
            version: opened.version,
            name: "鹿西岛紫菜加工共富工坊".into(),
            host_firm: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name, "鹿西岛紫菜加工共富工坊");
    client
        .give_support(pb::GiveSupportRequest {
            request_id: "wflow-support".into(),
            workshop_id: workshop.id.clone(),
            kind: pb::SupportKind::SiteSelection as i32,
            description: "村集体闲置厂房".into(),
            value_fen: 0,
            given_on: None,
        })
        .await
        .unwrap();
    let appointed = client
        .appoint(pb::AppointRequest {
            request_id: "wflow-appoint".into(),
            volunteer_id: commissioner.clone(),
            role: pb::Role::Commissioner as i32,
            workshop_id: workshop.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let broker = client
        .appoint(pb::AppointRequest {
            request_id: "wflow-broker".into(),
            volunteer_id: commissioner.clone(),
            role: pb::Role::StarBroker as i32,
            workshop_id: workshop.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    client
        .rate_broker(pb::RateBrokerRequest {
            request_id: "wflow-rating".into(),
            appointment_id: broker.id.clone(),
            stars: 5,
            note: String::new(),
        })
        .await
        .unwrap();
    client
        .end_appointment(pb::EndAppointmentRequest { id: broker.id })
        .await
        .unwrap();

    let worker = client
        .enrol_worker(pb::EnrolWorkerRequest {
            request_id: "wflow-worker".into(),
            workshop_id: workshop.id.clone(),
            name: "陈老伯".into(),
            phone: "13600002222".into(),
            id_number: id_number("33032219640606", 1),
            background: "渔民".into(),
            baseline_monthly_income_fen: 300_000,
            joined_on: None,
        })
        .await
        .unwrap()
        .into_inner();
    let month = xingfu_platform::date::Date::today().month_key();
    client
        .record_income(pb::RecordIncomeRequest {
            request_id: "wflow-income".into(),
            worker_id: worker.id.clone(),
            month,
            amount_fen: 750_000,
            source: pb::IncomeSource::Wages as i32,
        })
        .await
        .unwrap();
    let order = client
        .place_order(pb::PlaceOrderRequest {
            request_id: "wflow-order".into(),
            workshop_id: workshop.id.clone(),
            firm: "温州水产".into(),
            product: "黄鱼鲞".into(),
            quantity: 100,
            unit_pay_fen: 300,
        })
        .await
        .unwrap()
        .into_inner();
    let task = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "wflow-task".into(),
            order_id: order.id,
            quantity: 40,
        })
        .await
        .unwrap()
        .into_inner();
    let take = client
        .take_task(pb::TakeTaskRequest {
            request_id: "wflow-take".into(),
            task_id: task.id,
            worker_id: worker.id.clone(),
            quantity: 40,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: take.id,
            delivered: 40,
        })
        .await
        .unwrap();
    // A second order whose only delivery is refused on quality, then closed: its pay is
    // taken back, so the figures above are what the first order made them.
    let second = client
        .place_order(pb::PlaceOrderRequest {
            request_id: "wflow-order-2".into(),
            workshop_id: workshop.id.clone(),
            firm: "温州水产".into(),
            product: "虾皮".into(),
            quantity: 10,
            unit_pay_fen: 300,
        })
        .await
        .unwrap()
        .into_inner();
    let task = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "wflow-task-2".into(),
            order_id: second.id.clone(),
            quantity: 10,
        })
        .await
        .unwrap()
        .into_inner();
    let take = client
        .take_task(pb::TakeTaskRequest {
            request_id: "wflow-take-2".into(),
            task_id: task.id,
            worker_id: worker.id.clone(),
            quantity: 10,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: take.id.clone(),
            delivered: 10,
        })
        .await
        .unwrap();
    let refused = client
        .reject_take(pb::RejectTakeRequest {
            take_id: take.id,
            rejected: 10,
            reason: "虾皮受潮".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.pay.unwrap().fen, 0);
    client
        .close_order(pb::CloseOrderRequest {
            order_id: second.id,
            reason: "企业取消".into(),
        })
        .await
        .unwrap();
    let problem = client
        .raise_problem(pb::RaiseProblemRequest {
            request_id: "wflow-problem".into(),
            workshop_id: workshop.id.clone(),
            category: pb::ProblemCategory::FirmMatching as i32,
            description: "缺少稳定订单".into(),
        })
        .await
        .unwrap()
        .into_inner();
    client
        .assign_problem(pb::AssignProblemRequest {
            problem_id: problem.id.clone(),
            volunteer_id: commissioner,
        })
        .await
        .unwrap();
    client
        .resolve_problem(pb::ResolveProblemRequest {
            problem_id: problem.id,
            resolution: "对接温州水产长期订单".into(),
        })
        .await
        .unwrap();

    // The references turn verified once the volunteers service's events are applied.
    eventually(
        "the department, village and commissioner to turn verified",
        || async {
            let mut client = client.clone();
            let now = client
                .get_workshop(pb::GetWorkshopRequest {
                    id: workshop.id.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            let appointment = client
                .list_appointments(pb::ListAppointmentsRequest {
                    workshop_id: workshop.id.clone(),
                    role: pb::Role::Commissioner as i32,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .appointments
                .into_iter()
                .find(|a| a.id == appointed.id)
                .unwrap();
            let verified = (
                now.department.unwrap().verified,
                now.community.unwrap().verified,
                appointment.volunteer.unwrap().verified,
            );
            holds(verified == (true, true, true))
        },
    )
    .await;
    client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn assert_figures(stats: &pb::WorkshopStats) {
    assert!(stats.workshops >= 1 && stats.beneficiaries >= 1);
    assert!(stats.commissioners >= 1 && stats.problems_resolved >= 1);
    assert!(stats.units_delivered >= 40);
}

#[tokio::test]
async fn the_workshops_service_works_through_the_gateway_on_the_embedded_default() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let stats = flow(gateway(&suite).await).await;
    assert_figures(&stats);
    // 7,500 yuan wages and 40 × 3 yuan piecework against 3,000 before.
    assert_eq!(stats.average_monthly_uplift.unwrap().fen, 462_000);
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn the_workshops_service_works_through_the_gateway_on_postgres_and_jetstream() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let stats = flow(gateway(&suite).await).await;
    assert_figures(&stats);

    let expected: BTreeSet<String> = xingfu_proto::events::CATALOGUE
        .iter()
        .filter_map(|(subject, _)| subject.strip_prefix("workshops."))
        .map(|fact| fact.trim_end_matches(".v1").to_owned())
        .collect();
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    crate::helpers::facts_reach_the_stream(&env, xingfu_workshops::NAME, &expected).await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
