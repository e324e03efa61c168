use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_proto::common::Date;
use xingfu_proto::workshops as pb;
use xingfu_testkit::TestEnv;

use crate::helpers::{fields, id_number, open_workshop, precondition, started};

fn enrol(key: &str, workshop_id: &str, n: u32, baseline_fen: i64) -> pb::EnrolWorkerRequest {
    pb::EnrolWorkerRequest {
        request_id: key.into(),
        workshop_id: workshop_id.into(),
        name: format!("陈阿{n}"),
        phone: format!("1370000{n:04}"),
        id_number: id_number(n),
        background: "渔民".into(),
        baseline_monthly_income_fen: baseline_fen,
        joined_on: Some(Date {
            year: 2026,
            month: 1,
            day: 5,
        }),
    }
}

fn income(key: &str, worker_id: &str, month: &str, fen: i64) -> pb::RecordIncomeRequest {
    pb::RecordIncomeRequest {
        request_id: key.into(),
        worker_id: worker_id.into(),
        month: month.into(),
        amount_fen: fen,
        source: pb::IncomeSource::Wages as i32,
    }
}

#[tokio::test]
async fn workers_are_sealed_and_their_income_uplift_is_exact() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;

    let good = id_number(1);
    let wrong = if good.ends_with('0') { '1' } else { '0' };
    let status = client
        .enrol_worker(pb::EnrolWorkerRequest {
            phone: "12ab".into(),
            id_number: format!("{}{wrong}", &good[..17]),
            baseline_monthly_income_fen: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let bad = fields(&status);
    for field in [
        "request_id",
        "workshop_id",
        "name",
        "baseline_monthly_income_fen",
    ] {
        assert!(bad.contains(&field.to_owned()), "{field} in {bad:?}");
    }
    // Phone and ID number rules are code's, checked once the declared ones hold.
    let status = client
        .enrol_worker(pb::EnrolWorkerRequest {
            phone: "12ab".into(),
            id_number: format!("{}{wrong}", &good[..17]),
            ..enrol("e-bad", &workshop.id, 8, 1)
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["phone", "id_number"]);
    assert!(
        !status.message().contains("12ab") && !status.message().contains(&good[..17]),
        "violations never echo personal data"
    );

    let mut later = enrol("e-9", &workshop.id, 9, 1);
    later.joined_on = Some(Date {
        year: 2999,
        month: 1,
        day: 1,
    });
    let status = client.enrol_worker(later).await.unwrap_err();
    assert_eq!(
        fields(&status),
        vec!["joined_on"],
        "no joining in the future"
    );
    let fisher = client
        .enrol_worker(enrol("e-1", &workshop.id, 1, 300_000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fisher.name_masked, "陈**");
    assert_eq!(fisher.phone_masked, "137****0001");
    assert!(fisher.id_number_masked.contains("**********"));
    assert_eq!(fisher.birth_year, 1964);
    assert_eq!(
        client
            .enrol_worker(enrol("e-1", &workshop.id, 1, 300_000))
            .await
            .unwrap()
            .into_inner(),
        fisher,
        "a retry returns the first enrolment"
    );
    let status = client
        .enrol_worker(enrol("e-2", &workshop.id, 1, 300_000))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::AlreadyExists,
        "one enrolment per ID number"
    );
    let other = client
        .enrol_worker(enrol("e-3", &workshop.id, 2, 200_000))
        .await
        .unwrap()
        .into_inner();

    // The ex-fisherman: 3,000 yuan a month before, 7,600 and 7,800 after.
    client
        .record_income(income("i-1", &fisher.id, "2026-02", 760_000))
        .await
        .unwrap();
    client
        .record_income(income("i-2", &fisher.id, "2026-03", 700_000))
        .await
        .unwrap();
    let mut bonus = income("i-3", &fisher.id, "2026-03", 80_000);
    bonus.source = pb::IncomeSource::Dividend as i32;
    client.record_income(bonus.clone()).await.unwrap();
    client.record_income(bonus.clone()).await.unwrap();
    bonus.amount_fen = 90_000;
    assert_eq!(
        client.record_income(bonus).await.unwrap_err().code(),
        Code::AlreadyExists,
        "a request id cannot be reused"
    );
    client
        .record_income(income("i-4", &other.id, "2026-02", 450_000))
        .await
        .unwrap();
    let status = client
        .record_income(income("i-5", &fisher.id, "2025-12", 1))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "BEFORE_JOINING");
    let status = client
        .record_income(income("take:x", &fisher.id, "2026-13", 0))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["month", "amount_fen"]);
    // The reserved `take:` prefix is code's rule, once the declared ones hold.
    let status = client
        .record_income(income("take:x", &fisher.id, "2026-03", 1))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["request_id"]);

    let year = client
        .get_worker_income(pb::GetWorkerIncomeRequest {
            worker_id: fisher.id.clone(),
            year: 2026,
        })
        .await
        .unwrap()
        .into_inner();
    let months: Vec<(String, i64, i64)> = year
        .months
        .iter()
        .map(|m| {
            (
                m.month.clone(),
                m.income.as_ref().unwrap().fen,
                m.uplift.as_ref().unwrap().fen,
            )
        })
        .collect();
    assert_eq!(
        months,
        [
            ("2026-02".to_owned(), 760_000, 460_000),
            ("2026-03".to_owned(), 780_000, 480_000)
        ]
    );
    assert_eq!(year.annual_income.unwrap().fen, 1_540_000);
    assert_eq!(year.average_monthly_uplift.unwrap().fen, 470_000);

    let shop = client
        .get_workshop_income(pb::GetWorkshopIncomeRequest {
            workshop_id: workshop.id.clone(),
            year: 2026,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((shop.beneficiaries, shop.earning_workers), (2, 2));
    assert_eq!(shop.total_income.unwrap().fen, 1_990_000);
    // (470,000 + 250,000) / 2
    assert_eq!(shop.average_monthly_uplift.unwrap().fen, 360_000);
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.beneficiaries, 2);
    assert_eq!(stats.average_monthly_uplift.unwrap().fen, 360_000);
    assert_eq!(stats.total_income.unwrap().fen, 1_990_000);

    // Personal data rests sealed: the clear values are in no row and no event.
    let db = Database::open(&env.settings, xingfu_workshops::NAME)
        .await
        .unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT name_sealed || phone_sealed || id_number_sealed, name_masked, \
         id_number_digest FROM workers",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let outbox: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM outbox")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for secret in ["陈阿1", "13700000001", id_number(1).as_str()] {
        for (sealed, masked, digest) in &rows {
            assert!(
                !sealed.contains(secret) && !masked.contains(secret) && !digest.contains(secret)
            );
        }
        for payload in &outbox {
            assert!(
                !payload
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes())
            );
        }
    }
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
