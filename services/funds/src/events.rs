//! The events the funds service consumes: projects, for its read model.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, Handler, Subscription};
use xingfu_platform::time::from_timestamp;
use xingfu_platform::{Error, ServiceName};
use xingfu_proto::projects::ProjectCreated;

use crate::domain::KnownProject;
use crate::storage;

/// Every subscription of the funds service.
pub fn subscriptions(db: &Database) -> Vec<Subscription> {
    vec![Subscription {
        consumer: "funds-projects".into(),
        source: ServiceName::Projects,
        subjects: vec![ProjectCreated::SUBJECT],
        db: db.clone(),
        handler: Arc::new(ProjectsHandler),
    }]
}

/// Keeps `known_projects` from the projects service's events.
struct ProjectsHandler;

impl Handler for ProjectsHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let created: ProjectCreated = event.decode().map_err(|e| {
                Error::Unexpected(anyhow::anyhow!("undecodable {}: {e}", event.event_type))
            })?;
            let created_at = created
                .create_time
                .as_ref()
                .and_then(from_timestamp)
                .unwrap_or(0);
            let project = KnownProject {
                project_id: created.project_id,
                title: created.title,
                category: created.category,
                community_id: created.community_id,
                created_at,
            };
            storage::upsert_known_project(tx, &project).await?;
            tracing::debug!(project_id = %project.project_id, "project known to funds");
            Ok(())
        })
    }
}
