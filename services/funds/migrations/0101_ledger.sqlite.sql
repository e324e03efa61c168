-- The charity ledger: funds are accounts of a double-entry journal whose entries are
-- append-only (the database refuses UPDATE and DELETE) and hash-chained.

ALTER TABLE known_projects ADD COLUMN status TEXT NOT NULL DEFAULT 'DRAFT';

CREATE TABLE funds (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    request_hash  TEXT NOT NULL,
    name          TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    -- Kept with every posting, in the same transaction; VerifyLedger recomputes it.
    balance_fen   BIGINT NOT NULL CHECK (balance_fen >= 0),
    raised_fen    BIGINT NOT NULL,
    disbursed_fen BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE journal_transactions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,           -- DONATION, REFUND, DISBURSEMENT
    reference_id TEXT NOT NULL,           -- the donation or grant
    period       TEXT NOT NULL,           -- YYYY-MM of booked_on
    booked_on    TEXT NOT NULL,           -- YYYY-MM-DD
    created_at   BIGINT NOT NULL
);

CREATE TABLE journal_entries (
    seq            BIGINT PRIMARY KEY,    -- the chain's order, from 1
    transaction_id TEXT NOT NULL,
    account        TEXT NOT NULL,         -- fund:<id>, donors, beneficiaries
    amount_fen     BIGINT NOT NULL,       -- signed; a transaction's entries sum to zero
    period         TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX journal_entries_by_account ON journal_entries (account, recorded_at);
CREATE INDEX journal_entries_by_transaction ON journal_entries (transaction_id);

-- The end of the chain; its row lock serializes postings.
CREATE TABLE ledger_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO ledger_head (id, last_seq, last_hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: UPDATE refused');
END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: DELETE refused');
END;
CREATE TRIGGER journal_transactions_no_update BEFORE UPDATE ON journal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: UPDATE refused');
END;
CREATE TRIGGER journal_transactions_no_delete BEFORE DELETE ON journal_transactions
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: DELETE refused');
END;

CREATE TABLE receipt_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE donations (
    id                    TEXT PRIMARY KEY,
    idempotency_key       TEXT NOT NULL UNIQUE,
    request_hash          TEXT NOT NULL,
    receipt_number        TEXT NOT NULL UNIQUE,
    fund_id               TEXT NOT NULL,
    donor_kind            TEXT NOT NULL,
    donor_sealed          TEXT,           -- a person's name, sealed under pii.key
    donor_display         TEXT NOT NULL,
    amount_fen            BIGINT NOT NULL,
    channel               TEXT NOT NULL,
    received_on           TEXT NOT NULL,
    refunded              SMALLINT NOT NULL DEFAULT 0,
    refund_reason         TEXT,
    created_at            BIGINT NOT NULL
);
CREATE INDEX donations_by_fund ON donations (fund_id, id);

CREATE TABLE grants (
    id                 TEXT PRIMARY KEY,
    request_id         TEXT NOT NULL UNIQUE,
    request_hash       TEXT NOT NULL,
    fund_id            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    beneficiary_ref    TEXT NOT NULL,
    project_id         TEXT,
    items              TEXT NOT NULL,     -- name<US>quantity<RS>…
    amount_fen         BIGINT NOT NULL,
    status             TEXT NOT NULL,
    requested_by       TEXT NOT NULL,
    approvals_required INTEGER NOT NULL,
    reason             TEXT,
    created_at         BIGINT NOT NULL,
    disbursed_at       BIGINT,
    version            BIGINT NOT NULL
);
CREATE INDEX grants_by_fund ON grants (fund_id, id);
CREATE INDEX grants_by_status ON grants (status, id);
CREATE INDEX grants_by_project ON grants (project_id, id);

CREATE TABLE grant_approvals (
    grant_id    TEXT NOT NULL,
    approver    TEXT NOT NULL,
    approved_at BIGINT NOT NULL,
    PRIMARY KEY (grant_id, approver)
);

CREATE TABLE closed_periods (
    period    TEXT PRIMARY KEY,
    closed_at BIGINT NOT NULL
);
