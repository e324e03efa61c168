//! What the projects service consumes, all in one place: the directory (to verify
//! organisation and community ids), grants (money per project) and verified volunteer
//! hours (minutes per project). What it publishes is in `xingfu_proto::events`.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, Transaction};
use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, Handler, Subscription};
use xingfu_platform::{Error, ServiceName};
use xingfu_proto::funds::GrantDisbursed;
use xingfu_proto::volunteers::HoursVerified;

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
        xingfu_directory::directory_subscription("projects-directory", db),
        subscription(
            "projects-hours",
            ServiceName::new("volunteers"),
            vec![HoursVerified::SUBJECT],
            Arc::new(HoursHandler),
        ),
        subscription(
            "projects-grants",
            ServiceName::new("funds"),
            vec![GrantDisbursed::SUBJECT],
            Arc::new(GrantsHandler),
        ),
    ]
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
