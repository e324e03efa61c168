use sqlx::Row;
use tonic::Code;
use xingfu_proto::common::Date;
use xingfu_proto::funds as pb;

use xingfu_proto::funds::funds_service_client::FundsServiceClient;

use crate::helpers::{donation, spawn_app};

#[tokio::test]
async fn donations_get_gapless_receipts_and_retries_change_nothing() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("general", pb::Purpose::General).await;
    let first = app.donate("d-1", &fund.id, 10_000_00).await.unwrap();
    let second = app.donate("d-2", &fund.id, 5_000_00).await.unwrap();
    let year = first.receipt_number[..4].to_owned();
    assert_eq!(first.receipt_number, format!("{year}-000001"));
    assert_eq!(second.receipt_number, format!("{year}-000002"));
    assert_eq!(first.donor_display, "郑**", "a person's name is masked");

    let retry = app.donate("d-1", &fund.id, 10_000_00).await.unwrap();
    assert_eq!(retry, first, "a retry returns the first donation");
    let status = app.donate("d-1", &fund.id, 9_999_00).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    let third = app.donate("d-3", &fund.id, 1).await.unwrap();
    assert_eq!(
        third.receipt_number,
        format!("{year}-000003"),
        "refused and retried calls leave no gaps"
    );

    let read = app
        .client
        .get_fund(pb::GetFundRequest {
            id: fund.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.balance.unwrap().fen, 15_000_01);
    let sealed: String = sqlx::query("SELECT donor_sealed FROM donations WHERE id = $1")
        .bind(&first.id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("donor_sealed");
    assert!(!sealed.contains("郑海生"), "the name is sealed at rest");
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("donation_received.v1"))
            .count(),
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn a_refund_reverses_a_donation_once() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("refunds", pb::Purpose::General).await;
    let gift = app.donate("r-1", &fund.id, 2_000_00).await.unwrap();
    let refunded = app
        .client
        .refund_donation(pb::RefundDonationRequest {
            id: gift.id.clone(),
            reason: "paid twice by mistake".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(refunded.refunded);
    let read = app
        .client
        .get_fund(pb::GetFundRequest {
            id: fund.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (read.balance.unwrap().fen, read.raised.unwrap().fen),
        (0, 0)
    );
    let status = app
        .client
        .refund_donation(pb::RefundDonationRequest {
            id: gift.id.clone(),
            reason: "again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM journal_entries")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        entries, 4,
        "a refund adds reversing entries; nothing is edited"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_donations_are_refused_field_by_field_and_closed_months_stay_closed() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("checks", pb::Purpose::General).await;
    let mut bad = donation("", "not-a-fund", 0);
    bad.donor_kind = pb::DonorKind::Anonymous as i32;
    bad.channel = 0;
    let status = app.client.donate(bad.clone()).await.unwrap_err();
    // The rules the protos declare come first, every one at once ...
    let fields: Vec<String> = xingfu_testkit::violated_fields(&status);
    assert_eq!(
        fields,
        ["idempotency_key", "fund_id", "amount_fen", "channel"]
    );
    // ... then, with those kept, the rules only code can say: an anonymous gift names
    // no donor.
    bad.idempotency_key = "anonymous-with-a-name".into();
    bad.fund_id = fund.id.clone();
    bad.amount_fen = 100;
    bad.channel = pb::DonationChannel::Alipay as i32;
    let status = app.client.donate(bad).await.unwrap_err();
    assert_eq!(xingfu_testkit::violated_fields(&status), ["donor_name"]);

    let status = app
        .donate("nowhere", &uuid::Uuid::now_v7().to_string(), 100)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    app.client
        .close_period(pb::ClosePeriodRequest {
            period: "2026-01".into(),
        })
        .await
        .unwrap();
    let mut backdated = donation("late", &fund.id, 100);
    backdated.received_on = Some(Date {
        year: 2026,
        month: 1,
        day: 15,
    });
    let status = app.client.donate(backdated.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    backdated.received_on = Some(Date {
        year: 2026,
        month: 2,
        day: 1,
    });
    app.client.donate(backdated).await.unwrap();
    let mut future = donation("future", &fund.id, 100);
    future.received_on = Some(Date {
        year: 2099,
        month: 1,
        day: 1,
    });
    assert_eq!(
        app.client.donate(future).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let status = app
        .client
        .close_period(pb::ClosePeriodRequest {
            period: "2099-01".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "only past months close"
    );
    app.stop().await;
}

#[tokio::test]
async fn donations_list_by_fund_period_donor_and_channel_within_the_callers_boundary() {
    let mut app = spawn_app(3).await;
    app.directory(&[("beiao-street", None), ("education", None)])
        .await;
    let ours = app
        .owned_fund("beiao", pb::Purpose::ChildSupport, "beiao-street")
        .await;
    let theirs = app
        .owned_fund("school", pb::Purpose::ChildSupport, "education")
        .await;
    let received = |month: u32| {
        Some(Date {
            year: 2026,
            month: month as i32,
            day: 10,
        })
    };
    let mut gifts = Vec::new();
    for (n, month, kind, channel) in [
        (1, 3, pb::DonorKind::Person, pb::DonationChannel::WechatPay),
        (
            2,
            4,
            pb::DonorKind::Company,
            pb::DonationChannel::BankTransfer,
        ),
        (3, 5, pb::DonorKind::Person, pb::DonationChannel::Cash),
        (
            4,
            5,
            pb::DonorKind::Anonymous,
            pb::DonationChannel::WechatPay,
        ),
    ] {
        let mut request = donation(&format!("listed-{n}"), &ours.id, 100_00 * n);
        request.received_on = received(month);
        request.donor_kind = kind as i32;
        request.channel = channel as i32;
        if kind == pb::DonorKind::Anonymous {
            request.donor_name.clear();
        }
        gifts.push(app.client.donate(request).await.unwrap().into_inner());
    }
    app.donate("elsewhere", &theirs.id, 1_00).await.unwrap();
    let client = app.client.clone();
    let list = |request: pb::ListDonationsRequest| {
        let mut client = client.clone();
        async move {
            client
                .list_donations(request)
                .await
                .map(|r| r.into_inner().donations)
        }
    };
    let ids = |donations: Vec<pb::Donation>| -> Vec<String> {
        donations.into_iter().map(|d| d.id).collect()
    };

    // Every one, newest first; then each filter.
    let all = list(pb::ListDonationsRequest::default()).await.unwrap();
    assert_eq!(all.len(), 5);
    let of_ours = list(pb::ListDonationsRequest {
        fund_id: ours.id.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let expected: Vec<String> = gifts.iter().rev().map(|g| g.id.clone()).collect();
    assert_eq!(ids(of_ours), expected);
    let may = list(pb::ListDonationsRequest {
        fund_id: ours.id.clone(),
        from_period: "2026-04".into(),
        to_period: "2026-05".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(ids(may).len(), 3, "April and May");
    let persons = list(pb::ListDonationsRequest {
        fund_id: ours.id.clone(),
        donor_kind: pb::DonorKind::Person as i32,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        ids(persons.clone()),
        [gifts[2].id.clone(), gifts[0].id.clone()]
    );
    assert!(
        persons.iter().all(|d| d.donor_display == "郑**"),
        "a person's name stays masked in lists"
    );
    let wechat = list(pb::ListDonationsRequest {
        fund_id: ours.id.clone(),
        channel: pb::DonationChannel::WechatPay as i32,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(ids(wechat), [gifts[3].id.clone(), gifts[0].id.clone()]);

    // Pages of two walk the four without a gap or a repeat.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client
            .list_donations(pb::ListDonationsRequest {
                fund_id: ours.id.clone(),
                page: Some(xingfu_proto::common::PageRequest {
                    page_size: 2,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(ids(page.donations));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, expected);

    // Bad filters name their fields.
    let status = list(pb::ListDonationsRequest {
        fund_id: "nope".into(),
        from_period: "2026-13".into(),
        to_period: "2026-1".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(violated(&status), ["fund_id", "from_period", "to_period"]);
    let status = list(pb::ListDonationsRequest {
        from_period: "2026-05".into(),
        to_period: "2026-04".into(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(violated(&status), ["to_period"]);

    // A caller limited to the street sees its fund's donations only, and naming the
    // other organisation's fund shows nothing of it.
    let mut street = FundsServiceClient::new(
        app.as_limited(
            "street-clerk",
            &["grant_requester@beiao-street"],
            Some("beiao-street"),
        )
        .await,
    );
    let seen = street
        .list_donations(pb::ListDonationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .donations;
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|d| d.fund_id == ours.id));
    let hidden = street
        .list_donations(pb::ListDonationsRequest {
            fund_id: theirs.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .donations;
    assert!(hidden.is_empty(), "{hidden:?}");
    // Funds lie in no township: a caller limited to one lists no donation at all.
    let addr = app.suite.addr(xingfu_funds::NAME).unwrap();
    let township =
        xingfu_testkit::township_principal("town-clerk", &["grant_requester"], "北岙街道");
    let mut town = FundsServiceClient::new(xingfu_testkit::channel_as(addr, township).await);
    let seen = town
        .list_donations(pb::ListDonationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .donations;
    assert!(seen.is_empty(), "{seen:?}");
    app.stop().await;
}

/// The fields an INVALID_ARGUMENT names, in order.
fn violated(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    xingfu_testkit::violated_fields(status)
}
