//! The order flow (企业送单 → 工坊派单 → 农户接单): a firm's order, split into tasks, taken
//! in parts by workers and delivered for pay. Quantities never add up past their whole.

use xingfu_platform::checked::{Line, RecordId, RequestId, Text};

/// Why an order was closed or a take refused: 1 to 500 characters.
pub type Reason = Text<500>;

/// An order as placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The idempotency key.
    pub request_id: RequestId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// The firm.
    pub firm: Line<200>,
    /// The product.
    pub product: Line<200>,
    /// Units (bounded by `PlaceOrderRequest.quantity` in the proto).
    pub quantity: i64,
    /// Pay per unit, fen (bounded by `PlaceOrderRequest.unit_pay_fen` in the proto).
    pub unit_pay_fen: i64,
}

impl NewOrder {
    /// What the request asked for, to tell a retry from a reused key.
    pub fn fingerprint(&self) -> String {
        xingfu_platform::validate::fingerprint([
            self.workshop_id.as_str(),
            self.firm.as_str(),
            self.product.as_str(),
            &self.quantity.to_string(),
            &self.unit_pay_fen.to_string(),
        ])
    }
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Server-assigned id.
    pub id: RecordId,
    /// The workshop.
    pub workshop_id: RecordId,
    /// The firm.
    pub firm: Line<200>,
    /// The product.
    pub product: Line<200>,
    /// Units.
    pub quantity: i64,
    /// Pay per unit, fen.
    pub unit_pay_fen: i64,
    /// Units split into tasks.
    pub dispatched: i64,
    /// Units delivered.
    pub delivered: i64,
    /// Its tasks, oldest first.
    pub tasks: Vec<Task>,
    /// Placed, microseconds since the epoch.
    pub created_at: i64,
    /// Closed, microseconds since the epoch.
    pub closed_at: Option<i64>,
    /// Why it was closed.
    pub close_reason: Option<String>,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Server-assigned id.
    pub id: RecordId,
    /// The order.
    pub order_id: RecordId,
    /// Units.
    pub quantity: i64,
    /// Units taken.
    pub taken: i64,
    /// Dispatched, microseconds since the epoch.
    pub created_at: i64,
}

/// A stored take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Take {
    /// Server-assigned id.
    pub id: RecordId,
    /// The task.
    pub task_id: RecordId,
    /// The worker.
    pub worker_id: RecordId,
    /// Units taken.
    pub quantity: i64,
    /// Units delivered, once delivered.
    pub delivered: Option<i64>,
    /// Pay, fen, once delivered.
    pub pay_fen: Option<i64>,
    /// Taken, microseconds since the epoch.
    pub created_at: i64,
    /// Delivered.
    pub delivered_at: Option<i64>,
    /// Units refused on quality.
    pub rejected: Option<i64>,
    /// Why they were refused.
    pub reject_reason: Option<String>,
    /// Refused, microseconds since the epoch.
    pub rejected_at: Option<i64>,
}

/// Pay for `delivered` units at `unit_pay_fen` each; `None` if it overflows.
pub fn pay(delivered: i64, unit_pay_fen: i64) -> Option<i64> {
    delivered.checked_mul(unit_pay_fen)
}
