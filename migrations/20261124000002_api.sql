-- F3: the REST API under /api/v1 for bots and automations, and outbound webhooks.

-- Per-user API tokens: a token acts with exactly the rights of its user. The token is
-- shown once when created; only its SHA-256 is stored, as for sessions.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL,
    user_id      bigint NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Where an account wants its events posted. `events` lists the event types wanted; empty
-- means all of them.
CREATE TABLE webhook_subscriptions (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    url         text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    secret      text NOT NULL CHECK (length(secret) BETWEEN 16 AND 200),
    events      text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, created_by) REFERENCES users(account_id, id) ON DELETE SET NULL (created_by)
);
-- Every published event looks up its account's active subscriptions.
CREATE INDEX webhook_subscriptions_account ON webhook_subscriptions (account_id) WHERE active;

-- One event to one subscription: the delivery queue and, once done, the delivery log.
-- Rows are written in the transaction of the event itself, so no event is lost between
-- the change and its webhook. `next_attempt_at` is NULL once nothing more will be tried:
-- delivered (`delivered_at` set) or given up (`delivered_at` NULL). There is no foreign key
-- to `events`: the log outlives the event stream's 48 hours, and housekeeping keeps an
-- event while a delivery of it is still pending.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    account_id      bigint NOT NULL,
    subscription_id bigint NOT NULL,
    event_id        bigint NOT NULL,
    event_type      text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz DEFAULT now(),
    locked_until    timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subscription_id, event_id),
    FOREIGN KEY (account_id, subscription_id)
        REFERENCES webhook_subscriptions(account_id, id) ON DELETE CASCADE
);
-- The due queue: only rows that still have attempts ahead.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE next_attempt_at IS NOT NULL;
-- Housekeeping asks whether an old event still has a pending delivery.
CREATE INDEX webhook_deliveries_pending_event ON webhook_deliveries (event_id)
    WHERE next_attempt_at IS NOT NULL;
-- The delivery log of one subscription, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, id DESC);
-- Pruning of finished deliveries by age.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at)
    WHERE next_attempt_at IS NULL;

-- Bots write clients' custom fields (F3): always an object, and bounded so that merging
-- patches cannot grow it without end.
ALTER TABLE clients
    ADD CONSTRAINT clients_custom_fields_object CHECK (jsonb_typeof(custom_fields) = 'object'),
    ADD CONSTRAINT clients_custom_fields_size CHECK (octet_length(custom_fields::text) <= 65536);
