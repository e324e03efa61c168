//! The order flow: a firm's order (企业送单), split into tasks (工坊派单), taken in parts by
//! workers (农户接单) and delivered for pay that becomes their income.

use xingfu_platform::Error;
use xingfu_platform::checked::{RecordId, RequestId};
use xingfu_platform::date::Date;
use xingfu_platform::time::now_micros;
use xingfu_proto::workshops as pb;

use super::workers::{piecework, worker};
use super::{Workshops, events, workshop};
use crate::access::Scope;
use crate::domain::orders::{NewOrder, Order, Reason, Take, Task, pay};
use crate::domain::workers::{IncomeSource, NewIncome};
use crate::domain::workshops::WorkshopStatus;
use crate::storage::orders as store;
use crate::storage::{COUNTERS, Keyed};

impl Workshops {
    /// A firm places an order with an open workshop; a retry returns the first.
    pub async fn place_order(&self, new: NewOrder) -> Result<Order, Error> {
        let mut tx = self.db.begin().await?;
        // A retry answers as the first call did, whatever has happened since.
        if let Some((order, used)) = store::by_request(&mut tx, &new.request_id).await? {
            tx.rollback().await?;
            return if used == new.fingerprint() {
                Ok(order)
            } else {
                Err(Error::reused_key(
                    "order request",
                    new.request_id.as_str(),
                    "order",
                ))
            };
        }
        let at = workshop(&mut tx, &new.workshop_id).await?;
        if at.status != WorkshopStatus::Open {
            return Err(Error::precondition(
                "WORKSHOP_NOT_OPEN",
                format!("workshops/{}", at.id),
                format!("the workshop is {}", at.status.as_str()),
            ));
        }
        let id = RecordId::generate();
        match store::insert(&mut tx, &id, &new, now_micros()).await? {
            Keyed::New(order) => {
                let event = pb::OrderPlaced::from(&order);
                self.outbox
                    .enqueue(&mut tx, order.id.as_str(), &event)
                    .await?;
                COUNTERS.bump(&mut tx, "orders", "all", 1).await?;
                self.outbox.commit(tx).await?;
                Ok(order)
            }
            Keyed::Existing(order, fingerprint) if fingerprint == new.fingerprint() => {
                tx.rollback().await?;
                Ok(order)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "order request",
                new.request_id.as_str(),
                "order",
            )),
        }
    }

    /// The order `id` with its tasks.
    pub async fn order(&self, id: &RecordId) -> Result<Order, Error> {
        let mut conn = self.db.pool().acquire().await?;
        order(&mut conn, id).await
    }

    /// A page of orders inside `scope`, newest first after `after`, without their tasks.
    pub async fn orders(
        &self,
        workshop_id: Option<&RecordId>,
        open_only: bool,
        scope: &Scope,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Order>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::list(&mut conn, workshop_id, open_only, scope, after, limit).await?)
    }

    /// Splits `quantity` units of an order into a task; a retry returns the first.
    pub async fn dispatch_task(
        &self,
        request_id: &RequestId,
        order_id: &RecordId,
        quantity: i64,
    ) -> Result<Task, Error> {
        let fingerprint =
            xingfu_platform::validate::fingerprint([order_id.as_str(), &quantity.to_string()]);
        let mut tx = self.db.begin().await?;
        let placed = order(&mut tx, order_id).await?;
        require_open(&placed)?;
        let id = RecordId::generate();
        let task = store::insert_task(
            &mut tx,
            &id,
            request_id,
            &fingerprint,
            order_id,
            quantity,
            now_micros(),
        )
        .await?;
        match task {
            Keyed::New(task) => {
                if !store::dispatch(&mut tx, order_id, quantity).await? {
                    return Err(exhausted(
                        "orders",
                        order_id,
                        placed.quantity - placed.dispatched,
                    ));
                }
                let event = pb::TaskDispatched::from(&task);
                self.outbox
                    .enqueue(&mut tx, order_id.as_str(), &event)
                    .await?;
                self.outbox.commit(tx).await?;
                Ok(task)
            }
            Keyed::Existing(task, used) if used == fingerprint => {
                tx.rollback().await?;
                Ok(task)
            }
            Keyed::Existing(..) => Err(Error::reused_key(
                "task request",
                request_id.as_str(),
                "task",
            )),
        }
    }

    /// A worker of the order's workshop takes `quantity` units of a task; a retry returns
    /// the first take.
    pub async fn take_task(
        &self,
        request_id: &RequestId,
        task_id: &RecordId,
        worker_id: &RecordId,
        quantity: i64,
    ) -> Result<Take, Error> {
        let fingerprint = xingfu_platform::validate::fingerprint([
            task_id.as_str(),
            worker_id.as_str(),
            &quantity.to_string(),
        ]);
        let mut tx = self.db.begin().await?;
        if let Some((take, used)) = store::take_by_request(&mut tx, request_id).await? {
            tx.rollback().await?;
            return if used == fingerprint {
                Ok(take)
            } else {
                Err(Error::reused_key(
                    "take request",
                    request_id.as_str(),
                    "take",
                ))
            };
        }
        let task = store::task(&mut tx, task_id)
            .await?
            .ok_or_else(|| Error::not_found("task", task_id.as_str()))?;
        let placed = order(&mut tx, &task.order_id).await?;
        require_open(&placed)?;
        let taker = worker(&mut tx, worker_id).await?;
        if taker.workshop_id != placed.workshop_id {
            return Err(Error::precondition(
                "WORKER_ELSEWHERE",
                format!("workers/{worker_id}"),
                "the worker is enrolled at another workshop",
            ));
        }
        if !store::take_units(&mut tx, task_id, quantity).await? {
            let left = store::task(&mut tx, task_id)
                .await?
                .map_or(0, |t| t.quantity - t.taken);
            return Err(exhausted("tasks", task_id, left));
        }
        let take = Take {
            id: RecordId::generate(),
            task_id: task_id.clone(),
            worker_id: worker_id.clone(),
            quantity,
            delivered: None,
            pay_fen: None,
            created_at: now_micros(),
            delivered_at: None,
            rejected: None,
            reject_reason: None,
            rejected_at: None,
        };
        match store::insert_take(&mut tx, &take, request_id, &fingerprint).await {
            // The same key raced in from another call: it holds the units, this gives
            // them back by rolling back.
            Err(e) if xingfu_platform::db::is_unique_violation(&e) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                return match store::take_by_request(&mut conn, request_id).await? {
                    Some((take, used)) if used == fingerprint => Ok(take),
                    _ => Err(Error::reused_key(
                        "take request",
                        request_id.as_str(),
                        "take",
                    )),
                };
            }
            other => other?,
        }
        let event = pb::TaskTaken::from(&take);
        self.outbox
            .enqueue(&mut tx, task_id.as_str(), &event)
            .await?;
        self.outbox.commit(tx).await?;
        Ok(take)
    }

    /// The worker delivers `delivered` of the units they took: the pay becomes their
    /// income for this month. Delivering again changes nothing.
    pub async fn deliver_take(&self, take_id: &RecordId, delivered: i64) -> Result<Take, Error> {
        let mut tx = self.db.begin().await?;
        let current = take(&mut tx, take_id).await?;
        if current.delivered.is_some() {
            tx.rollback().await?;
            return Ok(current);
        }
        if delivered > current.quantity {
            return Err(Error::invalid(
                "delivered",
                format!("must be 0 to the {} units taken", current.quantity),
            ));
        }
        let task = store::task(&mut tx, &current.task_id)
            .await?
            .ok_or_else(|| Error::not_found("task", current.task_id.as_str()))?;
        let placed = order(&mut tx, &task.order_id).await?;
        let pay_fen = pay(delivered, placed.unit_pay_fen)
            .ok_or_else(|| Error::invalid("delivered", "the pay is too large"))?;
        let now = now_micros();
        if !store::deliver(&mut tx, take_id, &placed.id, delivered, pay_fen, now).await? {
            tx.rollback().await?;
            return self.take(take_id).await;
        }
        let earner = worker(&mut tx, &current.worker_id).await?;
        if pay_fen > 0 {
            let month = Date::today().month_key();
            let income = piecework(take_id, &earner.id, month, pay_fen)?;
            self.add_income(&mut tx, &earner, &income).await?;
        }
        let event = events::take_delivered(&current, delivered, pay_fen);
        self.outbox
            .enqueue(&mut tx, current.task_id.as_str(), &event)
            .await?;
        COUNTERS
            .bump(&mut tx, "units", "delivered", delivered)
            .await?;
        let done = take(&mut tx, take_id).await?;
        self.outbox.commit(tx).await?;
        Ok(done)
    }

    /// Closes the order `id` with `reason`: no more tasks or takes; again returns it.
    pub async fn close_order(&self, id: &RecordId, reason: &Reason) -> Result<Order, Error> {
        let mut tx = self.db.begin().await?;
        let placed = order(&mut tx, id).await?;
        if !store::close(&mut tx, id, reason.as_str(), now_micros()).await? {
            tx.rollback().await?;
            return Ok(placed);
        }
        let event = pb::OrderClosed {
            order_id: id.to_string(),
            workshop_id: placed.workshop_id.to_string(),
            undelivered: placed.quantity - placed.delivered,
        };
        self.outbox.enqueue(&mut tx, id.as_str(), &event).await?;
        let closed = order(&mut tx, id).await?;
        self.outbox.commit(tx).await?;
        Ok(closed)
    }

    /// Refuses `rejected` of a delivered take's units on quality, once: their pay is taken
    /// back from the worker's income of the month it was booked in (a negative piecework
    /// record), the order counts them undelivered, and the task offers them again. The
    /// same refusal again returns the take; another is FAILED_PRECONDITION.
    pub async fn reject_take(
        &self,
        take_id: &RecordId,
        rejected: i64,
        reason: &Reason,
    ) -> Result<Take, Error> {
        let mut tx = self.db.begin().await?;
        let current = take(&mut tx, take_id).await?;
        if current.rejected.is_some() {
            tx.rollback().await?;
            return refused_before(current, rejected);
        }
        let Some(delivered) = current.delivered else {
            return Err(Error::precondition(
                "TAKE_NOT_DELIVERED",
                format!("takes/{take_id}"),
                "only delivered units are refused",
            ));
        };
        if rejected > delivered {
            return Err(Error::invalid(
                "rejected",
                format!("must be 1 to the {delivered} units delivered"),
            ));
        }
        let task = store::task(&mut tx, &current.task_id)
            .await?
            .ok_or_else(|| Error::not_found("task", current.task_id.as_str()))?;
        let placed = order(&mut tx, &task.order_id).await?;
        // The pay is taken back as it was paid: units times the order's rate.
        let pay_back = pay(rejected, placed.unit_pay_fen)
            .ok_or_else(|| Error::invalid("rejected", "the pay is too large"))?;
        if !store::reject(
            &mut tx,
            &current,
            &placed.id,
            rejected,
            pay_back,
            reason.as_str(),
            now_micros(),
        )
        .await?
        {
            // Refused meanwhile by a concurrent call: it stands, as for a retry.
            tx.rollback().await?;
            return refused_before(self.take(take_id).await?, rejected);
        }
        let earner = worker(&mut tx, &current.worker_id).await?;
        let paid_in = store::income_month(&mut tx, &format!("take:{take_id}"))
            .await?
            .unwrap_or_else(|| Date::today().month_key());
        let correction = NewIncome {
            // One refusal per take: the key cannot take the pay back twice.
            request_id: RequestId::parse(&format!("reject:{take_id}"), "request_id")?,
            worker_id: earner.id.clone(),
            month: paid_in,
            amount_fen: -pay_back,
            source: IncomeSource::Piecework,
        };
        self.add_income(&mut tx, &earner, &correction).await?;
        let event = pb::TakeRejected {
            take_id: take_id.to_string(),
            task_id: current.task_id.to_string(),
            worker_id: current.worker_id.to_string(),
            rejected,
            pay_taken_back_fen: pay_back,
        };
        self.outbox
            .enqueue(&mut tx, current.task_id.as_str(), &event)
            .await?;
        COUNTERS
            .bump(&mut tx, "units", "delivered", -rejected)
            .await?;
        let done = take(&mut tx, take_id).await?;
        self.outbox.commit(tx).await?;
        Ok(done)
    }

    /// The take `id`.
    pub async fn take(&self, id: &RecordId) -> Result<Take, Error> {
        let mut conn = self.db.pool().acquire().await?;
        take(&mut conn, id).await
    }
}

