//! Orders, tasks and takes. Every quantity that must not overflow its whole is taken by
//! one conditional `UPDATE`, so concurrent callers can never over-take it.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{Line, RecordId, RequestId};

use xingfu_platform::db::Filtered;

use super::{Keyed, keyed};
use crate::access::Scope;
use crate::domain::orders::{NewOrder, Order, Take, Task};

const ORDER: &str = "id, workshop_id, firm, product, quantity, unit_pay_fen, dispatched, \
                     delivered, created_at, closed_at, close_reason";
const TASK: &str = "id, order_id, quantity, taken, created_at";
const TAKE: &str = "id, task_id, worker_id, quantity, delivered, pay_fen, created_at, \
                    delivered_at, rejected, reject_reason, rejected_at";

/// Inserts `new` under `id` unless its request id is known.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewOrder,
    now: i64,
) -> Result<Keyed<Order>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO orders (id, request_id, request_hash, workshop_id, firm, product, quantity, \
         unit_pay_fen, dispatched, delivered, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.workshop_id.as_str())
    .bind(new.firm.as_str())
    .bind(new.product.as_str())
    .bind(new.quantity)
    .bind(new.unit_pay_fen)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER}, request_hash FROM orders WHERE request_id = $1"
    )))
    .bind(new.request_id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let mut order = order_of(&row)?;
    order.tasks = tasks(conn, &order.id).await?;
    keyed(inserted, &row, order)
}

/// The order placed under `request_id`, with what it was asked with.
pub async fn by_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<(Order, String)>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER}, request_hash FROM orders WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = order_of(&row)?;
    order.tasks = tasks(conn, &order.id).await?;
    Ok(Some((order, row.try_get("request_hash")?)))
}

/// The order `id`, with its tasks.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Order>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER} FROM orders WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = order_of(&row)?;
    order.tasks = tasks(conn, id).await?;
    Ok(Some(order))
}

async fn tasks(conn: &mut AnyConnection, order_id: &RecordId) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK} FROM tasks WHERE order_id = $1 ORDER BY id"
    )))
    .bind(order_id.as_str())
    .fetch_all(conn)
    .await?
    .iter()
    .map(task_of)
    .collect()
}

/// Sets `quantity` units of the order aside for a task; false when fewer are left.
pub async fn dispatch(
    conn: &mut AnyConnection,
    order_id: &RecordId,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE orders SET dispatched = dispatched + $1 \
         WHERE id = $2 AND dispatched + $1 <= quantity",
    )
    .bind(quantity)
    .bind(order_id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Inserts a task under `id` unless its request id is known.
pub async fn insert_task(
    conn: &mut AnyConnection,
    id: &RecordId,
    request_id: &RequestId,
    fingerprint: &str,
    order_id: &RecordId,
    quantity: i64,
    now: i64,
) -> Result<Keyed<Task>, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO tasks (id, request_id, request_hash, order_id, quantity, taken, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(request_id.as_str())
    .bind(fingerprint)
    .bind(order_id.as_str())
    .bind(quantity)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK}, request_hash FROM tasks WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_one(conn)
    .await?;
    keyed(inserted, &row, task_of(&row)?)
}

/// The task `id`.
pub async fn task(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Task>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TASK} FROM tasks WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| task_of(&row))
    .transpose()
}

/// A take already made under `request_id`, with what it was asked with.
pub async fn take_by_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<(Take, String)>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TAKE}, request_hash FROM takes WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| Ok((take_of(&row)?, row.try_get("request_hash")?)))
    .transpose()
}

/// Takes `quantity` units of the task; false when fewer are left. One statement, so
/// concurrent takers can never take more than the task holds.
pub async fn take_units(
    conn: &mut AnyConnection,
    task_id: &RecordId,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let updated =
        sqlx::query("UPDATE tasks SET taken = taken + $1 WHERE id = $2 AND taken + $1 <= quantity")
            .bind(quantity)
            .bind(task_id.as_str())
            .execute(conn)
            .await?
            .rows_affected();
    Ok(updated == 1)
}

