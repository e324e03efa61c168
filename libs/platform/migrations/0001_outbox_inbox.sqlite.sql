-- Events waiting to be published: written in the same transaction as the state change.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    subject      TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    payload      BLOB NOT NULL,
    traceparent  TEXT,
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

-- Events this service has applied, per consumer: a redelivered event is seen here and skipped.
CREATE TABLE inbox (
    consumer    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
