use sqlx::Row;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use xingfu_platform::ServiceName;
use xingfu_platform::db::Database;
use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::TestEnv;

pub struct TestApp {
    pub client: ProjectsServiceClient<Channel>,
    pub db: Database,
    suite: RunningSuite,
    env: TestEnv,
}

pub async fn spawn_app() -> TestApp {
    let env = TestEnv::postgres();
    let mut runner = Runner::new(env.settings.clone()).await.expect("runner");
    let addr = runner
        .add(xingfu_projects::SERVICE)
        .await
        .expect("projects service builds");
    let suite = runner.start().await.expect("suite starts");
    let client = ProjectsServiceClient::new(xingfu_testkit::channel(addr).await);
    let db = Database::open(&env.settings, ServiceName::Projects)
        .await
        .expect("database");
    TestApp {
        client,
        db,
        suite,
        env,
    }
}

impl TestApp {
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
        community_id: "beiao-xiaoqu-01".into(),
        description: "Little Orange Lamp calligraphy classes for the compound's children".into(),
    }
}

/// The fields named by the status's BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}