async fn order(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Order, Error> {
    store::get(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("order", id.as_str()))
}

async fn take(conn: &mut sqlx::AnyConnection, id: &RecordId) -> Result<Take, Error> {
    store::take(conn, id)
        .await?
        .ok_or_else(|| Error::not_found("take", id.as_str()))
}

/// The answer to refusing a take refused before: the take, when it was the same figure;
/// FAILED_PRECONDITION (`TAKE_REJECTED`) otherwise.
fn refused_before(take: Take, rejected: i64) -> Result<Take, Error> {
    match take.rejected {
        Some(before) if before == rejected => Ok(take),
        before => Err(Error::precondition(
            "TAKE_REJECTED",
            format!("takes/{}", take.id),
            format!(
                "{} units of this take were refused already",
                before.unwrap_or(0)
            ),
        )),
    }
}

/// FAILED_PRECONDITION (`ORDER_CLOSED`) unless the order is open.
fn require_open(order: &Order) -> Result<(), Error> {
    if order.closed_at.is_none() {
        return Ok(());
    }
    Err(Error::precondition(
        "ORDER_CLOSED",
        format!("orders/{}", order.id),
        "the order is closed: it takes no more tasks or takes",
    ))
}

/// FAILED_PRECONDITION: fewer units are left than asked for.
fn exhausted(collection: &str, id: &RecordId, left: i64) -> Error {
    Error::precondition(
        "QUANTITY_EXHAUSTED",
        format!("{collection}/{id}"),
        format!("only {left} units are left"),
    )
}
