//! `xingfu.workshops.v1.WorkshopsService`: requests parsed into the domain, the
//! operations, answers built from the domain; errors mapped once by the platform. One
//! module per area (`refs` builds the references answers carry); this one only routes,
//! after admitting the caller through the operations.

mod catalogue;
mod fields;
mod orders;
mod people;
mod problems;
mod refs;
mod stats;
mod workers;

use tonic::{Request, Response, Status};
use xingfu_platform::trust::Caller;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_server::WorkshopsService;

use crate::access::{self, Check, Record};
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

/// Routes each call to its area's handler, after [`Workshops::admit`] let the caller in:
/// `method(Request) -> Response => handler, |r| check;` for calls on a record by id;
/// `method(Request) -> Response => handler;` under `scoped` (first) for lists and figures,
/// whose handlers filter by the caller's boundary.
macro_rules! routes {
    (
        scoped {
            $($s_method:ident($s_request:ty) -> $s_response:ty => $s_handler:path;)*
        }
        $($method:ident($request:ty) -> $response:ty => $handler:path, $check:expr;)*
    ) => {
        #[tonic::async_trait]
        impl WorkshopsService for WorkshopsApi {
            $(
                async fn $method(&self, request: Request<$request>) -> Answer<$response> {
                    let caller = Caller::from_metadata(request.metadata());
                    let request = request.into_inner();
                    let check: fn(&$request) -> Check<'_> = $check;
                    self.workshops.admit(&caller, check(&request)).await?;
                    Ok(Response::new($handler(&self.workshops, request).await?))
                }
            )*
            $(
                async fn $s_method(&self, request: Request<$s_request>) -> Answer<$s_response> {
                    let caller = Caller::from_metadata(request.metadata());
                    let scope = self.workshops.scope(&caller).await?;
                    let answer = $s_handler(&self.workshops, request.into_inner(), &scope);
                    Ok(Response::new(answer.await?))
                }
            )*
        }
    };
}

