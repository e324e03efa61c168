//! The events the operations publish (`xingfu_proto::workshops`), built from domain
//! values so the outbox never depends on how the API answers.

use xingfu_platform::checked::{Note, RecordId};
use xingfu_proto::workshops as pb;

use crate::domain::Brand;
use crate::domain::orders::{Order, Take, Task};
use crate::domain::people::{Appointment, Place};
use crate::domain::problems::Problem;
use crate::domain::workers::{Income, Worker};
use crate::domain::workshops::{NewSupport, Workshop, WorkshopStatus};

impl From<&Brand> for pb::BrandRegistered {
    fn from(brand: &Brand) -> Self {
        Self {
            brand_id: brand.id.to_string(),
            name: brand.name.to_string(),
            department_id: brand.department_id.to_string(),
        }
    }
}

impl From<&Workshop> for pb::WorkshopCreated {
    fn from(workshop: &Workshop) -> Self {
        Self {
            workshop_id: workshop.id.to_string(),
            name: workshop.name.to_string(),
            community_id: workshop.community_id.to_string(),
            department_id: workshop.department_id.to_string(),
            mode: workshop.mode.as_str().to_owned(),
            brand_id: workshop.brand_id.to_string(),
            host_firm: workshop.host_firm.to_string(),
        }
    }
}

impl From<&Workshop> for pb::WorkshopUpdated {
    fn from(workshop: &Workshop) -> Self {
        Self {
            workshop_id: workshop.id.to_string(),
            name: workshop.name.to_string(),
            host_firm: workshop.host_firm.to_string(),
            version: workshop.version,
        }
    }
}

/// The workshop, as it was, moving to `to` for `reason`.
pub(super) fn status_changed(
    workshop: &Workshop,
    to: WorkshopStatus,
    reason: &Note<500>,
) -> pb::WorkshopStatusChanged {
    pb::WorkshopStatusChanged {
        workshop_id: workshop.id.to_string(),
        from: workshop.status.as_str().to_owned(),
        to: to.as_str().to_owned(),
        reason: reason.to_string(),
    }
}

impl From<&NewSupport> for pb::SupportGiven {
    fn from(new: &NewSupport) -> Self {
        Self {
            workshop_id: new.workshop_id.to_string(),
            kind: new.support.kind.as_str().to_owned(),
            value_fen: new.support.value_fen,
        }
    }
}

impl From<&Appointment> for pb::PersonAppointed {
    fn from(appointment: &Appointment) -> Self {
        // A firm is no directory record: consumers hear of neither id.
        let (workshop_id, community_id) = match &appointment.place {
            Place::Workshop(id) => (id.to_string(), String::new()),
            Place::Community(id) => (String::new(), id.to_string()),
            Place::Firm(_) => (String::new(), String::new()),
        };
        Self {
            appointment_id: appointment.id.to_string(),
            volunteer_id: appointment.volunteer_id.to_string(),
            role: appointment.role.as_str().to_owned(),
            workshop_id,
            community_id,
        }
    }
}

impl From<&Appointment> for pb::AppointmentEnded {
    fn from(appointment: &Appointment) -> Self {
        Self {
            appointment_id: appointment.id.to_string(),
            volunteer_id: appointment.volunteer_id.to_string(),
            role: appointment.role.as_str().to_owned(),
        }
    }
}

/// The broker of `appointment` rated `stars`.
pub(super) fn broker_rated(appointment: &Appointment, stars: i64) -> pb::BrokerRated {
    pb::BrokerRated {
        appointment_id: appointment.id.to_string(),
        volunteer_id: appointment.volunteer_id.to_string(),
        stars: i32::try_from(stars).unwrap_or(0),
    }
}

impl From<&Worker> for pb::WorkerEnrolled {
    fn from(worker: &Worker) -> Self {
        Self {
            worker_id: worker.id.to_string(),
            workshop_id: worker.workshop_id.to_string(),
            baseline_monthly_income_fen: worker.baseline_fen,
        }
    }
}

/// `income` recorded for a worker of `workshop_id`.
pub(super) fn income_recorded(income: &Income, workshop_id: &RecordId) -> pb::IncomeRecorded {
    pb::IncomeRecorded {
        record_id: income.id.to_string(),
        worker_id: income.worker_id.to_string(),
        workshop_id: workshop_id.to_string(),
        month: income.month.clone(),
        amount_fen: income.amount_fen,
        source: income.source.as_str().to_owned(),
    }
}

impl From<&Order> for pb::OrderPlaced {
    fn from(order: &Order) -> Self {
        Self {
            order_id: order.id.to_string(),
            workshop_id: order.workshop_id.to_string(),
            firm: order.firm.to_string(),
            product: order.product.to_string(),
            quantity: order.quantity,
            unit_pay_fen: order.unit_pay_fen,
        }
    }
}

impl From<&Task> for pb::TaskDispatched {
    fn from(task: &Task) -> Self {
        Self {
            task_id: task.id.to_string(),
            order_id: task.order_id.to_string(),
            quantity: task.quantity,
        }
    }
}

impl From<&Take> for pb::TaskTaken {
    fn from(take: &Take) -> Self {
        Self {
            take_id: take.id.to_string(),
            task_id: take.task_id.to_string(),
            worker_id: take.worker_id.to_string(),
            quantity: take.quantity,
        }
    }
}

/// `take`, as it was taken, delivered: `delivered` units for `pay_fen`.
pub(super) fn take_delivered(take: &Take, delivered: i64, pay_fen: i64) -> pb::TakeDelivered {
    pb::TakeDelivered {
        take_id: take.id.to_string(),
        task_id: take.task_id.to_string(),
        worker_id: take.worker_id.to_string(),
        delivered,
        pay_fen,
    }
}

impl From<&Problem> for pb::ProblemRaised {
    fn from(problem: &Problem) -> Self {
        Self {
            problem_id: problem.id.to_string(),
            workshop_id: problem.workshop_id.to_string(),
            category: problem.category.as_str().to_owned(),
        }
    }
}

impl From<&Problem> for pb::ProblemChanged {
    fn from(problem: &Problem) -> Self {
        Self {
            problem_id: problem.id.to_string(),
            workshop_id: problem.workshop_id.to_string(),
            status: problem.status.as_str().to_owned(),
            assignee_id: problem
                .assignee_id
                .as_ref()
                .map(RecordId::to_string)
                .unwrap_or_default(),
        }
    }
}
