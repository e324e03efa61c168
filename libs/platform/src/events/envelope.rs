//! An event as it travels: the protobuf payload and its CloudEvents attributes.

use bytes::Bytes;

/// NATS header names (CloudEvents NATS binding, W3C trace context, JetStream de-dup).
pub mod headers {
    /// JetStream de-duplication id: the event id.
    pub const MSG_ID: &str = "Nats-Msg-Id";
    /// CloudEvents spec version.
    pub const SPEC_VERSION: &str = "ce-specversion";
    /// CloudEvents id: the event id.
    pub const ID: &str = "ce-id";
    /// CloudEvents type: the protobuf message name.
    pub const TYPE: &str = "ce-type";
    /// CloudEvents source: `/xingfu/<service>`.
    pub const SOURCE: &str = "ce-source";
    /// CloudEvents time (RFC 3339).
    pub const TIME: &str = "ce-time";
    /// CloudEvents subject: the aggregate id.
    pub const SUBJECT: &str = "ce-subject";
    /// Content type of the payload.
    pub const CONTENT_TYPE: &str = "content-type";
    /// W3C trace context.
    pub const TRACEPARENT: &str = "traceparent";
    /// CloudEvents extension: the authenticated principal whose call caused the event.
    pub const CALLER: &str = "ce-xingfucaller";
    /// CloudEvents extension: the person a delegate named as the actor, when it did.
    pub const ON_BEHALF_OF: &str = "ce-xingfuonbehalfof";
    /// The protobuf content type.
    pub const PROTOBUF: &str = "application/protobuf";
}

/// One event, published or received.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Unique event id (a UUID), also the de-duplication key.
    pub id: String,
    /// Full subject (`xingfu.projects.project_created.v1`).
    pub subject: String,
    /// Protobuf message name.
    pub event_type: String,
    /// The producing service (`projects`).
    pub source: String,
    /// Id of the thing that changed (`ce-subject`).
    pub aggregate_id: String,
    /// When the event was written (in the change's transaction), microseconds since the
    /// epoch; 0 when a received message carried no readable `ce-time`.
    pub time_micros: i64,
    /// Trace context of the change that caused it.
    pub traceparent: Option<String>,
    /// Who acted: the caller whose call caused it and the person a delegate acted for
    /// (see [`crate::acting`]); empty for changes no call made.
    pub acting: crate::acting::Acting,
    /// The encoded protobuf message.
    pub payload: Bytes,
}

impl Envelope {
    /// Decodes the payload as `M`.
    pub fn decode<M: prost::Message + Default>(&self) -> Result<M, prost::DecodeError> {
        M::decode(self.payload.clone())
    }

    /// Decodes the payload as `M` for a handler: an undecodable payload is an error that
    /// names the event type (and, after `nats.max_deliver` tries, a dead letter).
    pub fn decode_event<M: prost::Message + Default>(&self) -> Result<M, crate::Error> {
        self.decode().map_err(|err| {
            crate::Error::Unexpected(anyhow::anyhow!("undecodable {}: {err}", self.event_type))
        })
    }

    /// The name used for spans: the message name without its package.
    pub fn short_type(&self) -> &str {
        self.event_type
            .rsplit('.')
            .next()
            .unwrap_or(&self.event_type)
    }
}
