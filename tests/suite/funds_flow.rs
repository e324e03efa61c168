//! The charity ledger end to end through the gateway, on the embedded default and on
//! PostgreSQL + JetStream; the SQLite journal refuses edits too, and `xingfu funds verify`
//! finds tampering.

use std::time::Duration;

use async_nats::jetstream::consumer::pull;
use futures_util::StreamExt as _;
use xingfu_platform::db::Database;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

use crate::helpers::gateway;

/// 312,000 yuan, in fen (written yuan_fen).
const RAISED: i64 = 31_200_000;
/// 60,000 yuan: above the dual-approval amount.
const GRANT: i64 = 6_000_000;

/// A fund, a donation, a two-approver grant paid out; returns the fund id.
pub async fn flow(channel: Channel, deputy: Channel) -> String {
    let mut client = FundsServiceClient::new(channel);
    let fund = client
        .create_fund(pb::CreateFundRequest {
            request_id: "flow-fund".into(),
            name: "社会爱心资金 · 困难儿童".into(),
            purpose: pb::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    client
        .donate(pb::DonateRequest {
            idempotency_key: "flow-gift".into(),
            fund_id: fund.id.clone(),
            donor_kind: pb::DonorKind::Company as i32,
            donor_name: "洞头海产有限公司".into(),
            amount_fen: RAISED,
            channel: pb::DonationChannel::BankTransfer as i32,
            received_on: None,
        })
        .await
        .unwrap();
    let grant = client
        .request_grant(pb::RequestGrantRequest {
            request_id: "flow-grant".into(),
            fund_id: fund.id.clone(),
            kind: pb::GrantKind::ChildSupport as i32,
            beneficiary_ref: "case-0297".into(),
            amount_fen: GRANT,
            requested_by: "caseworker".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    // Four eyes: the caller, then a second person with a key of its own.
    for approver in [&mut client, &mut FundsServiceClient::new(deputy)] {
        approver
            .approve_grant(pb::ApproveGrantRequest {
                id: grant.id.clone(),
                approver: String::new(),
            })
            .await
            .unwrap();
    }
    let paid = client
        .disburse_grant(pb::DisburseGrantRequest {
            id: grant.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status, pb::GrantStatus::Disbursed as i32);
    // A gift returned, a request turned down.
    let returned = client
        .donate(pb::DonateRequest {
            idempotency_key: "flow-returned".into(),
            fund_id: fund.id.clone(),
            donor_kind: pb::DonorKind::Anonymous as i32,
            donor_name: String::new(),
            amount_fen: 100,
            channel: pb::DonationChannel::Cash as i32,
            received_on: None,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .refund_donation(pb::RefundDonationRequest {
            id: returned.id,
            reason: "counted twice".into(),
        })
        .await
        .unwrap();
    let turned_down = client
        .request_grant(pb::RequestGrantRequest {
            request_id: "flow-grant-2".into(),
            fund_id: fund.id.clone(),
            kind: pb::GrantKind::ChildSupport as i32,
            beneficiary_ref: "case-0298".into(),
            amount_fen: 100,
            requested_by: "caseworker".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    client
        .reject_grant(pb::RejectGrantRequest {
            id: turned_down.id,
            reviewer: String::new(),
            reason: "duplicate case".into(),
        })
        .await
        .unwrap();
    let verified = client
        .verify_ledger(pb::VerifyLedgerRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.ok, "{verified:?}");
    // A past month with nothing in it closes; closing it again changes nothing.
    for _ in 0..2 {
        let closed = client
            .close_period(pb::ClosePeriodRequest {
                period: "2026-01".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(closed.period, "2026-01");
    }
    let public = client
        .get_transparency_report(pb::GetTransparencyReportRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.balance.unwrap().fen, RAISED - GRANT);
    assert_eq!(public.children_supported, 1);
    fund.id
}

#[tokio::test]
async fn the_ledger_works_on_the_embedded_default_and_its_journal_refuses_edits() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    flow(
        gateway(&suite).await,
        crate::helpers::second_approver(&suite).await,
    )
    .await;
    suite.stop().await.unwrap();

    let db = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    let refused = sqlx::query("UPDATE journal_entries SET amount_fen = 1 WHERE seq = 1")
        .execute(db.pool())
        .await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    // With the guard dropped, an edit is still found.
    sqlx::query("DROP TRIGGER journal_entries_no_update")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE journal_entries SET amount_fen = amount_fen - 1 WHERE seq = 3")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xingfu"))
        .args(["funds", "verify"])
        .env("XINGFU__DATA_DIR", &env.settings.data_dir)
        .env(
            "XINGFU__PII__KEY",
            env.settings.pii.key.as_ref().unwrap().expose(),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("entry 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_ledger_works_on_postgres_and_its_events_reach_jetstream() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    flow(
        gateway(&suite).await,
        crate::helpers::second_approver(&suite).await,
    )
    .await;
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let stream = js
        .get_stream(env.stream_name(xingfu_funds::NAME))
        .await
        .unwrap();
    let reader = stream
        .create_consumer(pull::Config::default())
        .await
        .unwrap();
    let mut messages = reader.messages().await.unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let expected = [
        "fund_created",
        "donation_received",
        "grant_requested",
        "grant_approved",
        "grant_disbursed",
        "period_closed",
    ];
    while !expected.iter().all(|e| seen.contains(*e)) {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .unwrap_or_else(|_| panic!("funds events missing; saw {seen:?}"))
            .unwrap()
            .unwrap();
        seen.insert(
            message
                .subject
                .as_str()
                .split('.')
                .nth(2)
                .unwrap()
                .to_owned(),
        );
        message.ack().await.unwrap();
    }
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
