use prost::Message as _;
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event as _};
use xingfu_platform::runner::RunningSuite;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects as projects_pb;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

pub struct TestApp {
    pub db: Database,
    pub suite: RunningSuite,
    pub client: FundsServiceClient<Channel>,
    pub env: TestEnv,
}

/// The funds service alone, with events on the in-process bus; `max_deliver` bounds
/// how often a failing event is tried.
pub async fn spawn_app(max_deliver: i64) -> TestApp {
    let mut env = TestEnv::new();
    env.settings.nats.max_deliver = max_deliver;
    let (suite, addr) = xingfu_testkit::spawn_service(&env.settings, xingfu_funds::SERVICE).await;
    let db = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .expect("database");
    let client = FundsServiceClient::new(xingfu_testkit::channel(addr).await);
    TestApp {
        db,
        suite,
        client,
        env,
    }
}

impl TestApp {
    /// A channel to the funds service vouching for principal `id` holding `roles`
    /// (programme-wide), as the gateway would.
    pub async fn as_principal(&self, id: &str, roles: &[&str]) -> Channel {
        self.as_limited(id, roles, None).await
    }

    /// A channel vouching for `id` holding `roles` (`role` or `role@organisation`) and
    /// limited to `boundary`'s subtree when given.
    pub async fn as_limited(&self, id: &str, roles: &[&str], boundary: Option<&str>) -> Channel {
        let addr = self.suite.addr(xingfu_funds::NAME).expect("funds runs");
        xingfu_testkit::channel_as(addr, xingfu_testkit::principal(id, roles, boundary)).await
    }

    /// Makes the directory's organisations `(id, parent)` known, as its events would.
    pub async fn directory(&self, organisations: &[(&str, Option<&str>)]) {
        for (id, parent) in organisations {
            sqlx::query(
                "INSERT INTO known_organisations (organisation_id, name, kind, parent_id, updated_at) \
                 VALUES ($1, $1, 'AGENCY_PARTY', $2, 0)",
            )
            .bind(*id)
            .bind(*parent)
            .execute(self.db.pool())
            .await
            .unwrap();
        }
    }

    /// A new fund of `purpose`, the programme office's own.
    pub async fn fund(&mut self, name: &str, purpose: pb::Purpose) -> pb::Fund {
        self.owned_fund(name, purpose, "").await
    }

    /// A new fund of `purpose` owned by `organisation_id`.
    pub async fn owned_fund(
        &mut self,
        name: &str,
        purpose: pb::Purpose,
        organisation_id: &str,
    ) -> pb::Fund {
        self.client
            .create_fund(pb::CreateFundRequest {
                request_id: format!("fund-{name}"),
                name: name.into(),
                purpose: purpose as i32,
                organisation_id: organisation_id.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Donates `amount_fen` into `fund_id` under `key`.
    pub async fn donate(
        &mut self,
        key: &str,
        fund_id: &str,
        amount_fen: i64,
    ) -> Result<pb::Donation, tonic::Status> {
        self.client
            .donate(donation(key, fund_id, amount_fen))
            .await
            .map(tonic::Response::into_inner)
    }

    /// An approved grant of `amount_fen` from `fund_id`.
    pub async fn approved_grant(&mut self, key: &str, fund_id: &str, amount_fen: i64) -> pb::Grant {
        let grant = self
            .client
            .request_grant(child_grant(key, fund_id, amount_fen))
            .await
            .unwrap()
            .into_inner();
        self.client
            .approve_grant(pb::ApproveGrantRequest {
                id: grant.id,
                approver: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Subjects of the outbox, in order.
    pub async fn events(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT subject FROM outbox ORDER BY seq")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.db.close().await;
        self.suite.stop().await.expect("clean shutdown");
        self.env.cleanup().await.expect("cleanup");
    }

    /// Delivers a ProjectCreated payload as the projects service would; true once acknowledged.
    pub async fn deliver_created(&self, event_id: &str, payload: Vec<u8>) -> bool {
        self.deliver(event_id, payload, projects_pb::ProjectCreated::SUBJECT)
            .await
    }

    /// Delivers `payload` on `subject` as the projects service would; true once acknowledged.
    pub async fn deliver(&self, event_id: &str, payload: Vec<u8>, subject: &str) -> bool {
        let envelope = Envelope {
            id: event_id.into(),
            subject: self.suite.bus().subject(subject),
            event_type: projects_pb::ProjectCreated::TYPE.into(),
            source: "projects".into(),
            aggregate_id: String::new(),
            time_micros: 0,
            traceparent: None,
            acting: Default::default(),
            payload: payload.into(),
        };
        self.suite.bus().publish(&[envelope]).await == 1
    }
}

pub fn project_created(project_id: &str, title: &str) -> Vec<u8> {
    projects_pb::ProjectCreated {
        project_id: project_id.into(),
        title: title.into(),
        category: projects_pb::Category::PairedAssistance as i32,
        community_id: "shuangzhu-village".into(),
        community_ids: vec!["shuangzhu-village".into()],
        planned_budget_fen: 0,
        create_time: Some(prost_types::Timestamp {
            seconds: 1_795_910_400,
            nanos: 5_000,
        }),
    }
    .encode_to_vec()
}

/// A donation by a person, received today.
pub fn donation(key: &str, fund_id: &str, amount_fen: i64) -> pb::DonateRequest {
    pb::DonateRequest {
        idempotency_key: key.into(),
        fund_id: fund_id.into(),
        donor_kind: pb::DonorKind::Person as i32,
        donor_name: "郑海生".into(),
        amount_fen,
        channel: pb::DonationChannel::WechatPay as i32,
        received_on: None,
    }
}

/// A child-support grant request.
pub fn child_grant(key: &str, fund_id: &str, amount_fen: i64) -> pb::RequestGrantRequest {
    pb::RequestGrantRequest {
        request_id: key.into(),
        fund_id: fund_id.into(),
        kind: pb::GrantKind::ChildSupport as i32,
        beneficiary_ref: format!("child-{key}"),
        amount_fen,
        requested_by: "caseworker-1".into(),
        ..Default::default()
    }
}
