//! NATS JetStream: one stream per producing service (`<PREFIX>_<SERVICE>` over
//! `<prefix>.<service>.>`), durable pull consumers with explicit acks.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use futures_util::{FutureExt as _, StreamExt as _};
use percent_encoding::{CONTROLS, utf8_percent_encode};
use tokio_util::sync::CancellationToken;

use super::{Envelope, Subscription, apply, apply_batch, backoff, headers};
use crate::name::ServiceName;
use crate::settings::NatsSettings;
use crate::time::to_rfc3339;

/// Most messages applied in one transaction: what had arrived when the first was read.
const CONSUME_BATCH: usize = 64;

/// A JetStream connection and the settings its streams and consumers are made with.
#[derive(Clone, Debug)]
pub struct JetStreamBus {
    context: jetstream::Context,
    settings: NatsSettings,
}

impl JetStreamBus {
    /// Connects to the NATS server(s) at `urls` (comma-separated for a cluster).
    /// Credentials in the URLs are handed to the client separately, so the addresses it
    /// logs carry none.
    pub async fn connect(urls: &str, settings: &NatsSettings) -> anyhow::Result<Self> {
        let mut options = async_nats::ConnectOptions::new()
            .name("xingfu")
            .retry_on_initial_connect();
        let mut servers = Vec::new();
        let mut credentials = None;
        for url in urls.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            let mut parsed = url::Url::parse(url)
                .context("nats.url is not a URL (or a comma-separated list)")?;
            if credentials.is_none() && !parsed.username().is_empty() {
                credentials = Some((
                    parsed.username().to_owned(),
                    parsed.password().map(str::to_owned),
                ));
            }
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            servers.push(parsed.to_string());
        }
        match credentials {
            Some((user, Some(password))) => options = options.user_and_password(user, password),
            Some((token, None)) => options = options.token(token),
            None => {}
        }
        let client = options
            .connect(servers)
            .await
            .context("connecting to NATS (nats.url)")?;
        Ok(Self {
            context: jetstream::new(client),
            settings: settings.clone(),
        })
    }

    /// The subject prefix.
    pub fn prefix(&self) -> &str {
        &self.settings.prefix
    }

    /// The consumer filter of `sub`. One subject goes in `filter_subject`, which every
    /// server honours; several need `filter_subjects`, which servers before 2.10 ignore.
    fn filter(&self, sub: &Subscription) -> Filter {
        let mut subjects: Vec<String> = sub
            .subjects
            .iter()
            .map(|s| format!("{}.{s}", self.prefix()))
            .collect();
        if subjects.len() == 1 {
            Filter {
                subject: subjects.pop().unwrap_or_default(),
                subjects: Vec::new(),
            }
        } else {
            Filter {
                subject: String::new(),
                subjects,
            }
        }
    }

    /// Whether `sub` asked for `subject`: a server that ignored the filter delivers the
    /// whole stream, and what was not asked for is acknowledged unread.
    fn wants(&self, sub: &Subscription, subject: &str) -> bool {
        subject
            .strip_prefix(self.prefix())
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| sub.subjects.contains(&rest))
    }

    /// The JetStream context, for tools and tests.
    pub fn context(&self) -> &jetstream::Context {
        &self.context
    }

    /// The stream name of `service`: `XINGFU_PROJECTS`.
    pub fn stream_name(&self, service: ServiceName) -> String {
        format!("{}_{}", self.prefix(), service.as_str())
            .to_uppercase()
            .replace('-', "_")
    }

    /// Creates or updates `service`'s stream.
    pub async fn ensure_stream(&self, service: ServiceName) -> anyhow::Result<()> {
        let config = self.stream_config(
            self.stream_name(service),
            format!("xingfu {service} events"),
            format!("{}.{}.>", self.prefix(), service.as_str()),
        );
        self.context
            .create_or_update_stream(config)
            .await
            .with_context(|| format!("creating the {service} event stream"))?;
        Ok(())
    }

    /// A stream with the configured retention, replicas and de-duplication window.
    fn stream_config(&self, name: String, description: String, subject: String) -> stream::Config {
        stream::Config {
            name,
            description: Some(description),
            subjects: vec![subject],
            max_age: Duration::from_secs(self.settings.max_age_days * 24 * 3600),
            max_bytes: self.settings.max_megabytes.saturating_mul(1024 * 1024),
            storage: stream::StorageType::File,
            num_replicas: self.settings.replicas,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        }
    }

    /// Sends every event, then waits for the acks in order; returns the acked prefix.
    pub async fn publish(&self, batch: &[Envelope]) -> usize {
        let mut pending = Vec::with_capacity(batch.len());
        for envelope in batch {
            match self
                .context
                .publish_with_headers(
                    envelope.subject.clone(),
                    nats_headers(envelope),
                    envelope.payload.clone(),
                )
                .await
            {
                Ok(ack) => pending.push(ack),
                Err(err) => {
                    tracing::warn!(error = %err, subject = %envelope.subject, "publish failed");
                    break;
                }
            }
        }
        let mut acked = 0;
        for ack in pending {
            match ack.await {
                Ok(_) => acked += 1,
                Err(err) => {
                    tracing::warn!(error = %err, "publish not acknowledged");
                    break;
                }
            }
        }
        acked
    }

    /// Consumes `subscription` with a durable pull consumer until `shutdown`,
    /// reconnecting after errors.
    pub fn spawn_consumer(
        &self,
        subscription: Subscription,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                if let Err(err) = bus.consume(&subscription, &shutdown).await {
                    tracing::warn!(consumer = %subscription.consumer, error = %err, "consumer stopped; restarting");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        })
    }

    async fn consume(
        &self,
        sub: &Subscription,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        self.ensure_stream(sub.source).await?;
        self.ensure_dead_letter_stream().await?;
        let stream = self
            .context
            .get_stream(self.stream_name(sub.source))
            .await?;
        let filter = self.filter(sub);
        let consumer = stream
            .create_consumer(pull::Config {
                durable_name: Some(sub.consumer.clone()),
                filter_subject: filter.subject,
                filter_subjects: filter.subjects,
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(self.settings.ack_wait_secs),
                max_deliver: self.settings.max_deliver,
                ..Default::default()
            })
            .await
            .with_context(|| format!("creating consumer {}", sub.consumer))?;
        let mut messages = consumer.messages().await?;
        loop {
            let first = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            // What has already arrived behind the first message is applied with it.
            let mut received = vec![first];
            while received.len() < CONSUME_BATCH {
                match messages.next().now_or_never() {
                    Some(next) => received.push(next),
                    None => break,
                }
            }
            let mut batch = Vec::with_capacity(received.len());
            for next in received {
                let message = match next {
                    Some(message) => message.map_err(|e| anyhow::anyhow!(e))?,
                    None => anyhow::bail!("message stream ended"),
                };
                if let Some(event) = self.admit(sub, &message).await? {
                    batch.push((message, event));
                }
            }
            let events: Vec<Envelope> = batch.iter().map(|(_, event)| event.clone()).collect();
            if batch.len() > 1 && apply_batch(sub, &events).await.is_ok() {
                for (message, _) in &batch {
                    message.ack().await.map_err(|e| anyhow::anyhow!(e))?;
                }
                continue;
            }
            for (message, event) in &batch {
                self.settle(sub, message, event).await?;
            }
        }
    }

    /// The event `message` carries, if this subscription is to apply it. What it did not
    /// ask for is acknowledged unread; a message without an id is dead-lettered.
    async fn admit(
        &self,
        sub: &Subscription,
        message: &jetstream::Message,
    ) -> anyhow::Result<Option<Envelope>> {
        if !self.wants(sub, &message.subject) {
            message.ack().await.map_err(|e| anyhow::anyhow!(e))?;
            return Ok(None);
        }
        let (delivered, pending) = message.info().map_or((1, 0), |i| (i.delivered, i.pending));
        let consumer = sub.consumer.clone();
        metrics::gauge!("xingfu_consumer_pending", "consumer" => consumer.clone())
            .set(pending as f64);
        if delivered > 1 {
            metrics::counter!("xingfu_events_redelivered_total", "consumer" => consumer)
                .increment(1);
        }
        let Some(envelope) = envelope_of(message) else {
            tracing::error!(subject = %message.subject, "event without an id; dead-lettering it");
            self.dead_letter(sub, message, "the message has no ce-id header", delivered)
                .await?;
            message
                .ack_with(AckKind::Term)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            return Ok(None);
        };
        Ok(Some(envelope))
    }

    /// Applies one event on its own and settles its message: acknowledged when applied,
    /// redelivered after a backoff when it failed, dead-lettered when it failed too often.
    async fn settle(
        &self,
        sub: &Subscription,
        message: &jetstream::Message,
        envelope: &Envelope,
    ) -> anyhow::Result<()> {
        let delivered = message.info().map_or(1, |i| i.delivered);
        match apply(sub, envelope).await {
            Ok(_) => message.ack().await.map_err(|e| anyhow::anyhow!(e))?,
            Err(err) if delivered >= self.settings.max_deliver => {
                // Given up: parked with its reason, and the stream moves on.
                tracing::error!(consumer = %sub.consumer, event_id = %envelope.id, delivered,
                    error = %err, "event dead-lettered");
                self.dead_letter(sub, message, &format!("{err:#}"), delivered)
                    .await?;
                message
                    .ack_with(AckKind::Term)
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
            }
            Err(err) => {
                tracing::warn!(consumer = %sub.consumer, event_id = %envelope.id, delivered,
                    error = %err, "event failed; it will be redelivered");
                message
                    .ack_with(AckKind::Nak(Some(backoff(delivered))))
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
            }
        }
        Ok(())
    }

    /// The dead-letter stream's name: `XINGFU_DEAD_LETTERS`.
    pub fn dead_letter_stream(&self) -> String {
        format!(
            "{}_DEAD_LETTERS",
            self.prefix().to_uppercase().replace('-', "_")
        )
    }

    /// Creates or updates the dead-letter stream (`<prefix>.dead_letters.>`).
    pub async fn ensure_dead_letter_stream(&self) -> anyhow::Result<()> {
        let config = self.stream_config(
            self.dead_letter_stream(),
            "xingfu events that consumers gave up on, with the reason".into(),
            format!("{}.dead_letters.>", self.prefix()),
        );
        self.context
            .create_or_update_stream(config)
            .await
            .context("creating the dead-letter stream")?;
        Ok(())
    }

    /// Parks `message` on `<prefix>.dead_letters.<consumer>` with its original headers, its
    /// subject, the consumer, the deliveries and the reason.
    async fn dead_letter(
        &self,
        sub: &Subscription,
        message: &jetstream::Message,
        reason: &str,
        delivered: i64,
    ) -> anyhow::Result<()> {
        let mut headers = message.headers.clone().unwrap_or_default();
        let id = headers
            .get(headers::ID)
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        headers.insert(headers::MSG_ID, format!("{id}:{}", sub.consumer).as_str());
        headers.insert(DEAD_LETTER_SUBJECT, message.subject.as_str());
        headers.insert(DEAD_LETTER_CONSUMER, sub.consumer.as_str());
        headers.insert(DEAD_LETTER_DELIVERIES, delivered.to_string().as_str());
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control())
            .take(1000)
            .collect();
        headers.insert(DEAD_LETTER_REASON, reason.as_str());
        let subject = format!("{}.dead_letters.{}", self.prefix(), sub.consumer);
        self.context
            .publish_with_headers(subject, headers, message.payload.clone())
            .await
            .map_err(|e| anyhow::anyhow!(e))?
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        metrics::counter!("xingfu_events_dead_lettered_total", "consumer" => sub.consumer.clone())
            .increment(1);
        Ok(())
    }
}

