//! The two-place evaluation's calls: requests parsed into the domain, answers built
//! from it.

use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::domain::evaluations::{
    Comment, Evaluation, EvaluationResult, Grade, NewEvaluation, Side, parse_period,
};
use crate::ops::Volunteers;

enum_map!(side_to_proto, side_from_proto, Side, pb::EvaluationSide, "evaluation side", {
    Work <=> Work,
    Home <=> Home,
});

enum_map!(grade_to_proto, grade_from_proto, Grade, pb::EvaluationGrade, "evaluation grade", {
    Excellent <=> Excellent,
    Good <=> Good,
    Pass <=> Pass,
    Fail <=> Fail,
});

/// RecordEvaluation: the evaluator is the caller (or whom a delegate names), never
/// the field's word.
pub(super) async fn record_evaluation(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::RecordEvaluationRequest,
) -> Result<pb::Evaluation, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let volunteer_id = v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"));
    let period = v.check(parse_period(&r.period, "period"));
    let side = v.check(validate::required(side_from_proto(r.side, "side"), "side"));
    let comment = v.check(Comment::parse(&r.comment, "comment"));
    let (request_id, volunteer_id, period, side, comment) =
        v.finish_with((request_id, volunteer_id, period, side, comment))?;
    let evaluator = caller.actor("evaluator", &r.evaluator)?.id;
    let new = NewEvaluation {
        request_id,
        volunteer_id,
        period,
        side,
        score: i64::from(r.score),
        comment,
        evaluator,
    };
    Ok(evaluation_to_proto(
        volunteers.record_evaluation(caller, new).await?,
    ))
}

/// GetEvaluationResult.
pub(super) async fn get_evaluation_result(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::GetEvaluationResultRequest,
) -> Result<pb::EvaluationResult, Error> {
    let mut v = Violations::default();
    let volunteer_id = v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"));
    let period = v.check(parse_period(&r.period, "period"));
    let (volunteer_id, period) = v.finish_with((volunteer_id, period))?;
    let result = volunteers
        .evaluation_result(caller, &volunteer_id, &period)
        .await?;
    Ok(result_to_proto(result))
}

/// ListEvaluationResults: a volunteer's results, newest period first.
pub(super) async fn list_evaluation_results(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListEvaluationResultsRequest,
) -> Result<pb::ListEvaluationResultsResponse, Error> {
    let volunteer_id = RecordId::parse(&r.volunteer_id, "volunteer_id")?;
    let page = paging::parse(r.page.as_ref(), volunteer_id.as_str(), "page")?;
    let mut results = volunteers
        .evaluation_history(caller, &volunteer_id, page.after.as_deref(), page.size + 1)
        .await?;
    let next_page_token = paging::finish(&mut results, &page, volunteer_id.as_str(), |r| &r.period);
    Ok(pb::ListEvaluationResultsResponse {
        results: results.into_iter().map(result_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

fn evaluation_to_proto(e: Evaluation) -> pb::Evaluation {
    pb::Evaluation {
        volunteer_id: e.volunteer_id.into_string(),
        period: e.period,
        side: side_to_proto(e.side) as i32,
        score: i32::try_from(e.score).unwrap_or(0),
        comment: e.comment.into_string(),
        evaluator: e.evaluator,
        create_time: Some(to_timestamp(e.created_at)),
    }
}

fn result_to_proto(result: EvaluationResult) -> pb::EvaluationResult {
    let combined = result.combined();
    pb::EvaluationResult {
        volunteer_id: result.volunteer_id.into_string(),
        period: result.period,
        work: result.work.map(evaluation_to_proto),
        home: result.home.map(evaluation_to_proto),
        combined_score: combined.map_or(0.0, |(score, _)| score),
        grade: combined.map_or(0, |(_, grade)| grade_to_proto(grade) as i32),
    }
}
