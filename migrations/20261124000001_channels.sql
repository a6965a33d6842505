-- Channels speak real messenger protocols (B1–B5, E3, E11): inbound ingest, files, delivery.

-- Who wrote a message in a group chat (the dialog's client is the group), and when the
-- messenger says it was written or last edited.
ALTER TABLE messages
    ADD COLUMN sender_name text CHECK (length(sender_name) <= 300),
    ADD COLUMN edited_at   timestamptz;

-- Files of a message (E3). Inbound files are fetched from the messenger by a job after the
-- webhook has been answered; `source` says where to fetch them from.
CREATE TABLE attachments (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL,
    message_id  bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('image', 'document', 'voice', 'audio', 'video', 'sticker')),
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 300),
    mime_type   text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes  bigint,
    source      text,
    storage_key text,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'failed')),
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, message_id) REFERENCES messages(account_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_message ON attachments (message_id);

-- Slow work done after a request has been answered (fetching files, ...), claimed by
-- workers with FOR UPDATE SKIP LOCKED, retried with back-off.
CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind         text NOT NULL,
    payload      jsonb NOT NULL,
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (run_at);

-- Delivery keeps the order of messages within a dialog: only the oldest waiting message of
-- a dialog is sent. `locked_until` is set while an attempt is in flight; a row found with it
-- set and expired was being sent when a server died.
ALTER TABLE outbox
    ADD COLUMN dialog_id    bigint,
    ADD COLUMN locked_until timestamptz;
UPDATE outbox o SET dialog_id = m.dialog_id FROM messages m WHERE m.id = o.message_id;
ALTER TABLE outbox ALTER COLUMN dialog_id SET NOT NULL;
CREATE INDEX outbox_dialog ON outbox (dialog_id, id);
CREATE UNIQUE INDEX outbox_message ON outbox (message_id);

-- Clients are matched across channels by phone (E.164) and email, so one person does not
-- split into two clients.
CREATE INDEX clients_phone ON clients (account_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX clients_email ON clients (account_id, lower(email)) WHERE email IS NOT NULL;