/// Where a replay starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    /// The start of the stream: the read model is emptied first, then rebuilt.
    Start,
    /// This stream sequence: events not yet applied are applied (a repair).
    Sequence(u64),
    /// This moment (microseconds): as `Sequence`, from the first event at or after it.
    Time(i64),
}

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Events applied.
    pub applied: u64,
    /// Events skipped as applied already.
    pub skipped: u64,
}

impl JetStreamBus {
    /// Replays `sub`'s events from its source stream into its read model. From the start,
    /// the handler's read model and the consumer's inbox are emptied first, so the model is
    /// rebuilt exactly; from a later point, events already applied are skipped by the inbox.
    pub async fn replay(&self, sub: &Subscription, from: ReplayFrom) -> anyhow::Result<Replayed> {
        if from == ReplayFrom::Start {
            let mut tx = sub.db.begin().await?;
            sub.handler
                .reset(&mut tx)
                .await
                .map_err(|e| anyhow::anyhow!("resetting {}: {e}", sub.consumer))?;
            sqlx::query("DELETE FROM inbox WHERE consumer = $1")
                .bind(&sub.consumer)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        let mut stream = self
            .context
            .get_stream(self.stream_name(sub.source))
            .await?;
        let last = stream.info().await?.state.last_sequence;
        let mut replayed = Replayed::default();
        if last == 0 {
            return Ok(replayed);
        }
        let deliver_policy = match from {
            ReplayFrom::Start => jetstream::consumer::DeliverPolicy::All,
            ReplayFrom::Sequence(start_sequence) => {
                jetstream::consumer::DeliverPolicy::ByStartSequence { start_sequence }
            }
            ReplayFrom::Time(micros) => jetstream::consumer::DeliverPolicy::ByStartTime {
                start_time: time::OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(micros) * 1_000,
                )
                .context("the start time is out of range")?,
            },
        };
        let filter = self.filter(sub);
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: filter.subject,
                filter_subjects: filter.subjects,
                deliver_policy,
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(2), messages.next()).await;
            let Ok(Some(message)) = next else { break };
            let message = message.map_err(|e| anyhow::anyhow!(e))?;
            let info = message.info().map_err(|e| anyhow::anyhow!(e))?;
            let (sequence, pending) = (info.stream_sequence, info.pending);
            if let Some(envelope) = envelope_of(&message)
                && self.wants(sub, &message.subject)
            {
                if apply(sub, &envelope).await? {
                    replayed.applied += 1;
                } else {
                    replayed.skipped += 1;
                }
            }
            if pending == 0 || sequence >= last {
                break;
            }
        }
        Ok(replayed)
    }
}

