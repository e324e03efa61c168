use prost::Message as _;
use xingfu_platform::ServiceName;
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event as _};
use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_proto::projects as projects_pb;
use xingfu_testkit::TestEnv;

pub struct TestApp {
    pub db: Database,
    pub suite: RunningSuite,
    env: TestEnv,
}

/// The funds service alone, with events on the in-process bus; `max_deliver` bounds
/// how often a failing event is tried.
pub async fn spawn_app(max_deliver: i64) -> TestApp {
    let mut env = TestEnv::postgres();
    env.settings.nats.max_deliver = max_deliver;
    let mut runner = Runner::new(env.settings.clone()).await.expect("runner");
    runner
        .add(xingfu_funds::SERVICE)
        .await
        .expect("funds builds");
    let suite = runner.start().await.expect("suite starts");
    let db = Database::open(&env.settings, ServiceName::Funds)
        .await
        .expect("database");
    TestApp { db, suite, env }
}

impl TestApp {
    pub async fn stop(self) {
        self.db.close().await;
        self.suite.stop().await.expect("clean shutdown");
        self.env.cleanup().await.expect("cleanup");
    }

    /// Delivers `payload` as the projects service would; true once acknowledged.
    pub async fn deliver(&self, event_id: &str, payload: Vec<u8>) -> bool {
        let envelope = Envelope {
            id: event_id.into(),
            subject: self
                .suite
                .bus()
                .subject(projects_pb::ProjectCreated::SUBJECT),
            event_type: projects_pb::ProjectCreated::TYPE.into(),
            source: "projects".into(),
            aggregate_id: String::new(),
            time_micros: 0,
            traceparent: None,
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
