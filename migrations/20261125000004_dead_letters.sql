-- Webhook events the database refused for good (a value no table accepts): kept here with
-- the raw body and the reason, and answered 200, so the provider does not retry them forever
-- and the events after them get through.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    channel_id  bigint NOT NULL,
    -- The event's position in the webhook body (a body may carry several).
    event_index integer NOT NULL,
    body        bytea NOT NULL,
    error       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels(account_id, id) ON DELETE CASCADE
);
CREATE INDEX dead_letters_channel ON dead_letters (channel_id, id);
