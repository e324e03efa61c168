//! Who acted is who called (issue 16) in the ledger: a fund belongs to an organisation;
//! a caller limited to a subtree sees and changes only the funds owned inside it, and
//! grant roles count only over the fund's organisation (or above it).

use tonic::{Code, Status};
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;

use crate::helpers::{child_grant, donation, spawn_app};

/// A child-support grant asked by the caller itself.
fn own_grant(key: &str, fund_id: &str, amount_fen: i64) -> pb::RequestGrantRequest {
    pb::RequestGrantRequest {
        requested_by: String::new(),
        ..child_grant(key, fund_id, amount_fen)
    }
}

fn code<T>(result: Result<T, Status>) -> Code {
    result.map_or_else(|s| s.code(), |_| Code::Ok)
}

fn reason<T: std::fmt::Debug>(result: Result<T, Status>) -> String {
    xingfu_testkit::denial_reason(&result.unwrap_err())
}

#[tokio::test]
async fn a_caller_limited_to_an_organisation_sees_and_changes_only_its_funds() {
    let mut app = spawn_app(5).await;
    app.directory(&[
        ("civil-affairs", None),
        ("beiao-street", Some("civil-affairs")),
        ("education", None),
    ])
    .await;
    let ours = app
        .owned_fund("beiao", pb::Purpose::ChildSupport, "beiao-street")
        .await;
    let theirs = app
        .owned_fund("school", pb::Purpose::ChildSupport, "education")
        .await;
    let programme = app.fund("district", pb::Purpose::General).await;
    for (key, fund) in [("d-ours", &ours), ("d-theirs", &theirs)] {
        app.donate(key, &fund.id, 500_000_00).await.unwrap();
    }
    let their_grant = app.approved_grant("g-theirs", &theirs.id, 100_00).await;
    let their_gift = app.donate("d-theirs-2", &theirs.id, 10_00).await.unwrap();

    let mut civil = FundsServiceClient::new(
        app.as_limited(
            "civil-clerk",
            &[
                "grant_requester@civil-affairs",
                "grant_approver@civil-affairs",
            ],
            Some("civil-affairs"),
        )
        .await,
    );
    // Lists show the subtree's funds and grants only.
    let funds = civil
        .list_funds(pb::ListFundsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .funds;
    assert_eq!(
        funds.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        [ours.id.as_str()]
    );
    assert_eq!(funds[0].organisation_id, "beiao-street");
    let grants = civil
        .list_grants(pb::ListGrantsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .grants;
    assert!(grants.is_empty(), "{grants:?}");
    // Reads and writes by id outside answer NOT_FOUND, as a missing id does.
    for fund in [&theirs, &programme] {
        let get = civil
            .get_fund(pb::GetFundRequest {
                id: fund.id.clone(),
            })
            .await;
        assert_eq!(code(get), Code::NotFound);
        let balance = civil
            .get_balance(pb::GetBalanceRequest {
                fund_id: fund.id.clone(),
                at: None,
            })
            .await;
        assert_eq!(code(balance), Code::NotFound);
        let gift = civil
            .donate(donation(&format!("x-{}", fund.id), &fund.id, 1_00))
            .await;
        assert_eq!(code(gift), Code::NotFound);
        let ask = civil
            .request_grant(own_grant(&format!("ask-{}", fund.id), &fund.id, 1_00))
            .await;
        assert_eq!(code(ask), Code::NotFound);
    }
    let get = civil
        .get_grant(pb::GetGrantRequest {
            id: their_grant.id.clone(),
        })
        .await;
    assert_eq!(code(get), Code::NotFound);
    let pay = civil
        .disburse_grant(pb::DisburseGrantRequest {
            id: their_grant.id.clone(),
        })
        .await;
    assert_eq!(code(pay), Code::NotFound);
    let cancel = civil
        .cancel_grant(pb::CancelGrantRequest {
            id: their_grant.id.clone(),
            reason: "不是我们的".into(),
        })
        .await;
    assert_eq!(code(cancel), Code::NotFound);
    let refund = civil
        .refund_donation(pb::RefundDonationRequest {
            id: their_gift.id.clone(),
            reason: "不是我们的".into(),
        })
        .await;
    assert_eq!(code(refund), Code::NotFound);
    let gift = civil
        .get_donation(pb::GetDonationRequest {
            id: their_gift.id.clone(),
        })
        .await;
    assert_eq!(code(gift), Code::NotFound);
    // Reports count the subtree's funds only; the whole ledger is programme-wide.
    let report = civil
        .get_report(pb::GetReportRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(
        report.rows.iter().all(|r| r.fund_id == ours.id),
        "{report:?}"
    );
    assert_eq!(report.raised.unwrap().fen, 500_000_00);
    let close = civil
        .close_period(pb::ClosePeriodRequest {
            period: "2020-01".into(),
        })
        .await;
    assert_eq!(reason(close), "PROGRAMME_WIDE");
    let verify = civil.verify_ledger(pb::VerifyLedgerRequest {}).await;
    assert_eq!(reason(verify), "PROGRAMME_WIDE");
    // Creating a fund for an organisation outside is refused, and so is the programme's.
    for outside in ["education", ""] {
        let create = civil
            .create_fund(pb::CreateFundRequest {
                request_id: format!("new-{outside}"),
                name: "越界".into(),
                purpose: pb::Purpose::General as i32,
                organisation_id: outside.into(),
            })
            .await;
        assert_eq!(reason(create), "OUTSIDE_BOUNDARY", "{outside:?}");
    }
    // Inside, the work goes on: a grant asked and approved under the roles held above.
    let mine = civil
        .request_grant(own_grant("g-ours", &ours.id, 100_00))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.requested_by, "civil-clerk");
    app.stop().await;
}

#[tokio::test]
async fn grant_roles_count_only_over_the_funds_organisation() {
    let mut app = spawn_app(5).await;
    app.directory(&[
        ("civil-affairs", None),
        ("beiao-street", Some("civil-affairs")),
        ("education", None),
    ])
    .await;
    let fund = app
        .owned_fund("beiao", pb::Purpose::ChildSupport, "beiao-street")
        .await;
    let gift = app.donate("d-1", &fund.id, 100_000_00).await.unwrap();
    let grant = app
        .client
        .request_grant(own_grant("g-1", &fund.id, 1_000_00))
        .await
        .unwrap()
        .into_inner();
    let approve = pb::ApproveGrantRequest {
        id: grant.id.clone(),
        approver: String::new(),
    };

    // An approver of another organisation, a requester of this one: neither approves.
    let mut teacher = FundsServiceClient::new(
        app.as_principal("teacher", &["grant_approver@education"])
            .await,
    );
    assert_eq!(
        reason(teacher.approve_grant(approve.clone()).await),
        "ROLE_REQUIRED"
    );
    let mut asker = FundsServiceClient::new(
        app.as_principal("asker", &["grant_requester@beiao-street"])
            .await,
    );
    assert_eq!(
        reason(asker.approve_grant(approve.clone()).await),
        "ROLE_REQUIRED"
    );
    assert_eq!(
        reason(
            teacher
                .request_grant(own_grant("g-2", &fund.id, 1_00))
                .await
        ),
        "ROLE_REQUIRED"
    );
    // Refunding a donation moves money out as a payment does; closing a month is the
    // programme's: a requester does neither.
    let refund = asker
        .refund_donation(pb::RefundDonationRequest {
            id: gift.id.clone(),
            reason: "捐赠人要求退回".into(),
        })
        .await;
    assert_eq!(reason(refund), "ROLE_REQUIRED");
    let close = asker
        .close_period(pb::ClosePeriodRequest {
            period: "2020-01".into(),
        })
        .await;
    assert_eq!(reason(close), "ROLE_REQUIRED");
    // Creating a fund needs an admin of its organisation.
    let create = asker
        .create_fund(pb::CreateFundRequest {
            request_id: "asker-fund".into(),
            name: "自设基金".into(),
            purpose: pb::Purpose::General as i32,
            organisation_id: "beiao-street".into(),
        })
        .await;
    assert_eq!(reason(create), "ROLE_REQUIRED");
    // The role held above the fund's organisation counts.
    let mut head = FundsServiceClient::new(
        app.as_principal("civil-head", &["grant_approver@civil-affairs"])
            .await,
    );
    let approved = head.approve_grant(approve).await.unwrap().into_inner();
    assert_eq!(approved.status, pb::GrantStatus::Approved as i32);
    let paid = head
        .disburse_grant(pb::DisburseGrantRequest { id: grant.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status, pb::GrantStatus::Disbursed as i32);
    app.stop().await;
}