routes! {
    scoped {
        list_workshops(pb::ListWorkshopsRequest) -> pb::ListWorkshopsResponse => catalogue::list;
        list_appointments(pb::ListAppointmentsRequest) -> pb::ListAppointmentsResponse => people::list;
        list_problems(pb::ListProblemsRequest) -> pb::ListProblemsResponse => problems::list;
        list_orders(pb::ListOrdersRequest) -> pb::ListOrdersResponse => orders::list;
        get_stats(pb::GetStatsRequest) -> pb::WorkshopStats => stats::get;
    }
    register_brand(pb::RegisterBrandRequest) -> pb::Brand => catalogue::register_brand,
        |r| if r.department_id.trim().is_empty() { Check::OPEN } else { Check::see(Record::NewBrand(&r.department_id)) };
    list_brands(pb::ListBrandsRequest) -> pb::ListBrandsResponse => catalogue::list_brands, |_| Check::OPEN;
    create_workshop(pb::CreateWorkshopRequest) -> pb::Workshop => catalogue::create,
        // A blank department or community is the handler's INVALID_ARGUMENT, not a boundary
        // matter.
        |r| if r.department_id.trim().is_empty() || r.community_id.trim().is_empty() {
            Check::OPEN
        } else {
            Check::see(Record::NewWorkshop { department: &r.department_id, community: &r.community_id })
        };
    get_workshop(pb::GetWorkshopRequest) -> pb::Workshop => catalogue::get,
        |r| Check::see(Record::Workshop(&r.id));
    change_workshop_status(pb::ChangeWorkshopStatusRequest) -> pb::Workshop => catalogue::change_status,
        |r| Check::role(Record::Workshop(&r.id), access::MANAGING, "changing a workshop's status");
    update_workshop(pb::UpdateWorkshopRequest) -> pb::Workshop => catalogue::update,
        |r| Check::role(Record::Workshop(&r.id), access::MANAGING, "updating a workshop");
    give_support(pb::GiveSupportRequest) -> pb::Workshop => catalogue::give_support,
        |r| Check::role(Record::Workshop(&r.workshop_id), access::MANAGING, "recording support");
    appoint(pb::AppointRequest) -> pb::Appointment => people::appoint, |r| {
        let place = if r.workshop_id.is_empty() { Record::Programme } else { Record::Workshop(&r.workshop_id) };
        Check::role(place, access::APPOINTING, "appointing a volunteer")
    };
    end_appointment(pb::EndAppointmentRequest) -> pb::Appointment => people::end,
        |r| Check::role(Record::Appointment(&r.id), access::APPOINTING, "ending an appointment");
    rate_broker(pb::RateBrokerRequest) -> pb::Appointment => people::rate,
        |r| Check::role(Record::Appointment(&r.appointment_id), access::RATING, "rating a star broker");
    list_broker_ratings(pb::ListBrokerRatingsRequest) -> pb::ListBrokerRatingsResponse => people::ratings,
        |r| Check::see(Record::Appointment(&r.appointment_id));
    enrol_worker(pb::EnrolWorkerRequest) -> pb::Worker => workers::enrol,
        |r| Check::see(Record::Workshop(&r.workshop_id));
    get_worker(pb::GetWorkerRequest) -> pb::Worker => workers::get, |r| Check::see(Record::Worker(&r.id));
    list_workers(pb::ListWorkersRequest) -> pb::ListWorkersResponse => workers::list,
        |r| Check::see(Record::Workshop(&r.workshop_id));
    record_income(pb::RecordIncomeRequest) -> pb::IncomeRecord => workers::record_income,
        |r| Check::see(Record::Worker(&r.worker_id));
    get_worker_income(pb::GetWorkerIncomeRequest) -> pb::WorkerIncome => workers::worker_income,
        |r| Check::see(Record::Worker(&r.worker_id));
    get_workshop_income(pb::GetWorkshopIncomeRequest) -> pb::WorkshopIncome => workers::workshop_income,
        |r| Check::see(Record::Workshop(&r.workshop_id));
    place_order(pb::PlaceOrderRequest) -> pb::Order => orders::place,
        |r| Check::see(Record::Workshop(&r.workshop_id));
    get_order(pb::GetOrderRequest) -> pb::Order => orders::get, |r| Check::see(Record::Order(&r.id));
    dispatch_task(pb::DispatchTaskRequest) -> pb::Task => orders::dispatch,
        |r| Check::see(Record::Order(&r.order_id));
    take_task(pb::TakeTaskRequest) -> pb::Take => orders::take,
        |r| Check::see(Record::Task(&r.task_id)).and_see(Record::Worker(&r.worker_id));
    deliver_take(pb::DeliverTakeRequest) -> pb::Take => orders::deliver,
        |r| Check::see(Record::Take(&r.take_id));
    close_order(pb::CloseOrderRequest) -> pb::Order => orders::close,
        |r| Check::role(Record::Order(&r.order_id), access::MANAGING, "closing an order");
    reject_take(pb::RejectTakeRequest) -> pb::Take => orders::reject,
        |r| Check::role(Record::Take(&r.take_id), access::MANAGING, "refusing delivered units");
    raise_problem(pb::RaiseProblemRequest) -> pb::Problem => problems::raise,
        |r| Check::see(Record::Workshop(&r.workshop_id));
    get_problem(pb::GetProblemRequest) -> pb::Problem => problems::get,
        |r| Check::see(Record::Problem(&r.id));
    assign_problem(pb::AssignProblemRequest) -> pb::Problem => problems::assign,
        |r| Check::role(Record::Problem(&r.problem_id), access::HANDLING, "assigning a problem");
    resolve_problem(pb::ResolveProblemRequest) -> pb::Problem => problems::resolve,
        |r| Check::role(Record::Problem(&r.problem_id), access::HANDLING, "resolving a problem");
    escalate_problem(pb::EscalateProblemRequest) -> pb::Problem => problems::escalate,
        |r| Check::role(Record::Problem(&r.problem_id), access::HANDLING, "escalating a problem");
}
