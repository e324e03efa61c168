use tonic::Code;
use xingfu_proto::common::PageRequest;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::TestEnv;

use crate::directory::fields;
use crate::helpers::{register, started, uuid_like};

fn rating(
    request_id: &str,
    volunteer_id: &str,
    period: &str,
    side: pb::EvaluationSide,
    score: i32,
) -> pb::RecordEvaluationRequest {
    pb::RecordEvaluationRequest {
        request_id: request_id.into(),
        volunteer_id: volunteer_id.into(),
        period: period.into(),
        side: side as i32,
        score,
        comment: "服务认真，群众满意".into(),
        evaluator: "beiao-party".into(),
    }
}

#[tokio::test]
async fn each_side_rates_once_a_quarter_and_the_two_combine() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let volunteer = register(&mut client, 1).await;
    use pb::EvaluationSide::{Home, Work};

    let status = client
        .record_evaluation(pb::RecordEvaluationRequest {
            period: "2026-Q5".into(),
            score: 6,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = fields(&status);
    for field in ["request_id", "volunteer_id", "side", "score"] {
        assert!(bad.contains(&field.to_owned()), "{field} in {bad:?}");
    }
    // A quarter's form is code's to check, once the declared rules hold.
    let status = client
        .record_evaluation(pb::RecordEvaluationRequest {
            ..rating("eval-bad-quarter", &volunteer, "2026-Q5", Home, 5)
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["period"]);
    // The evaluator is no request field to check: empty is the caller.
    assert!(!bad.contains(&"evaluator".to_owned()), "{bad:?}");
    assert_eq!(
        client
            .record_evaluation(rating("e-0", &uuid_like(), "2026-Q3", Work, 5))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition,
        "only registered volunteers are rated"
    );

    let work = client
        .record_evaluation(rating("e-1", &volunteer, "2026-Q3", Work, 5))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(work.score, 5);
    let retry = client
        .record_evaluation(rating("e-1", &volunteer, "2026-Q3", Work, 5))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, work, "a retry returns the first rating");
    assert_eq!(
        client
            .record_evaluation(rating("e-2", &volunteer, "2026-Q3", Work, 3))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "one rating per side per period"
    );
    assert_eq!(
        client
            .record_evaluation(rating("e-1", &volunteer, "2026-Q3", Home, 3))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "a request id cannot be reused"
    );

    let half = client
        .get_evaluation_result(pb::GetEvaluationResultRequest {
            volunteer_id: volunteer.clone(),
            period: "2026-Q3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(half.home.is_none());
    assert_eq!(half.grade, pb::EvaluationGrade::Unspecified as i32);
    client
        .record_evaluation(rating("e-3", &volunteer, "2026-Q3", Home, 4))
        .await
        .unwrap();
    let whole = client
        .get_evaluation_result(pb::GetEvaluationResultRequest {
            volunteer_id: volunteer.clone(),
            period: "2026-Q3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(whole.combined_score, 4.5);
    assert_eq!(whole.grade, pb::EvaluationGrade::Excellent as i32);

    // Two more quarters, one of them rated by one side only: history is newest first and
    // pages by period.
    client
        .record_evaluation(rating("e-4", &volunteer, "2026-Q4", Home, 2))
        .await
        .unwrap();
    client
        .record_evaluation(rating("e-5", &volunteer, "2026-Q2", Work, 3))
        .await
        .unwrap();
    client
        .record_evaluation(rating("e-6", &volunteer, "2026-Q2", Home, 3))
        .await
        .unwrap();
    let mut periods = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_evaluation_results(pb::ListEvaluationResultsRequest {
                volunteer_id: volunteer.clone(),
                page: Some(PageRequest {
                    page_size: 2,
                    page_token: token,
                }),
            })
            .await
            .unwrap()
            .into_inner();
        for result in page.results {
            periods.push((result.period, result.grade));
        }
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(
        periods,
        vec![
            (
                "2026-Q4".to_owned(),
                pb::EvaluationGrade::Unspecified as i32
            ),
            ("2026-Q3".to_owned(), pb::EvaluationGrade::Excellent as i32),
            ("2026-Q2".to_owned(), pb::EvaluationGrade::Pass as i32),
        ]
    );
    assert_eq!(
        client
            .get_evaluation_result(pb::GetEvaluationResultRequest {
                volunteer_id: uuid_like(),
                period: "2026-Q3".into(),
            })
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.evaluations, 5);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
