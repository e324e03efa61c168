use prost::Message as _;
use sqlx::Row;
use tonic::Code;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::review_need_request::Decision;

use crate::helpers::{spawn_app, violated_fields};

fn need(request_id: &str) -> pb::SubmitNeedRequest {
    pb::SubmitNeedRequest {
        request_id: request_id.into(),
        channel: pb::Channel::Visit as i32,
        community_id: "shuangzhu".into(),
        description: "The lane to the ferry has no lights".into(),
        suggested_category: pb::Category::Infrastructure as i32,
        contact: Some(pb::Contact {
            name: "陈阿婆".into(),
            phone: "13912345678".into(),
        }),
    }
}

#[tokio::test]
async fn a_need_keeps_its_contact_sealed_and_shows_it_masked() {
    let mut app = spawn_app().await;
    let submitted = app
        .client
        .submit_need(need("n-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.status, pb::NeedStatus::Submitted as i32);
    assert_eq!(submitted.contact_masked, "陈** · 139****5678");
    let again = app
        .client
        .submit_need(need("n-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.id, submitted.id);
    assert_eq!(app.count("needs").await, 1);

    let row = sqlx::query("SELECT contact_sealed FROM needs")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let sealed: String = row.get("contact_sealed");
    assert!(!sealed.contains("13912345678"));
    let opened = app.library_protector().open(&sealed).unwrap();
    assert!(opened.contains("13912345678"), "the key opens it");

    let payload = &app.payloads("projects.need_submitted.v1").await[0];
    let event = pb::NeedSubmitted::decode(payload.as_slice()).unwrap();
    assert!(event.has_contact);
    let raw = String::from_utf8_lossy(payload);
    assert!(
        !raw.contains("13912345678") && !raw.contains("陈阿婆"),
        "no personal data in events"
    );

    let mut bad = need("n-2");
    bad.channel = 0;
    bad.description = " ".into();
    bad.contact = Some(pb::Contact {
        name: String::new(),
        phone: "call me".into(),
    });
    let status = app.client.submit_need(bad.clone()).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["channel", "description"]);
    // A phone number's rule is code's, checked once the declared ones hold.
    bad.channel = pb::Channel::Visit as i32;
    bad.description = "楼道灯坏了".into();
    let status = app.client.submit_need(bad).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["contact.phone"]);
    app.stop().await;
}

#[tokio::test]
async fn needs_are_reviewed_once_each_in_four_ways() {
    let mut app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            app.client
                .submit_need(need(&format!("r-{i}")))
                .await
                .unwrap()
                .into_inner()
                .id,
        );
    }
    let review = |need_id: &str, decision: Decision| pb::ReviewNeedRequest {
        need_id: need_id.into(),
        decision: Some(decision),
    };

    let accepted = app
        .client
        .review_need(review(
            &ids[0],
            Decision::Accept(pb::AcceptNeed {
                title: "Lights on the ferry lane".into(),
                category: 0,
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, pb::NeedStatus::Accepted as i32);
    let project = app
        .client
        .get_project(pb::GetProjectRequest {
            id: accepted.project_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        project.category,
        pb::Category::Infrastructure as i32,
        "the need's suggestion"
    );
    assert_eq!(project.need_ids, [ids[0].clone()]);

    let attached = app
        .client
        .review_need(review(
            &ids[1],
            Decision::Attach(pb::AttachNeed {
                project_id: project.id.clone(),
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(attached.project_id, project.id);
    let duplicate = app
        .client
        .review_need(review(
            &ids[2],
            Decision::Duplicate(pb::MarkDuplicate {
                need_id: ids[1].clone(),
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(duplicate.duplicate_of, ids[1]);
    let declined = app
        .client
        .review_need(review(
            &ids[3],
            Decision::Decline(pb::DeclineNeed {
                reason: "outside the district".into(),
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(declined.decline_reason, "outside the district");

    let status = app
        .client
        .review_need(review(
            &ids[3],
            Decision::Decline(pb::DeclineNeed {
                reason: "again".into(),
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    let status = app
        .client
        .review_need(pb::ReviewNeedRequest {
            need_id: ids[0].clone(),
            decision: None,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["decision"]);

    let trace = app
        .client
        .trace_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let traced: Vec<&str> = trace.needs.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(traced, [ids[0].as_str(), ids[1].as_str()], "need → project");

    let submitted = app
        .client
        .list_needs(pb::ListNeedsRequest {
            status: pb::NeedStatus::Declined as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.needs.len(), 1);
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("need_reviewed.v1"))
            .count(),
        4
    );
    app.stop().await;
}

#[tokio::test]
async fn a_questionnaire_import_keeps_good_rows_reports_bad_ones_and_never_duplicates() {
    let mut app = spawn_app().await;
    let csv = "id,channel,community_id,description,suggested_category,contact_name,contact_phone\n\
               q-1,SURVEY,beiao,路灯坏了,INFRASTRUCTURE,王小明,13812345678\n\
               q-2,LETTER,beiao,x,,,\n\
               ,ONLINE,niaoyu,老人吃饭难,CONVENIENCE,,\n\
               q-4,VISIT,bad id,x,,,\n";
    let send = |data: &'static str| {
        let mut client = app.client.clone();
        async move {
            let chunks: Vec<pb::ImportNeedsChunk> = data
                .as_bytes()
                .chunks(17)
                .map(|c| pb::ImportNeedsChunk { data: c.to_vec() })
                .collect();
            client.import_needs(tokio_stream_iter(chunks)).await
        }
    };
    let report = send(csv).await.unwrap().into_inner();
    assert_eq!((report.imported, report.already_imported), (2, 0));
    let lines: Vec<i64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5]);
    let again = send(csv).await.unwrap().into_inner();
    assert_eq!(
        (again.imported, again.already_imported),
        (0, 2),
        "importing twice changes nothing"
    );
    assert_eq!(app.count("needs").await, 2);

    let status = send("name,phone\nx,y\n").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let stats = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let survey = stats
        .needs_by_channel
        .iter()
        .find(|c| c.key == "SURVEY")
        .unwrap()
        .count;
    assert_eq!(survey, 1);
    app.stop().await;
}

fn tokio_stream_iter(
    chunks: Vec<pb::ImportNeedsChunk>,
) -> impl tonic::IntoStreamingRequest<Message = pb::ImportNeedsChunk> {
    futures_util::stream::iter(chunks)
}
