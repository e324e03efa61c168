use tonic::Code;
use xingfu_platform::db::Backend;
use xingfu_proto::funds as pb;

use crate::helpers::spawn_app;

/// Checks the two invariants on the database itself: every journal transaction sums to
/// zero, and no fund is below zero.
async fn assert_invariants(app: &crate::helpers::TestApp) {
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT transaction_id FROM journal_entries GROUP BY transaction_id \
         HAVING SUM(amount_fen) <> 0) AS t",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(unbalanced, 0, "every transaction sums to zero");
    let negative: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM funds WHERE balance_fen < 0")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(negative, 0, "no fund is below zero");
}

#[tokio::test]
async fn sixty_four_concurrent_payments_pay_exactly_what_the_fund_holds() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("race", pb::Purpose::General).await;
    app.donate("race-gift", &fund.id, 25 * 1_000_00)
        .await
        .unwrap();
    let mut grants = Vec::new();
    for i in 0..64 {
        grants.push(
            app.approved_grant(&format!("race-{i}"), &fund.id, 1_000_00)
                .await
                .id,
        );
    }
    let payments = grants.into_iter().map(|id| {
        let mut client = app.client.clone();
        tokio::spawn(async move { client.disburse_grant(pb::DisburseGrantRequest { id }).await })
    });
    let (mut paid, mut refused) = (0, 0);
    for payment in payments {
        match payment.await.unwrap() {
            Ok(_) => paid += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                refused += 1;
            }
        }
    }
    assert_eq!((paid, refused), (25, 39));
    let read = app
        .client
        .get_fund(pb::GetFundRequest {
            id: fund.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.balance.unwrap().fen, 0);
    assert_invariants(&app).await;
    let verified = app
        .client
        .verify_ledger(pb::VerifyLedgerRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.entries, 2 + 25 * 2);
    app.stop().await;
}

#[tokio::test]
async fn the_database_refuses_to_change_the_journal_and_tampering_is_found() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("tamper", pb::Purpose::General).await;
    for i in 0..3 {
        app.donate(&format!("t-{i}"), &fund.id, 1_000_00)
            .await
            .unwrap();
    }
    let update =
        sqlx::query("UPDATE journal_entries SET amount_fen = amount_fen + 1 WHERE seq = 3")
            .execute(app.db.pool())
            .await;
    assert!(update.is_err(), "UPDATE is refused");
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(
        sqlx::query("DELETE FROM journal_entries")
            .execute(app.db.pool())
            .await
            .is_err(),
        "DELETE is refused"
    );
    // Someone with the database owner's powers switches the guard off and edits an entry.
    let switch_off = match app.db.backend() {
        Backend::Postgres => {
            assert!(
                sqlx::query("TRUNCATE journal_entries")
                    .execute(app.db.pool())
                    .await
                    .is_err(),
                "TRUNCATE is refused"
            );
            "ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_append_only"
        }
        Backend::Sqlite => "DROP TRIGGER journal_entries_no_update",
    };
    sqlx::query(switch_off)
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE journal_entries SET amount_fen = amount_fen + 100 WHERE seq = 3")
        .execute(app.db.pool())
        .await
        .unwrap();
    let verified = app
        .client
        .verify_ledger(pb::VerifyLedgerRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(!verified.ok);
    assert_eq!(verified.first_broken_entry, 3, "{verified:?}");
    assert!(
        verified.first_break.contains("changed"),
        "{}",
        verified.first_break
    );
    app.stop().await;
}

#[tokio::test]
async fn random_operations_never_unbalance_the_journal_or_empty_a_fund_below_zero() {
    let mut app = spawn_app(3).await;
    let funds = [
        app.fund("p1", pb::Purpose::General).await.id,
        app.fund("p2", pb::Purpose::ChildSupport).await.id,
    ];
    // A small deterministic generator (xorshift): the same seed, the same sequence.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut donations = Vec::new();
    let mut grants = Vec::new();
    for step in 0..120 {
        let fund = &funds[usize::try_from(next(2)).unwrap()];
        let amount = i64::try_from(next(5_000) + 1).unwrap();
        match next(5) {
            0 | 1 => {
                if let Ok(d) = app.donate(&format!("s-{step}"), fund, amount).await {
                    donations.push(d.id);
                }
            }
            2 => {
                let grant = app.approved_grant(&format!("g-{step}"), fund, amount).await;
                grants.push(grant.id);
            }
            3 if !grants.is_empty() => {
                let id = grants[usize::try_from(next(grants.len() as u64)).unwrap()].clone();
                let result = app
                    .client
                    .disburse_grant(pb::DisburseGrantRequest { id })
                    .await;
                if let Err(status) = result {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                }
            }
            _ if !donations.is_empty() => {
                let id = donations[usize::try_from(next(donations.len() as u64)).unwrap()].clone();
                let result = app
                    .client
                    .refund_donation(pb::RefundDonationRequest {
                        id,
                        reason: "test".into(),
                    })
                    .await;
                if let Err(status) = result {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                }
            }
            _ => {}
        }
        assert_invariants(&app).await;
    }
    let verified = app
        .client
        .verify_ledger(pb::VerifyLedgerRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(verified.ok, "{verified:?}");
    let report = app
        .client
        .get_report(pb::GetReportRequest::default())
        .await
        .unwrap()
        .into_inner();
    let held: i64 = {
        let mut total = 0;
        for id in &funds {
            total += app
                .client
                .get_fund(pb::GetFundRequest { id: id.clone() })
                .await
                .unwrap()
                .into_inner()
                .balance
                .unwrap()
                .fen;
        }
        total
    };
    assert_eq!(
        report.raised.unwrap().fen - report.disbursed.unwrap().fen,
        held,
        "raised − disbursed = held"
    );
    app.stop().await;
}

#[tokio::test]
async fn reports_count_beneficiaries_and_export_csv_without_personal_data() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("report", pb::Purpose::General).await;
    app.donate("rep-1", &fund.id, 10_000_00).await.unwrap();
    for i in 0..3 {
        let grant = app
            .approved_grant(&format!("rep-g-{i}"), &fund.id, 1_000_00)
            .await;
        app.client
            .disburse_grant(pb::DisburseGrantRequest { id: grant.id })
            .await
            .unwrap();
    }
    let report = app
        .client
        .get_report(pb::GetReportRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (report.raised.unwrap().fen, report.disbursed.unwrap().fen),
        (10_000_00, 3_000_00)
    );
    assert_eq!(report.children_supported, 3);
    let public = app
        .client
        .get_transparency_report(pb::GetTransparencyReportRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (public.donations, public.balance.unwrap().fen),
        (1, 7_000_00)
    );
    let csv = app
        .client
        .export_report(pb::GetReportRequest::default())
        .await
        .unwrap()
        .into_inner()
        .data;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("period,fund_id,purpose,project_id,raised_fen,disbursed_fen,grants\n"));
    assert!(!csv.contains("郑"), "no donor names in exports");
    let balance = app
        .client
        .get_balance(pb::GetBalanceRequest {
            fund_id: fund.id.clone(),
            at: Some(prost_types::Timestamp {
                seconds: 0,
                nanos: 0,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(balance.balance.unwrap().fen, 0, "nothing was held in 1970");
    app.stop().await;
}
