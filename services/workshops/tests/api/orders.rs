use tonic::Code;
use xingfu_proto::workshops as pb;
use xingfu_testkit::TestEnv;

use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;

use crate::helpers::{Client, fields, id_number, open_workshop, precondition, started, started_at};

async fn workers(client: &mut Client, workshop_id: &str, n: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let worker = client
            .enrol_worker(pb::EnrolWorkerRequest {
                request_id: format!("enrol-{workshop_id}-{i}"),
                workshop_id: workshop_id.into(),
                name: format!("林{i}"),
                phone: format!("1360000{i:04}"),
                id_number: id_number(100 + i),
                background: String::new(),
                baseline_monthly_income_fen: 200_000,
                joined_on: None,
            })
            .await
            .unwrap()
            .into_inner();
        ids.push(worker.id);
    }
    ids
}

fn order(key: &str, workshop_id: &str, quantity: i64) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        request_id: key.into(),
        workshop_id: workshop_id.into(),
        firm: "洞头海产有限公司".into(),
        product: "大黄鱼鲞".into(),
        quantity,
        unit_pay_fen: 250,
    }
}

#[tokio::test]
async fn concurrent_workers_never_take_more_than_a_task_holds() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let ids = workers(&mut client, &workshop.id, 10).await;
    let placed = client
        .place_order(order("o-1", &workshop.id, 100))
        .await
        .unwrap()
        .into_inner();
    let task = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "t-1".into(),
            order_id: placed.id.clone(),
            quantity: 20,
        })
        .await
        .unwrap()
        .into_inner();

    // Ten workers take 3 units each of a 20-unit task at once: six fit, four do not.
    let takes = ids.iter().enumerate().map(|(i, worker)| {
        let mut client = client.clone();
        let request = pb::TakeTaskRequest {
            request_id: format!("take-{i}"),
            task_id: task.id.clone(),
            worker_id: worker.clone(),
            quantity: 3,
        };
        async move { client.take_task(request).await }
    });
    let outcomes = futures_util::future::join_all(takes).await;
    let taken: i64 = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|t| t.get_ref().quantity)
        .sum();
    assert_eq!(taken, 18);
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert_eq!(precondition(refused), "QUANTITY_EXHAUSTED", "{refused:?}");
    }
    let order_now = client
        .get_order(pb::GetOrderRequest {
            id: placed.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        order_now.tasks[0].taken, 18,
        "the stored total is the sum of takes"
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn orders_split_into_tasks_and_delivered_takes_pay_their_workers() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let elsewhere = open_workshop(&mut client, "w-2").await;
    let ids = workers(&mut client, &workshop.id, 2).await;
    let stranger = workers(&mut client, &elsewhere.id, 1).await.remove(0);

    let status = client
        .place_order(pb::PlaceOrderRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        fields(&status),
        vec![
            "request_id",
            "workshop_id",
            "firm",
            "product",
            "quantity",
            "unit_pay_fen"
        ]
    );
    client
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: elsewhere.id.clone(),
            status: pb::WorkshopStatus::Suspended as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let status = client
        .place_order(order("o-0", &elsewhere.id, 10))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "WORKSHOP_NOT_OPEN");

    let placed = client
        .place_order(order("o-1", &workshop.id, 50))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        client
            .place_order(order("o-1", &workshop.id, 50))
            .await
            .unwrap()
            .into_inner(),
        placed
    );
    // A retry after the workshop was paused still answers as the first call did.
    client
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: workshop.id.clone(),
            status: pb::WorkshopStatus::Suspended as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let retried = client
        .place_order(order("o-1", &workshop.id, 50))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.id, placed.id);
    client
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: workshop.id.clone(),
            status: pb::WorkshopStatus::Open as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let dispatch = |key: &str, quantity| pb::DispatchTaskRequest {
        request_id: key.into(),
        order_id: placed.id.clone(),
        quantity,
    };
    let task = client
        .dispatch_task(dispatch("t-1", 30))
        .await
        .unwrap()
        .into_inner();
    let status = client.dispatch_task(dispatch("t-2", 21)).await.unwrap_err();
    assert_eq!(precondition(&status), "QUANTITY_EXHAUSTED", "30 + 21 > 50");
    client.dispatch_task(dispatch("t-2", 20)).await.unwrap();
    let again = client
        .dispatch_task(dispatch("t-2", 20))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.quantity, 20, "a retry does not dispatch twice");
    let order_now = client
        .get_order(pb::GetOrderRequest {
            id: placed.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((order_now.dispatched, order_now.tasks.len()), (50, 2));

    let take = |key: &str, worker: &str, quantity| pb::TakeTaskRequest {
        request_id: key.into(),
        task_id: task.id.clone(),
        worker_id: worker.into(),
        quantity,
    };
    let status = client
        .take_task(take("k-0", &stranger, 1))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "WORKER_ELSEWHERE");
    let first = client
        .take_task(take("k-1", &ids[0], 12))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        client
            .take_task(take("k-1", &ids[0], 12))
            .await
            .unwrap()
            .into_inner(),
        first,
        "a retry takes nothing more"
    );
    assert_eq!(
        client
            .take_task(take("k-1", &ids[1], 12))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    let status = client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: first.id.clone(),
            delivered: 13,
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["delivered"], "no more than taken");
    let delivered = client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: first.id.clone(),
            delivered: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(delivered.pay.as_ref().unwrap().fen, 2_500);
    let again = client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: first.id.clone(),
            delivered: 10,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, delivered, "delivering again pays nothing more");

    let year = xingfu_platform::date::Date::today().year;
    let income = client
        .get_worker_income(pb::GetWorkerIncomeRequest {
            worker_id: ids[0].clone(),
            year,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        income.annual_income.unwrap().fen,
        2_500,
        "piecework is income"
    );
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.orders, stats.units_delivered), (1, 10));
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn orders_list_by_workshop_and_open_units_within_the_callers_boundary() {
    let env = TestEnv::new();
    let (mut client, suite, addr) = started_at(&env).await;
    let first = open_workshop(&mut client, "list-1").await;
    let second = open_workshop(&mut client, "list-2").await;
    let mut placed = Vec::new();
    for (key, workshop, quantity) in [("a", &first, 5), ("b", &first, 50), ("c", &second, 8)] {
        let order = client
            .place_order(order(&format!("list-{key}"), &workshop.id, quantity))
            .await
            .unwrap()
            .into_inner();
        placed.push(order.id);
    }
    // The first order is delivered in full: no units open.
    let worker = workers(&mut client, &first.id, 1).await.remove(0);
    let task = client
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "list-task".into(),
            order_id: placed[0].clone(),
            quantity: 5,
        })
        .await
        .unwrap()
        .into_inner();
    let take = client
        .take_task(pb::TakeTaskRequest {
            request_id: "list-take".into(),
            task_id: task.id,
            worker_id: worker,
            quantity: 5,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .deliver_take(pb::DeliverTakeRequest {
            take_id: take.id,
            delivered: 5,
        })
        .await
        .unwrap();

    let list = |client: &Client, request: pb::ListOrdersRequest| {
        let mut client = client.clone();
        async move {
            client.list_orders(request).await.map(|r| {
                r.into_inner()
                    .orders
                    .into_iter()
                    .map(|o| o.id)
                    .collect::<Vec<_>>()
            })
        }
    };
    let newest_first: Vec<String> = placed.iter().rev().cloned().collect();
    assert_eq!(
        list(&client, pb::ListOrdersRequest::default())
            .await
            .unwrap(),
        newest_first
    );
    let of_first = pb::ListOrdersRequest {
        workshop_id: first.id.clone(),
        ..Default::default()
    };
    assert_eq!(
        list(&client, of_first.clone()).await.unwrap(),
        [placed[1].clone(), placed[0].clone()]
    );
    let open = pb::ListOrdersRequest {
        open_only: true,
        ..Default::default()
    };
    assert_eq!(
        list(&client, open).await.unwrap(),
        [placed[2].clone(), placed[1].clone()]
    );
    // Pages of one walk them all.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_orders(pb::ListOrdersRequest {
                page: Some(xingfu_proto::common::PageRequest {
                    page_size: 1,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.orders.into_iter().map(|o| o.id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, newest_first);
    let status = list(
        &client,
        pb::ListOrdersRequest {
            workshop_id: "x".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(&status), ["workshop_id"]);

    // The workshops' department's own see them; another organisation's clerk, even naming
    // the workshop, sees none.
    let ours = xingfu_testkit::principal(
        "agri-clerk",
        &["commissioner@agri-bureau"],
        Some("agri-bureau"),
    );
    let ours = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, ours).await);
    assert_eq!(
        list(&ours, pb::ListOrdersRequest::default())
            .await
            .unwrap()
            .len(),
        3
    );
    let other =
        xingfu_testkit::principal("edu-clerk", &["commissioner@education"], Some("education"));
    let other = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, other).await);
    assert!(
        list(&other, pb::ListOrdersRequest::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(list(&other, of_first).await.unwrap().is_empty());
    // A township caller sees the orders of workshops located in its township only; these
    // lie where the directory does not yet place their community, so in none.
    let town = xingfu_testkit::township_principal("town-clerk", &["commissioner"], "元觉街道");
    let town = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, town).await);
    assert!(
        list(&town, pb::ListOrdersRequest::default())
            .await
            .unwrap()
            .is_empty()
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
