use sqlx::Row;
use xingfu_platform::db::Database;
use xingfu_platform::runner::RunningSuite;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

pub struct TestApp {
    pub client: ProjectsServiceClient<Channel>,
    pub addr: std::net::SocketAddr,
    pub db: Database,
    pub suite: RunningSuite,
    pub env: TestEnv,
}

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::new();
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_projects::SERVICE).await;
    let client = ProjectsServiceClient::new(xingfu_testkit::channel(addr).await);
    let db = Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .expect("database");
    TestApp {
        client,
        addr,
        db,
        suite,
        env,
    }
}

impl TestApp {
    /// A client calling as `id` with `roles` (`role@organisation`), limited to the subtree
    /// of `boundary` when given, as the gateway would vouch for it.
    pub async fn client_as(
        &self,
        id: &str,
        roles: &[&str],
        boundary: Option<&str>,
    ) -> ProjectsServiceClient<Channel> {
        let caller = xingfu_testkit::principal(id, roles, boundary);
        ProjectsServiceClient::new(xingfu_testkit::channel_as(self.addr, caller).await)
    }

    /// A client calling as `id` with `roles`, limited to `township`, as the gateway would
    /// vouch for it.
    pub async fn client_in_township(
        &self,
        id: &str,
        roles: &[&str],
        township: &str,
    ) -> ProjectsServiceClient<Channel> {
        let caller = xingfu_testkit::township_principal(id, roles, township);
        ProjectsServiceClient::new(xingfu_testkit::channel_as(self.addr, caller).await)
    }

    /// Community `id` of `township`, written straight into the directory's read model.
    pub async fn community(&self, id: &str, township: &str) {
        sqlx::query(
            "INSERT INTO known_communities (community_id, name, kind, township, updated_at) \
             VALUES ($1, $1, 'RESIDENTIAL', $2, 0)",
        )
        .bind(id)
        .bind(township)
        .execute(self.db.pool())
        .await
        .unwrap();
    }

    /// Organisation `id` under `parent` (or a root), as the directory's event makes it known.
    pub async fn organisation(&self, id: &str, parent: &str) {
        self.deliver(&xingfu_proto::volunteers::OrganisationRegistered {
            organisation_id: id.into(),
            name: id.into(),
            kind: "AGENCY_PARTY".into(),
            parent_id: parent.into(),
        })
        .await;
        xingfu_testkit::eventually(&format!("organisation {id} to become known"), || async {
            let known: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM known_organisations WHERE organisation_id = $1",
            )
            .bind(id)
            .fetch_one(self.db.pool())
            .await
            .unwrap();
            xingfu_testkit::holds(known == 1)
        })
        .await;
    }

    /// The operations on the same database, for what no RPC triggers (the expiry sweep).
    pub fn library(&self) -> xingfu_projects::ops::Library {
        let pii = xingfu_platform::pii::Protector::load(&self.env.settings).unwrap();
        xingfu_projects::ops::Library::new(
            self.db.clone(),
            xingfu_platform::events::Outbox::new(xingfu_projects::NAME),
            pii,
        )
    }

    /// The key the service seals personal data with.
    pub fn library_protector(&self) -> xingfu_platform::pii::Protector {
        xingfu_platform::pii::Protector::load(&self.env.settings).unwrap()
    }

    /// Subjects of the outbox, in order.
    pub async fn events(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT subject FROM outbox ORDER BY seq")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// The payloads of the outbox events with `subject`, in order.
    pub async fn payloads(&self, subject: &str) -> Vec<Vec<u8>> {
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject = $1 ORDER BY seq")
            .bind(subject)
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// Delivers an event of another service on the bus, as its producer would.
    pub async fn deliver<E: xingfu_platform::events::Event>(&self, event: &E) {
        let envelope = xingfu_platform::events::Envelope {
            id: uuid::Uuid::now_v7().to_string(),
            subject: self.suite.bus().subject(E::SUBJECT),
            event_type: E::TYPE.into(),
            source: E::SUBJECT.split('.').next().unwrap().into(),
            aggregate_id: String::new(),
            time_micros: 0,
            traceparent: None,
            acting: Default::default(),
            payload: prost::Message::encode_to_vec(event).into(),
        };
        assert_eq!(self.suite.bus().publish(&[envelope]).await, 1);
    }

    /// A new project, published.
    pub async fn published(&mut self, request_id: &str) -> pb::Project {
        let project = self
            .client
            .create_project(new_project(request_id))
            .await
            .unwrap()
            .into_inner();
        self.client
            .publish_project(pb::TransitionRequest {
                id: project.id,
                version: 1,
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// A new project, claimed by `org`.
    pub async fn claimed(&mut self, request_id: &str, org: &str) -> pb::Project {
        let project = self.published(request_id).await;
        self.client
            .claim_project(pb::ClaimProjectRequest {
                id: project.id,
                organisation_id: org.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn stop(self) {
        self.db.close().await;
        self.suite.stop().await.expect("clean shutdown");
        self.env.cleanup().await.expect("cleanup");
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.db.pool())
        .await
        .unwrap()
        .get("n")
    }
}

pub fn new_project(request_id: &str) -> pb::CreateProjectRequest {
    pb::CreateProjectRequest {
        request_id: request_id.into(),
        title: "共享幸福小课堂 · 书法".into(),
        category: pb::Category::CommunityActivity as i32,
        community_ids: vec!["beiao-xiaoqu-01".into()],
        description: "Little Orange Lamp calligraphy classes for the compound's children".into(),
        ..Default::default()
    }
}

/// A calendar date.
pub fn date(year: i32, month: i32, day: i32) -> Option<xingfu_proto::common::Date> {
    Some(xingfu_proto::common::Date { year, month, day })
}

pub use xingfu_testkit::violated_fields;