/// A consumer's subject filter, in the fields the server understands.
struct Filter {
    subject: String,
    subjects: Vec<String>,
}

/// Header of a dead letter: the subject it was published on.
pub const DEAD_LETTER_SUBJECT: &str = "xingfu-original-subject";
/// Header of a dead letter: the consumer that gave up.
pub const DEAD_LETTER_CONSUMER: &str = "xingfu-consumer";
/// Header of a dead letter: how many deliveries were tried.
pub const DEAD_LETTER_DELIVERIES: &str = "xingfu-deliveries";
/// Header of a dead letter: why the last delivery failed.
pub const DEAD_LETTER_REASON: &str = "xingfu-dead-letter-reason";

fn nats_headers(envelope: &Envelope) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(headers::MSG_ID, envelope.id.as_str());
    map.insert(headers::SPEC_VERSION, "1.0");
    map.insert(headers::ID, envelope.id.as_str());
    map.insert(headers::TYPE, envelope.event_type.as_str());
    map.insert(
        headers::SOURCE,
        format!("/xingfu/{}", envelope.source).as_str(),
    );
    map.insert(headers::TIME, to_rfc3339(envelope.time_micros).as_str());
    map.insert(headers::SUBJECT, envelope.aggregate_id.as_str());
    map.insert(headers::CONTENT_TYPE, headers::PROTOBUF);
    if let Some(traceparent) = &envelope.traceparent {
        map.insert(headers::TRACEPARENT, traceparent.as_str());
    }
    // Ids come from the call, not from this code: encoded so no character can break a
    // header (a line break would make the client refuse the message for ever).
    let safe = |value: &str| utf8_percent_encode(value, CONTROLS).to_string();
    if !envelope.acting.caller.is_empty() {
        map.insert(headers::CALLER, safe(&envelope.acting.caller).as_str());
    }
    if let Some(person) = &envelope.acting.on_behalf_of {
        map.insert(headers::ON_BEHALF_OF, safe(person).as_str());
    }
    map
}

fn envelope_of(message: &jetstream::Message) -> Option<Envelope> {
    let h = message.headers.as_ref()?;
    let get = |name: &str| h.get(name).map(|v| v.as_str().to_owned());
    let source = get(headers::SOURCE).unwrap_or_default();
    Some(Envelope {
        id: get(headers::ID).or_else(|| get(headers::MSG_ID))?,
        subject: message.subject.to_string(),
        event_type: get(headers::TYPE).unwrap_or_default(),
        source: source.trim_start_matches("/xingfu/").to_owned(),
        aggregate_id: get(headers::SUBJECT).unwrap_or_default(),
        time_micros: get(headers::TIME)
            .and_then(|t| crate::time::from_rfc3339(&t))
            .unwrap_or(0),
        traceparent: get(headers::TRACEPARENT),
        acting: crate::acting::Acting {
            caller: get(headers::CALLER).unwrap_or_default(),
            on_behalf_of: get(headers::ON_BEHALF_OF),
        },
        payload: message.payload.clone(),
    })
}
