//! `xingfu events tail`: xingfu's events from JetStream, decoded with the descriptor set,
//! as JSON lines (or one readable line each), for people and internal tools.

use std::io::Write;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use futures_util::StreamExt as _;
use prost_reflect::{DescriptorPool, DynamicMessage};
use xingfu_platform::db::Database;
use xingfu_platform::events::{JetStreamBus, ReplayFrom};
use xingfu_platform::{ServiceName, Settings};

/// Where to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Only events published from now on.
    Now,
    /// From this moment (microseconds since the epoch).
    Time(i64),
    /// From this stream sequence number (of every stream).
    Sequence(u64),
    /// From the start of every stream.
    Start,
}

impl std::str::FromStr for Since {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "start" | "all" => Ok(Since::Start),
            "now" => Ok(Since::Now),
            _ => {
                if let Ok(sequence) = text.parse::<u64>() {
                    return Ok(Since::Sequence(sequence));
                }
                let micros = xingfu_platform::time::from_rfc3339(text)
                    .or_else(|| xingfu_platform::time::from_rfc3339(&format!("{text}T00:00:00Z")))
                    .ok_or_else(|| format!("{text:?} is not a time (RFC 3339, UTC), a date, a sequence number, start or now"))?;
                Ok(Since::Time(micros))
            }
        }
    }
}

/// What to show.
#[derive(Debug, Clone)]
pub struct Tail {
    /// A NATS subject filter (`xingfu.projects.>`); every xingfu event when absent.
    pub subject: Option<String>,
    /// Where to start.
    pub since: Since,
    /// JSON lines instead of readable lines.
    pub json: bool,
    /// Stop after this many events.
    pub count: Option<usize>,
}

/// Prints events as `tail` says until `count` is reached (or forever).
pub async fn tail(settings: &Settings, tail: &Tail, out: &mut impl Write) -> anyhow::Result<()> {
    let url = settings
        .nats
        .url
        .as_ref()
        .context("events tail needs a NATS server (nats.url)")?;
    // The bus's connection: a cluster's list of URLs and credentials are handled as serve does.
    let bus = JetStreamBus::connect(url.expose(), &settings.nats).await?;
    let js = bus.context().clone();
    let pool = DescriptorPool::decode(xingfu_proto::FILE_DESCRIPTOR_SET)?;
    let prefix = format!("{}_", settings.nats.prefix.to_uppercase());
    let names: Vec<String> = js
        .stream_names()
        .filter_map(|name| async move { name.ok() })
        .filter(|name| std::future::ready(name.starts_with(&prefix)))
        .collect()
        .await;
    let deliver_policy = match tail.since {
        Since::Now => DeliverPolicy::New,
        Since::Start => DeliverPolicy::All,
        Since::Sequence(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
        Since::Time(micros) => DeliverPolicy::ByStartTime {
            start_time: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
                .context("the start time is out of range")?,
        },
    };
    let mut streams = Vec::new();
    for name in names {
        let stream = js.get_stream(&name).await?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                deliver_policy,
                ..Default::default()
            })
            .await
            .with_context(|| format!("reading stream {name}"))?;
        streams.push(
            consumer
                .messages()
                .await?
                .map(move |m| (name.clone(), m))
                .boxed(),
        );
    }
    anyhow::ensure!(
        !streams.is_empty(),
        "no xingfu streams under the prefix {:?}",
        settings.nats.prefix
    );
    let mut merged = futures_util::stream::select_all(streams);
    let mut shown = 0;
    while tail.count.is_none_or(|count| shown < count) {
        let Some((stream, message)) = merged.next().await else {
            break;
        };
        let message = message.map_err(|e| anyhow::anyhow!(e))?;
        if let Some(filter) = &tail.subject
            && !subject_matches(filter, message.subject.as_str())
        {
            continue;
        }
        let line = render(&pool, &stream, &message, tail.json);
        writeln!(out, "{line}")?;
        out.flush()?;
        shown += 1;
    }
    Ok(())
}

