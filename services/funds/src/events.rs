//! What the funds service consumes: the projects it may fund (created, published, and
//! their status, so a cancelled project is never funded) and the directory (funds'
//! owners, for roles and boundaries). What it publishes is in
//! `xingfu_proto::events`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, Handler, Subscription};
use xingfu_platform::time::from_timestamp;
use xingfu_platform::{Error, ServiceName};
use xingfu_proto::projects::{
    ProjectCreated, ProjectPublished, ProjectStatus, ProjectStatusChanged,
};

use crate::domain::KnownProject;
use crate::storage::projects as known;

/// Every subscription of the funds service.
pub fn subscriptions(db: &Database) -> Vec<Subscription> {
    vec![
        xingfu_directory::directory_subscription("funds-directory", db),
        Subscription {
            consumer: "funds-projects".into(),
            source: ServiceName::new("projects"),
            subjects: vec![
                ProjectCreated::SUBJECT,
                ProjectPublished::SUBJECT,
                ProjectStatusChanged::SUBJECT,
            ],
            db: db.clone(),
            handler: Arc::new(ProjectsHandler),
        },
    ]
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
            let subject = event.subject.split_once('.').map_or("", |(_, rest)| rest);
            if subject == ProjectPublished::SUBJECT {
                let published: ProjectPublished = event.decode_event()?;
                known::set_status(tx, &published.project_id, &published.title, "PUBLISHED").await?;
                return Ok(());
            }
            if subject == ProjectStatusChanged::SUBJECT {
                let changed: ProjectStatusChanged = event.decode_event()?;
                let status =
                    ProjectStatus::try_from(changed.to).unwrap_or(ProjectStatus::Unspecified);
                let name = status.as_str_name().trim_start_matches("PROJECT_STATUS_");
                known::set_status(tx, &changed.project_id, "", name).await?;
                return Ok(());
            }
            let created: ProjectCreated = event.decode_event()?;
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
            known::upsert_known_project(tx, &project).await?;
            tracing::debug!(project_id = %project.project_id, "project known to funds");
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            known::forget_all(tx).await?;
            Ok(())
        })
    }
}
