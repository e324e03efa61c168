//! `xingfu.workshops.v1.WorkshopsService`: requests parsed into the domain, the
//! operations, answers built from the domain; errors mapped once by the platform. One
//! module per area; this one only routes.

mod catalogue;
mod known;
mod orders;
mod people;
mod problems;
mod stats;
mod workers;

use tonic::{Request, Response, Status};
use xingfu_proto::common::Money;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_server::WorkshopsService;

use crate::ops::Workshops;

/// The API over the workshops service's operations.
#[derive(Clone)]
pub struct WorkshopsApi {
    workshops: Workshops,
}

impl WorkshopsApi {
    /// The API over `workshops`.
    pub fn new(workshops: Workshops) -> Self {
        Self { workshops }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Fen as money.
fn money(fen: i64) -> Money {
    Money::cny(fen)
}

/// Routes each call to its area's handler: `method(Request) -> Response => handler;`.
macro_rules! routes {
    ($($method:ident($request:ty) -> $response:ty => $handler:path;)*) => {
        #[tonic::async_trait]
        impl WorkshopsService for WorkshopsApi {
            $(
                async fn $method(&self, request: Request<$request>) -> Answer<$response> {
                    Ok(Response::new($handler(&self.workshops, request.into_inner()).await?))
                }
            )*
        }
    };
}

routes! {
    register_brand(pb::RegisterBrandRequest) -> pb::Brand => catalogue::register_brand;
    list_brands(pb::ListBrandsRequest) -> pb::ListBrandsResponse => catalogue::list_brands;
    create_workshop(pb::CreateWorkshopRequest) -> pb::Workshop => catalogue::create;
    get_workshop(pb::GetWorkshopRequest) -> pb::Workshop => catalogue::get;
    list_workshops(pb::ListWorkshopsRequest) -> pb::ListWorkshopsResponse => catalogue::list;
    change_workshop_status(pb::ChangeWorkshopStatusRequest) -> pb::Workshop => catalogue::change_status;
    give_support(pb::GiveSupportRequest) -> pb::Workshop => catalogue::give_support;
    appoint(pb::AppointRequest) -> pb::Appointment => people::appoint;
    end_appointment(pb::EndAppointmentRequest) -> pb::Appointment => people::end;
    list_appointments(pb::ListAppointmentsRequest) -> pb::ListAppointmentsResponse => people::list;
    rate_broker(pb::RateBrokerRequest) -> pb::Appointment => people::rate;
    list_broker_ratings(pb::ListBrokerRatingsRequest) -> pb::ListBrokerRatingsResponse => people::ratings;
    enrol_worker(pb::EnrolWorkerRequest) -> pb::Worker => workers::enrol;
    get_worker(pb::GetWorkerRequest) -> pb::Worker => workers::get;
    list_workers(pb::ListWorkersRequest) -> pb::ListWorkersResponse => workers::list;
    record_income(pb::RecordIncomeRequest) -> pb::IncomeRecord => workers::record_income;
    get_worker_income(pb::GetWorkerIncomeRequest) -> pb::WorkerIncome => workers::worker_income;
    get_workshop_income(pb::GetWorkshopIncomeRequest) -> pb::WorkshopIncome => workers::workshop_income;
    place_order(pb::PlaceOrderRequest) -> pb::Order => orders::place;
    get_order(pb::GetOrderRequest) -> pb::Order => orders::get;
    dispatch_task(pb::DispatchTaskRequest) -> pb::Task => orders::dispatch;
    take_task(pb::TakeTaskRequest) -> pb::Take => orders::take;
    deliver_take(pb::DeliverTakeRequest) -> pb::Take => orders::deliver;
    raise_problem(pb::RaiseProblemRequest) -> pb::Problem => problems::raise;
    get_problem(pb::GetProblemRequest) -> pb::Problem => problems::get;
    list_problems(pb::ListProblemsRequest) -> pb::ListProblemsResponse => problems::list;
    assign_problem(pb::AssignProblemRequest) -> pb::Problem => problems::assign;
    resolve_problem(pb::ResolveProblemRequest) -> pb::Problem => problems::resolve;
    escalate_problem(pb::EscalateProblemRequest) -> pb::Problem => problems::escalate;
    get_stats(pb::GetStatsRequest) -> pb::WorkshopStats => stats::get;
}