/// Records a take.
pub async fn insert_take(
    conn: &mut AnyConnection,
    take: &Take,
    request_id: &RequestId,
    fingerprint: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO takes (id, request_id, request_hash, task_id, worker_id, quantity, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(take.id.as_str())
    .bind(request_id.as_str())
    .bind(fingerprint)
    .bind(take.task_id.as_str())
    .bind(take.worker_id.as_str())
    .bind(take.quantity)
    .bind(take.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The take `id`.
pub async fn take(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Take>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TAKE} FROM takes WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| take_of(&row))
    .transpose()
}

/// Records a delivery and adds it to the order; false when the take was delivered.
pub async fn deliver(
    conn: &mut AnyConnection,
    take_id: &RecordId,
    order_id: &RecordId,
    delivered: i64,
    pay_fen: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE takes SET delivered = $1, pay_fen = $2, delivered_at = $3 \
         WHERE id = $4 AND delivered IS NULL",
    )
    .bind(delivered)
    .bind(pay_fen)
    .bind(now)
    .bind(take_id.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 1 {
        sqlx::query("UPDATE orders SET delivered = delivered + $1 WHERE id = $2")
            .bind(delivered)
            .bind(order_id.as_str())
            .execute(conn)
            .await?;
    }
    Ok(updated == 1)
}

/// Closes the open order `id`; false when it was closed already.
pub async fn close(
    conn: &mut AnyConnection,
    id: &RecordId,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let closed = sqlx::query(
        "UPDATE orders SET closed_at = $1, close_reason = $2 WHERE id = $3 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(id.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(closed == 1)
}

/// Refuses `rejected` of the take's delivered units, once: its pay drops by `pay_back_fen`,
/// the order counts them undelivered and the task has them to take again. False when the
/// take was refused before (or is not delivered, or delivered fewer).
pub async fn reject(
    conn: &mut AnyConnection,
    take: &Take,
    order_id: &RecordId,
    rejected: i64,
    pay_back_fen: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE takes SET rejected = $1, reject_reason = $2, rejected_at = $3, \
         pay_fen = pay_fen - $4 WHERE id = $5 AND rejected IS NULL AND delivered >= $1",
    )
    .bind(rejected)
    .bind(reason)
    .bind(now)
    .bind(pay_back_fen)
    .bind(take.id.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 1 {
        sqlx::query("UPDATE orders SET delivered = delivered - $1 WHERE id = $2")
            .bind(rejected)
            .bind(order_id.as_str())
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE tasks SET taken = taken - $1 WHERE id = $2")
            .bind(rejected)
            .bind(take.task_id.as_str())
            .execute(conn)
            .await?;
    }
    Ok(updated == 1)
}

/// The month the income record under `request_id` was booked in.
pub async fn income_month(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT month FROM income_records WHERE request_id = $1")
        .bind(request_id)
        .fetch_optional(conn)
        .await
}

/// A page of orders, newest first after the id `after`, without their tasks: of
/// `workshop_id` when given, only open ones with units to deliver when `open_only`, at
/// workshops inside `scope`.
pub async fn list(
    conn: &mut AnyConnection,
    workshop_id: Option<&RecordId>,
    open_only: bool,
    scope: &Scope,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    let query = Filtered::new(format!("SELECT {ORDER} FROM orders"))
        .and("workshop_id =", workshop_id.map(RecordId::as_str))
        .and_if(open_only, "delivered < quantity AND closed_at IS NULL");
    scope
        .narrow(query, "orders")
        .and("id <", after)
        .fetch(conn, "id DESC", limit)
        .await?
        .iter()
        .map(order_of)
        .collect()
}

fn order_of(row: &AnyRow) -> Result<Order, sqlx::Error> {
    Ok(Order {
        id: RecordId::from_stored(row.try_get("id")?),
        workshop_id: RecordId::from_stored(row.try_get("workshop_id")?),
        firm: Line::from_stored(row.try_get("firm")?),
        product: Line::from_stored(row.try_get("product")?),
        quantity: row.try_get("quantity")?,
        unit_pay_fen: row.try_get("unit_pay_fen")?,
        dispatched: row.try_get("dispatched")?,
        delivered: row.try_get("delivered")?,
        tasks: Vec::new(),
        created_at: row.try_get("created_at")?,
        closed_at: row.try_get("closed_at")?,
        close_reason: row.try_get("close_reason")?,
    })
}

fn task_of(row: &AnyRow) -> Result<Task, sqlx::Error> {
    Ok(Task {
        id: RecordId::from_stored(row.try_get("id")?),
        order_id: RecordId::from_stored(row.try_get("order_id")?),
        quantity: row.try_get("quantity")?,
        taken: row.try_get("taken")?,
        created_at: row.try_get("created_at")?,
    })
}

fn take_of(row: &AnyRow) -> Result<Take, sqlx::Error> {
    Ok(Take {
        id: RecordId::from_stored(row.try_get("id")?),
        task_id: RecordId::from_stored(row.try_get("task_id")?),
        worker_id: RecordId::from_stored(row.try_get("worker_id")?),
        quantity: row.try_get("quantity")?,
        delivered: row.try_get("delivered")?,
        pay_fen: row.try_get("pay_fen")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
        rejected: row.try_get("rejected")?,
        reject_reason: row.try_get("reject_reason")?,
        rejected_at: row.try_get("rejected_at")?,
    })
}
