//! The batch for the national volunteer information system (issue 19): an organisation's
//! records over a period in the documented layout, ID numbers in clear only for a caller
//! holding `pii:read`, and only the records inside a limited caller's boundary.

use tokio_stream::StreamExt as _;
use xingfu_platform::trust::Caller;
use xingfu_proto::common::Date;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{TestEnv, principal};

use crate::boundaries::{Client, client_as, enrol, enrolment, open_activity, place, serve, verify};
use crate::directory::fields;

/// The export's CSV, parsed: the header, then one row per record.
async fn export(client: &mut Client, organisation: &str, from: Date, to: Date) -> Vec<Vec<String>> {
    let mut stream = client
        .export_national_records(pb::ExportNationalRecordsRequest {
            organisation_id: organisation.into(),
            from: Some(from),
            to: Some(to),
        })
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    let mut first = true;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        if first {
            assert_eq!(chunk.content_type, "text/csv; charset=utf-8");
            first = false;
        }
        bytes.extend(chunk.data);
    }
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn day(year: i32, month: i32, day: i32) -> Date {
    Date { year, month, day }
}

#[tokio::test]
async fn an_organisations_records_for_a_period_go_out_in_the_national_layout() {
    let env = TestEnv::new();
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut admin = VolunteersServiceClient::new(xingfu_testkit::channel(addr).await);
    place(&mut admin, "a").await;
    place(&mut admin, "b").await;
    let v1 = enrol(&mut admin, 1, "org-a", "com-a").await;
    let v2 = enrol(&mut admin, 2, "org-a", "com-a").await;
    let vb = enrol(&mut admin, 3, "org-b", "com-b").await;
    let act_a = open_activity(&mut admin, "a").await;
    let act_b = open_activity(&mut admin, "b").await;
    for v in [&v1, &v2] {
        serve(&mut admin, &act_a, v).await;
    }
    serve(&mut admin, &act_b, &vb).await;
    admin.verify_hours(verify(&act_a, "")).await.unwrap();
    admin.verify_hours(verify(&act_b, "")).await.unwrap();

    // The helpers serve at START (2026-11-18 in the district): the month holds both of
    // org-a's records, the month before none.
    let rows = export(&mut admin, "org-a", day(2026, 11, 1), day(2026, 11, 30)).await;
    assert_eq!(rows[0][..4], ["记录编号", "姓名", "证件类型", "证件号码"]);
    assert_eq!(rows.len(), 3, "a header and org-a's two records: {rows:?}");
    let clear = enrolment(1, "org-a", "com-a").id_number;
    let mine = rows
        .iter()
        .find(|r| r[3] == clear)
        .expect("the admin holds pii:read");
    assert_eq!(mine[1], "志愿者1");
    assert_eq!(
        (mine[2].as_str(), mine[4].as_str(), mine[5].as_str()),
        ("居民身份证", "org-a", "机关a")
    );
    assert_eq!((mine[8].as_str(), mine[12].as_str()), ("社区a", "1.00"));
    assert_eq!(
        (mine[9].as_str(), mine[10].as_str(), mine[11].as_str()),
        ("2026-11-18", "19:06", "20:06")
    );
    assert!(
        export(&mut admin, "org-a", day(2026, 10, 1), day(2026, 10, 31))
            .await
            .len()
            == 1
    );

    // Without pii:read, names and ID numbers are masked.
    let reader = Caller {
        scopes: ["volunteers:read".to_owned()].into(),
        ..principal("reader", &[], None)
    };
    let masked = export(
        &mut client_as(addr, reader).await,
        "org-a",
        day(2026, 11, 1),
        day(2026, 11, 30),
    )
    .await;
    assert_eq!(masked.len(), 3);
    for row in &masked[1..] {
        assert!(
            !row[3].is_empty() && row[3].contains('*') && row[3] != clear,
            "{row:?}"
        );
        assert!(row[1].contains('*'), "{row:?}");
    }

    // A caller limited to org-b gets none of org-a's records, by naming org-a or not.
    let bob = principal("bob", &[], Some("org-b"));
    let mut bob = client_as(addr, bob).await;
    assert_eq!(
        export(&mut bob, "org-a", day(2026, 11, 1), day(2026, 11, 30))
            .await
            .len(),
        1
    );
    assert_eq!(
        export(&mut bob, "org-b", day(2026, 11, 1), day(2026, 11, 30))
            .await
            .len(),
        2
    );

    // Bad input: a period backwards, an organisation not in the directory.
    let status = admin
        .export_national_records(pb::ExportNationalRecordsRequest {
            organisation_id: "org-a".into(),
            from: Some(day(2026, 11, 30)),
            to: Some(day(2026, 11, 1)),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["to"]);
    let status = admin
        .export_national_records(pb::ExportNationalRecordsRequest {
            organisation_id: "org-z".into(),
            from: Some(day(2026, 11, 1)),
            to: Some(day(2026, 11, 30)),
        })
        .await
        .unwrap_err();
    assert_eq!(
        crate::boundaries::precondition(&status),
        "ORGANISATION_UNKNOWN"
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
