use prost::Message as _;
use tonic::Code;
use xingfu_projects::domain::Date;
use xingfu_proto::projects as pb;

use crate::helpers::{date, spawn_app, violated_fields};

fn contract(request_id: &str, end: Option<xingfu_proto::common::Date>) -> pb::SignContractRequest {
    pb::SignContractRequest {
        request_id: request_id.into(),
        provider_kind: pb::ProviderKind::Team as i32,
        provider_id: "little-orange-lamp".into(),
        community_id: "beiao-xiaoqu".into(),
        services: vec![
            "calligraphy class".into(),
            "intangible-heritage crafts".into(),
        ],
        start_date: date(2026, 1, 1),
        end_date: end,
        project_id: String::new(),
    }
}

#[tokio::test]
async fn contracts_are_signed_renewed_terminated_and_expire_by_date() {
    let mut app = spawn_app().await;
    let signed = app
        .client
        .sign_contract(contract("c-1", date(2030, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signed.status, pb::ContractStatus::Active as i32);
    assert_eq!(signed.services.len(), 2);
    let again = app
        .client
        .sign_contract(contract("c-1", date(2030, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.id, signed.id);

    let renewed = app
        .client
        .renew_contract(pb::RenewContractRequest {
            id: signed.id.clone(),
            end_date: date(2031, 12, 31),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (renewed.renewals, renewed.end_date.unwrap().year),
        (1, 2031)
    );
    let status = app
        .client
        .renew_contract(pb::RenewContractRequest {
            id: signed.id.clone(),
            end_date: date(2031, 1, 1),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["end_date"]);

    let ended = app
        .client
        .terminate_contract(pb::TerminateContractRequest {
            id: signed.id.clone(),
            reason: "team disbanded".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ended.status, pb::ContractStatus::Terminated as i32);
    let status = app
        .client
        .terminate_contract(pb::TerminateContractRequest {
            id: signed.id.clone(),
            reason: "again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);

    // A contract whose last day has passed reads EXPIRED at once, and the sweep makes it
    // a fact with its event, once.
    let past = app
        .client
        .sign_contract(contract("c-2", date(2026, 1, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(past.status, pb::ContractStatus::Expired as i32);
    let expired = app
        .client
        .list_contracts(pb::ListContractsRequest {
            status: pb::ContractStatus::Expired as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        expired
            .contracts
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        [past.id.as_str()]
    );
    let library = app.library();
    assert_eq!(library.expire_contracts(Date::today()).await.unwrap(), 1);
    assert_eq!(library.expire_contracts(Date::today()).await.unwrap(), 0);
    let ended: Vec<pb::ContractEnded> = app
        .payloads("projects.contract_ended.v1")
        .await
        .iter()
        .map(|p| pb::ContractEnded::decode(p.as_slice()).unwrap())
        .collect();
    let statuses: Vec<i32> = ended.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            pb::ContractStatus::Terminated as i32,
            pb::ContractStatus::Expired as i32
        ]
    );
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("contract_signed.v1"))
            .count(),
        3,
        "two signed, one renewed"
    );

    let summary = app
        .client
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "beiao-xiaoqu".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.active_contracts, 0);

    let mut bad = contract("c-3", date(2025, 1, 1));
    bad.services = vec![];
    bad.provider_kind = 0;
    let status = app.client.sign_contract(bad).await.unwrap_err();
    // The declared rules first; an end before the start (a rule between two fields)
    // once they hold.
    assert_eq!(violated_fields(&status), ["provider_kind", "services"]);
    let status = app
        .client
        .sign_contract(contract("c-3", date(2025, 1, 1)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["end_date"]);
    app.stop().await;
}
