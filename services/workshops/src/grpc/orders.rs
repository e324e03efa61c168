//! The order flow: requests parsed into the domain, answers built from it.

use crate::domain::orders::Reason;
use xingfu_platform::checked::{Line, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::workshops as pb;

use super::fields::optional_id;
use crate::access::Scope;
use crate::domain::orders::{NewOrder, Order, Take, Task};
use crate::ops::Workshops;

/// PlaceOrder.
pub(super) async fn place(
    workshops: &Workshops,
    r: pb::PlaceOrderRequest,
) -> Result<pb::Order, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let workshop = v.check(RecordId::parse(&r.workshop_id, "workshop_id"));
    let firm = v.check(Line::parse(&r.firm, "firm"));
    let product = v.check(Line::parse(&r.product, "product"));
    let (request_id, workshop_id, firm, product) =
        v.finish_with((request_id, workshop, firm, product))?;
    let order = workshops
        .place_order(NewOrder {
            request_id,
            workshop_id,
            firm,
            product,
            quantity: r.quantity,
            unit_pay_fen: r.unit_pay_fen,
        })
        .await?;
    Ok(order_to_proto(order))
}

/// GetOrder.
pub(super) async fn get(workshops: &Workshops, r: pb::GetOrderRequest) -> Result<pb::Order, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(order_to_proto(workshops.order(&id).await?))
}

/// ListOrders.
pub(super) async fn list(
    workshops: &Workshops,
    r: pb::ListOrdersRequest,
    scope: &Scope,
) -> Result<pb::ListOrdersResponse, Error> {
    let mut v = Violations::default();
    let workshop = optional_id(&r.workshop_id, "workshop_id", RecordId::parse, &mut v);
    v.finish()?;
    let key = format!(
        "{:?}/{}",
        workshop.as_ref().map(RecordId::as_str),
        r.open_only
    );
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let mut found = workshops
        .orders(
            workshop.as_ref(),
            r.open_only,
            scope,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |o| o.id.as_str());
    Ok(pb::ListOrdersResponse {
        orders: found.into_iter().map(order_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// DispatchTask.
pub(super) async fn dispatch(
    workshops: &Workshops,
    r: pb::DispatchTaskRequest,
) -> Result<pb::Task, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let order = v.check(RecordId::parse(&r.order_id, "order_id"));
    let (request_id, order) = v.finish_with((request_id, order))?;
    let task = workshops
        .dispatch_task(&request_id, &order, r.quantity)
        .await?;
    Ok(task_to_proto(task))
}

/// TakeTask.
pub(super) async fn take(workshops: &Workshops, r: pb::TakeTaskRequest) -> Result<pb::Take, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let task = v.check(RecordId::parse(&r.task_id, "task_id"));
    let worker = v.check(RecordId::parse(&r.worker_id, "worker_id"));
    let (request_id, task, worker) = v.finish_with((request_id, task, worker))?;
    let take = workshops
        .take_task(&request_id, &task, &worker, r.quantity)
        .await?;
    Ok(take_to_proto(take))
}

/// DeliverTake.
pub(super) async fn deliver(
    workshops: &Workshops,
    r: pb::DeliverTakeRequest,
) -> Result<pb::Take, Error> {
    let id = RecordId::parse(&r.take_id, "take_id")?;
    let take = workshops.deliver_take(&id, r.delivered).await?;
    Ok(take_to_proto(take))
}

/// CloseOrder.
pub(super) async fn close(
    workshops: &Workshops,
    r: pb::CloseOrderRequest,
) -> Result<pb::Order, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.order_id, "order_id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    Ok(order_to_proto(workshops.close_order(&id, &reason).await?))
}

/// RejectTake.
pub(super) async fn reject(
    workshops: &Workshops,
    r: pb::RejectTakeRequest,
) -> Result<pb::Take, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.take_id, "take_id"));
    let reason = v.check(Reason::parse(&r.reason, "reason"));
    let (id, reason) = v.finish_with((id, reason))?;
    Ok(take_to_proto(
        workshops.reject_take(&id, r.rejected, &reason).await?,
    ))
}

fn order_to_proto(o: Order) -> pb::Order {
    pb::Order {
        id: o.id.into_string(),
        workshop_id: o.workshop_id.into_string(),
        firm: o.firm.into_string(),
        product: o.product.into_string(),
        quantity: o.quantity,
        unit_pay: Some(Money::cny(o.unit_pay_fen)),
        dispatched: o.dispatched,
        delivered: o.delivered,
        tasks: o.tasks.into_iter().map(task_to_proto).collect(),
        create_time: Some(to_timestamp(o.created_at)),
        close_time: o.closed_at.map(to_timestamp),
        close_reason: o.close_reason.unwrap_or_default(),
    }
}

fn task_to_proto(t: Task) -> pb::Task {
    pb::Task {
        id: t.id.into_string(),
        order_id: t.order_id.into_string(),
        quantity: t.quantity,
        taken: t.taken,
        create_time: Some(to_timestamp(t.created_at)),
    }
}

fn take_to_proto(t: Take) -> pb::Take {
    pb::Take {
        id: t.id.into_string(),
        task_id: t.task_id.into_string(),
        worker_id: t.worker_id.into_string(),
        quantity: t.quantity,
        delivered: t.delivered.unwrap_or(0),
        pay: t.pay_fen.map(Money::cny),
        create_time: Some(to_timestamp(t.created_at)),
        deliver_time: t.delivered_at.map(to_timestamp),
        rejected: t.rejected.unwrap_or(0),
        reject_reason: t.reject_reason.unwrap_or_default(),
        reject_time: t.rejected_at.map(to_timestamp),
    }
}
