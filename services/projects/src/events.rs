//! What the projects service consumes, all in one place: the directory (to verify
//! organisation and community ids), grants (money per project) and verified volunteer
//! hours (minutes per project). What it publishes is in `xingfu_proto::events`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, Handler, Subscription};
use xingfu_platform::time::now_micros;
use xingfu_platform::{Error, ServiceName};
use xingfu_proto::funds::GrantDisbursed;
use xingfu_proto::volunteers::{
    CommunityRegistered, CommunityUpdated, HoursVerified, OrganisationRegistered,
    OrganisationUpdated,
};

use crate::storage::directory::{self, Entry, Kind};
use crate::storage::projects::{Total, add_totals};

/// Every subscription of the projects service.
pub fn subscriptions(db: &Database) -> Vec<Subscription> {
    let subscription = |consumer: &str,
                        source,
                        subjects: Vec<&'static str>,
                        handler: Arc<dyn Handler>| Subscription {
        consumer: consumer.to_owned(),
        source,
        subjects,
        db: db.clone(),
        handler,
    };
    vec![
        subscription(
            "projects-directory",
            ServiceName::Volunteers,
            vec![
                OrganisationRegistered::SUBJECT,
                OrganisationUpdated::SUBJECT,
                CommunityRegistered::SUBJECT,
                CommunityUpdated::SUBJECT,
            ],
            Arc::new(DirectoryHandler),
        ),
        subscription(
            "projects-hours",
            ServiceName::Volunteers,
            vec![HoursVerified::SUBJECT],
            Arc::new(HoursHandler),
        ),
        subscription(
            "projects-grants",
            ServiceName::Funds,
            vec![GrantDisbursed::SUBJECT],
            Arc::new(GrantsHandler),
        ),
    ]
}

/// Keeps `known_organisations` and `known_communities`.
struct DirectoryHandler;

impl Handler for DirectoryHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let subject = event.subject.split_once('.').map_or("", |(_, rest)| rest);
            let (kind, entry) = if subject == OrganisationRegistered::SUBJECT {
                let e: OrganisationRegistered = event.decode_event()?;
                (
                    Kind::Organisation,
                    Entry {
                        id: e.organisation_id,
                        name: e.name,
                        kind: e.kind,
                        parent: e.parent_id,
                    },
                )
            } else if subject == OrganisationUpdated::SUBJECT {
                let e: OrganisationUpdated = event.decode_event()?;
                (
                    Kind::Organisation,
                    Entry {
                        id: e.organisation_id,
                        name: e.name,
                        kind: e.kind,
                        parent: e.parent_id,
                    },
                )
            } else if subject == CommunityRegistered::SUBJECT {
                let e: CommunityRegistered = event.decode_event()?;
                (
                    Kind::Community,
                    Entry {
                        id: e.community_id,
                        name: e.name,
                        kind: e.kind,
                        parent: e.township,
                    },
                )
            } else if subject == CommunityUpdated::SUBJECT {
                let e: CommunityUpdated = event.decode_event()?;
                (
                    Kind::Community,
                    Entry {
                        id: e.community_id,
                        name: e.name,
                        kind: e.kind,
                        parent: e.township,
                    },
                )
            } else {
                return Ok(());
            };
            if entry.id.is_empty() {
                return Ok(());
            }
            directory::upsert(tx, kind, &entry, now_micros()).await?;
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM known_organisations")
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM known_communities")
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}

/// Adds verified volunteer minutes to the project they were served for.
struct HoursHandler;

impl Handler for HoursHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let hours: HoursVerified = event.decode_event()?;
            if !hours.project_id.is_empty()
                && hours.minutes > 0
                && !add_totals(
                    tx,
                    &hours.project_id,
                    Total::VolunteerMinutes,
                    hours.minutes,
                )
                .await?
            {
                tracing::warn!(
                    project_id = %hours.project_id,
                    record_id = %hours.record_id,
                    "verified hours name a project this service does not know; not counted"
                );
            }
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            sqlx::query("UPDATE projects SET volunteer_minutes = 0")
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}

/// Adds disbursed grants to the project they fund.
struct GrantsHandler;

impl Handler for GrantsHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let grant: GrantDisbursed = event.decode_event()?;
            if !grant.project_id.is_empty() && grant.amount_fen > 0 {
                add_totals(tx, &grant.project_id, Total::FundedFen, grant.amount_fen).await?;
            }
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            sqlx::query("UPDATE projects SET funded_fen = 0")
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}
