use tonic::Code;
use tonic_types::StatusExt as _;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::TestEnv;

use crate::directory::fields;
use crate::helpers::{register, started, uuid_like};

fn wish(request_id: &str) -> pb::PostWishRequest {
    pb::PostWishRequest {
        request_id: request_id.into(),
        child_alias: "小宇".into(),
        age_band: pb::AgeBand::AgeBand6To11 as i32,
        community_id: "beiao-xiaoqu".into(),
        wish: "一套水彩笔".into(),
    }
}

#[tokio::test]
async fn a_wish_is_adopted_by_exactly_one_of_many_concurrent_volunteers() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let posted = client.post_wish(wish("w-1")).await.unwrap().into_inner();
    let mut volunteers = Vec::new();
    for n in 0..10 {
        volunteers.push(register(&mut client, n).await);
    }
    let attempts = volunteers.iter().map(|id| {
        let mut client = client.clone();
        let request = pb::AdoptWishRequest {
            wish_id: posted.id.clone(),
            volunteer_id: id.clone(),
        };
        async move { client.adopt_wish(request).await }
    });
    let outcomes = futures_util::future::join_all(attempts).await;
    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one adoption wins");
    let adopter = winners[0].get_ref().adopter_id.clone();
    for lost in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(lost.code(), Code::FailedPrecondition, "{lost:?}");
        let details = lost.get_error_details();
        let violation = &details.precondition_failure().unwrap().violations[0];
        assert_eq!(violation.r#type, "WISH_TAKEN");
    }
    let again = client
        .adopt_wish(pb::AdoptWishRequest {
            wish_id: posted.id.clone(),
            volunteer_id: adopter.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.status, pb::WishStatus::Adopted as i32);
    assert_eq!(
        again.adopter_id, adopter,
        "the adopter asking again changes nothing"
    );
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.wishes_posted, stats.wishes_adopted), (1, 1));
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn wishes_are_checked_fulfilled_by_their_adopter_or_cancelled() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let status = client
        .post_wish(pb::PostWishRequest {
            child_alias: "一个比十个字还要长的孩子全名字".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = fields(&status);
    for field in [
        "request_id",
        "child_alias",
        "age_band",
        "community_id",
        "wish",
    ] {
        assert!(bad.contains(&field.to_owned()), "{field} in {bad:?}");
    }
    let mut elsewhere = wish("w-0");
    elsewhere.community_id = "nowhere".into();
    assert_eq!(
        client.post_wish(elsewhere).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let first = client.post_wish(wish("w-1")).await.unwrap().into_inner();
    assert_eq!(first.status, pb::WishStatus::Open as i32);
    assert_eq!(
        client.post_wish(wish("w-1")).await.unwrap().into_inner(),
        first,
        "a retry returns the wish posted first"
    );
    let mut other = wish("w-1");
    other.wish = "一个书包".into();
    assert_eq!(
        client.post_wish(other).await.unwrap_err().code(),
        Code::AlreadyExists
    );

    let fulfil = |id: &str| pb::FulfilWishRequest {
        wish_id: id.into(),
        note: "已送到小宇手中".into(),
    };
    let status = client.fulfil_wish(fulfil(&first.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "not adopted yet");
    let mut silent = fulfil(&first.id);
    silent.note = "  ".into();
    let status = client.fulfil_wish(silent).await.unwrap_err();
    assert_eq!(
        fields(&status),
        vec!["note"],
        "a fulfilment says what was done"
    );
    let volunteer = register(&mut client, 1).await;
    client
        .adopt_wish(pb::AdoptWishRequest {
            wish_id: first.id.clone(),
            volunteer_id: volunteer.clone(),
        })
        .await
        .unwrap();
    let done = client
        .fulfil_wish(fulfil(&first.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status, pb::WishStatus::Fulfilled as i32);
    assert!(done.close_time.is_some());
    assert_eq!(
        client
            .fulfil_wish(fulfil(&first.id))
            .await
            .unwrap()
            .into_inner(),
        done,
        "fulfilling again changes nothing"
    );
    let cancel = |id: &str| pb::CancelWishRequest {
        wish_id: id.into(),
        reason: "孩子已随父母返城".into(),
    };
    assert_eq!(
        client
            .cancel_wish(cancel(&first.id))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition,
        "a fulfilled wish cannot be cancelled"
    );

    let second = client.post_wish(wish("w-2")).await.unwrap().into_inner();
    let cancelled = client
        .cancel_wish(cancel(&second.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::WishStatus::Cancelled as i32);
    assert_eq!(cancelled.cancel_reason, "孩子已随父母返城");
    assert_eq!(
        client
            .adopt_wish(pb::AdoptWishRequest {
                wish_id: second.id.clone(),
                volunteer_id: volunteer.clone(),
            })
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition,
        "a cancelled wish cannot be adopted"
    );
    assert_eq!(
        client
            .get_wish(pb::GetWishRequest { id: uuid_like() })
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let fulfilled = client
        .list_wishes(pb::ListWishesRequest {
            community_id: "beiao-xiaoqu".into(),
            status: pb::WishStatus::Fulfilled as i32,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .wishes;
    assert_eq!(fulfilled.len(), 1);
    assert_eq!(fulfilled[0].id, first.id);
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stats.wishes_posted,
            stats.wishes_adopted,
            stats.wishes_fulfilled
        ),
        (2, 1, 1)
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