fn render(
    pool: &DescriptorPool,
    stream: &str,
    message: &jetstream::message::Message,
    json: bool,
) -> String {
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default()
    };
    let event_type = header("ce-type");
    let data = pool
        .get_message_by_name(&event_type)
        .and_then(|descriptor| DynamicMessage::decode(descriptor, message.payload.clone()).ok())
        .and_then(|decoded| serde_json::to_value(&decoded).ok())
        .unwrap_or(serde_json::Value::Null);
    let sequence = message.info().map(|i| i.stream_sequence).unwrap_or(0);
    if json {
        serde_json::json!({
            "stream": stream,
            "sequence": sequence,
            "subject": message.subject.as_str(),
            "id": header("ce-id"),
            "type": event_type,
            "source": header("ce-source"),
            "time": header("ce-time"),
            "about": header("ce-subject"),
            "traceparent": header("traceparent"),
            "data": data,
        })
        .to_string()
    } else {
        format!(
            "{} {} {} {}",
            header("ce-time"),
            message.subject,
            header("ce-subject"),
            data
        )
    }
}

/// Rebuilds (from `start`) or repairs (from a sequence or time) the read models of
/// `service` from its source streams; one line per subscription on `out`.
pub async fn replay(
    settings: &Settings,
    service: ServiceName,
    since: Since,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let url = settings
        .nats
        .url
        .as_ref()
        .context("events replay needs a NATS server (nats.url)")?;
    let bus = JetStreamBus::connect(url.expose(), &settings.nats).await?;
    let def = crate::SERVICES
        .into_iter()
        .find(|def| def.name == service)
        .context("no such service")?;
    let db = Database::open(settings, service).await?;
    db.migrate(def.migrations).await?;
    let from = match since {
        Since::Start => ReplayFrom::Start,
        Since::Now => {
            anyhow::bail!("replay from now would replay nothing; use start, a time or a sequence")
        }
        Since::Sequence(sequence) => ReplayFrom::Sequence(sequence),
        Since::Time(micros) => ReplayFrom::Time(micros),
    };
    let subscriptions = (def.subscriptions)(&db);
    if subscriptions.is_empty() {
        writeln!(out, "{service} consumes no events")?;
    }
    for subscription in &subscriptions {
        let replayed = bus.replay(subscription, from).await?;
        writeln!(
            out,
            "{}: applied {}, already applied {}",
            subscription.consumer, replayed.applied, replayed.skipped
        )?;
    }
    db.close().await;
    Ok(())
}

/// NATS subject matching: `*` one token, `>` the rest.
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut wanted = filter.split('.');
    let mut given = subject.split('.');
    loop {
        match (wanted.next(), given.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(w), Some(g)) if w == g => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_like_nats() {
        assert!(subject_matches(
            "xingfu.projects.>",
            "xingfu.projects.project_created.v1"
        ));
        assert!(subject_matches(
            "xingfu.*.project_created.v1",
            "xingfu.projects.project_created.v1"
        ));
        assert!(!subject_matches(
            "xingfu.funds.>",
            "xingfu.projects.project_created.v1"
        ));
        assert!(!subject_matches(
            "xingfu.projects",
            "xingfu.projects.project_created.v1"
        ));
        assert!(!subject_matches("xingfu.projects.>", "xingfu.projects"));
    }

    #[test]
    fn since_reads_times_dates_sequences_and_words() {
        assert_eq!("start".parse::<Since>(), Ok(Since::Start));
        assert_eq!("42".parse::<Since>(), Ok(Since::Sequence(42)));
        assert_eq!(
            "2026-11-29".parse::<Since>(),
            Ok(Since::Time(1_795_910_400_000_000))
        );
        assert_eq!(
            "2026-11-29T00:00:00Z".parse::<Since>(),
            Ok(Since::Time(1_795_910_400_000_000))
        );
        assert!("yesterday".parse::<Since>().is_err());
    }
}
