//! The harness: the service started on a fresh database, and what the tests share.

use tonic_types::StatusExt as _;
use xingfu_platform::runner::RunningSuite;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

/// A client of the service.
pub type Client = WorkshopsServiceClient<Channel>;

/// The workshops service alone on `env`, with one brand registered.
pub async fn started(env: &TestEnv) -> (Client, RunningSuite) {
    let (client, suite, _) = started_at(env).await;
    (client, suite)
}

/// [`started`], with the address to call it as other principals.
pub async fn started_at(env: &TestEnv) -> (Client, RunningSuite, std::net::SocketAddr) {
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_workshops::SERVICE).await;
    let mut client = WorkshopsServiceClient::new(xingfu_testkit::channel(addr).await);
    client
        .register_brand(pb::RegisterBrandRequest {
            id: "two-veg-one-fish".into(),
            name: "两菜一鱼".into(),
            department_id: "agri-bureau".into(),
            description: "海岛农渔产品".into(),
        })
        .await
        .unwrap();
    (client, suite, addr)
}

/// A workshop of the test brand, opened; returns it.
pub async fn open_workshop(client: &mut Client, key: &str) -> pb::Workshop {
    let created = client
        .create_workshop(pb::CreateWorkshopRequest {
            request_id: key.into(),
            name: format!("大黄鱼加工共富工坊 {key}"),
            community_id: "yuanjue-cun".into(),
            host_firm: "洞头海产有限公司".into(),
            department_id: "agri-bureau".into(),
            mode: pb::Mode::Processing as i32,
            brand_id: "two-veg-one-fish".into(),
        })
        .await
        .unwrap()
        .into_inner();
    client
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: created.id,
            status: pb::WorkshopStatus::Open as i32,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

pub use xingfu_testkit::violated_fields as fields;

/// The reason of a FAILED_PRECONDITION.
pub fn precondition(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .precondition_failure()
        .map(|p| p.violations[0].r#type.clone())
        .unwrap_or_default()
}

/// A made-up, valid resident ID number, distinct per `n`.
pub fn id_number(n: u32) -> String {
    let first17 = format!("33032219640101{n:03}");
    let check = xingfu_platform::pii::check_character(&first17).unwrap();
    format!("{first17}{check}")
}

/// A volunteer id of the form the register uses.
pub fn volunteer(n: u32) -> String {
    format!("01900000-0000-7000-8000-{n:012}")
}
