-- Starting dialogs (C7) and WhatsApp templates (E6).

-- The subject of an email the operator starts a dialog with (later replies answer it), and
-- the approved WhatsApp template a message was sent as: {"name", "language", "variables"}.
ALTER TABLE messages
    ADD COLUMN subject  text CHECK (length(subject) BETWEEN 1 AND 500),
    ADD COLUMN template jsonb;

-- WhatsApp message templates approved for a channel's business account, as Meta lists them
-- (GET /{waba_id}/message_templates). Refreshed by a job; only approved ones are offered.
CREATE TABLE message_templates (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL,
    channel_id  bigint NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
    language    text NOT NULL CHECK (length(language) BETWEEN 1 AND 20),
    category    text NOT NULL DEFAULT '',
    status      text NOT NULL,
    -- The body text with its {{1}}, {{2}}… placeholders.
    body        text NOT NULL DEFAULT '',
    variables   integer NOT NULL DEFAULT 0 CHECK (variables BETWEEN 0 AND 100),
    synced_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, name, language),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels(account_id, id) ON DELETE CASCADE
);
