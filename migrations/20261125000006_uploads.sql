-- Files operators send (E3): uploaded first, then attached to the message that sends them.
CREATE TABLE uploads (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL,
    user_id     bigint NOT NULL,
    file_name   text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 300),
    mime_type   text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes  bigint NOT NULL,
    storage_key text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX uploads_created ON uploads (created_at);

-- The provider's id of the part that carried this file: a message with several files goes
-- out as several provider messages, and a retry resumes after the last one accepted.
ALTER TABLE attachments ADD COLUMN external_id text;
