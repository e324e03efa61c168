//! Orders close and delivered units are refused on quality (issue 19): no more work from
//! a closed order, and a refusal takes the pay back from the month it was paid in.

use tonic::Code;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::TestEnv;

use crate::helpers::{Client, fields, id_number, open_workshop, precondition, started_at};

async fn worker(client: &mut Client, workshop_id: &str) -> String {
    client
        .enrol_worker(pb::EnrolWorkerRequest {
            request_id: format!("enrol-{workshop_id}"),
            workshop_id: workshop_id.into(),
            name: "林海".into(),
            phone: "13600000001".into(),
            id_number: id_number(101),
            background: String::new(),
            baseline_monthly_income_fen: 200_000,
            joined_on: None,
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// An order of 100 units at 250 fen, a task of 40, and `worker`'s take of 30, delivered.
async fn delivered(client: &mut Client, workshop_id: &str, worker: &str) -> (pb::Order, pb::Take) {
    let order = client
        .place_order(pb::PlaceOrderRequest {
            request_id: "o-1".into(),
            workshop_id: workshop_id.into(),
            firm: "洞头海产有限公司".into(),
            product: "大黄鱼鲞".into(),
            quantity: 100,
            unit_pay_fen: 250,
        })
        .await
        .unwrap()
        .into_inner();
    let task = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "t-1".into(),
            order_id: order.id.clone(),
            quantity: 40,
        })
        .await
        .unwrap()
        .into_inner();
    let take = client
        .take_task(pb::TakeTaskRequest {
            request_id: "k-1".into(),
            task_id: task.id.clone(),
            worker_id: worker.into(),
            quantity: 30,
        })
        .await
        .unwrap()
        .into_inner();
    let take = client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: take.id,
            delivered: 30,
        })
        .await
        .unwrap()
        .into_inner();
    (order, take)
}

fn reject(take_id: &str, rejected: i64) -> pb::RejectTakeRequest {
    pb::RejectTakeRequest {
        take_id: take_id.into(),
        rejected,
        reason: "鱼鲞含水量超标".into(),
    }
}

async fn income(client: &mut Client, worker: &str) -> i64 {
    client
        .get_worker_income(pb::GetWorkerIncomeRequest {
            worker_id: worker.into(),
            year: xingfu_platform::date::Date::today().year,
        })
        .await
        .unwrap()
        .into_inner()
        .annual_income
        .unwrap()
        .fen
}

#[tokio::test]
async fn refused_units_take_their_pay_back_and_return_to_the_task() {
    let env = TestEnv::new();
    let (mut client, suite, addr) = started_at(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let w = worker(&mut client, &workshop.id).await;
    let (order, take) = delivered(&mut client, &workshop.id, &w).await;
    assert_eq!(income(&mut client, &w).await, 7_500);

    // Only a commissioner (or an administrator) refuses, and only what was delivered.
    let clerk = xingfu_testkit::principal("clerk", &["evaluator@agri-bureau"], Some("agri-bureau"));
    let mut clerk = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, clerk).await);
    let status = clerk.reject_take(reject(&take.id, 10)).await.unwrap_err();
    assert_eq!(xingfu_testkit::denial_reason(&status), "ROLE_REQUIRED");
    let status = client.reject_take(reject(&take.id, 31)).await.unwrap_err();
    assert_eq!(fields(&status), ["rejected"]);
    let status = client
        .reject_take(pb::RejectTakeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["take_id", "rejected", "reason"]);

    let refused = client
        .reject_take(reject(&take.id, 10))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (refused.rejected, refused.pay.as_ref().unwrap().fen),
        (10, 5_000)
    );
    assert!(refused.reject_time.is_some());
    assert_eq!(
        income(&mut client, &w).await,
        5_000,
        "the pay for 10 units is taken back"
    );
    let again = client
        .reject_take(reject(&take.id, 10))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, refused, "the same refusal again changes nothing");
    let status = client.reject_take(reject(&take.id, 5)).await.unwrap_err();
    assert_eq!(precondition(&status), "TAKE_REJECTED");
    assert_eq!(income(&mut client, &w).await, 5_000);

    let now = client
        .get_order(pb::GetOrderRequest {
            id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.delivered, 20, "refused units are not delivered");
    assert_eq!(now.tasks[0].taken, 20, "they are the task's to take again");
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.units_delivered, 20);

    // A take not delivered yet has nothing to refuse.
    let pending = client
        .take_task(pb::TakeTaskRequest {
            request_id: "k-2".into(),
            task_id: now.tasks[0].id.clone(),
            worker_id: w.clone(),
            quantity: 5,
        })
        .await
        .unwrap()
        .into_inner();
    let status = client
        .reject_take(reject(&pending.id, 1))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "TAKE_NOT_DELIVERED");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_closed_order_takes_no_more_work_but_what_is_in_hand_is_paid() {
    let env = TestEnv::new();
    let (mut client, suite, addr) = started_at(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let w = worker(&mut client, &workshop.id).await;
    let (order, _) = delivered(&mut client, &workshop.id, &w).await;
    let task = order_tasks(&mut client, &order.id).await.remove(0);
    let in_hand = client
        .take_task(pb::TakeTaskRequest {
            request_id: "k-2".into(),
            task_id: task.clone(),
            worker_id: w.clone(),
            quantity: 5,
        })
        .await
        .unwrap()
        .into_inner();

    // Another organisation's commissioner cannot find it to close it.
    let other = xingfu_testkit::principal("edu", &["commissioner@education"], Some("education"));
    let mut other = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, other).await);
    let close = pb::CloseOrderRequest {
        order_id: order.id.clone(),
        reason: "企业停产".into(),
    };
    let status = other.close_order(close.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let closed = client
        .close_order(close.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(closed.close_time.is_some());
    assert_eq!(closed.close_reason, "企业停产");
    assert_eq!(
        client.close_order(close).await.unwrap().into_inner(),
        closed
    );
    let status = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "t-2".into(),
            order_id: order.id.clone(),
            quantity: 10,
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ORDER_CLOSED");
    let status = client
        .take_task(pb::TakeTaskRequest {
            request_id: "k-3".into(),
            task_id: task.clone(),
            worker_id: w.clone(),
            quantity: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ORDER_CLOSED");
    let paid = client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: in_hand.id,
            delivered: 5,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.pay.unwrap().fen, 1_250, "work in hand is paid");
    let open = client
        .list_orders(pb::ListOrdersRequest {
            open_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(open.is_empty(), "a closed order is not open");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

async fn order_tasks(client: &mut Client, order_id: &str) -> Vec<String> {
    client
        .get_order(pb::GetOrderRequest {
            id: order_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .tasks
        .into_iter()
        .map(|t| t.id)
        .collect()
}
