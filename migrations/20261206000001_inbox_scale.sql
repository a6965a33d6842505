-- The inbox at scale (C1–C5, C9, F1): filters, search, tags and folders that stay fast on
-- a million dialogs.

-- "Waiting for our reply" (C5): when the client's oldest unanswered message came. Set by
-- the first inbound message after our last reply, cleared by our next reply; notes and
-- system messages leave it alone.
ALTER TABLE dialogs ADD COLUMN waiting_since timestamptz;
UPDATE dialogs SET waiting_since = last_message_at
 WHERE last_message_direction = 'in' AND status <> 'closed';

-- The list is read newest first within a status group, a line or an assignee. Each index
-- below gives the planner one ordered walk that stops after a page; `status = ANY(…)` is
-- then a filter, not an index condition (which would cost the order on PostgreSQL 15).
DROP INDEX dialogs_inbox;
CREATE INDEX dialogs_active_order ON dialogs (account_id, last_message_at DESC, id DESC)
    WHERE status <> 'closed';
DROP INDEX dialogs_assignee;
CREATE INDEX dialogs_assignee ON dialogs (account_id, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX dialogs_line ON dialogs (account_id, line_id, last_message_at DESC, id DESC);
CREATE INDEX dialogs_waiting ON dialogs (account_id, waiting_since)
    WHERE waiting_since IS NOT NULL AND status <> 'closed';

-- Tags (F1): looked up by tag for the filter; colours are #rrggbb.
CREATE INDEX dialog_tags_tag ON dialog_tags (tag_id, dialog_id);
CREATE INDEX client_tags_tag ON client_tags (tag_id, client_id);
UPDATE tags SET color = '#8a8f98' WHERE color !~ '^#[0-9a-f]{6}$';
ALTER TABLE tags ADD CONSTRAINT tags_color_hex CHECK (color ~ '^#[0-9a-f]{6}$');

-- Search (C4). Messages by words and word beginnings: the Russian configuration stems
-- Russian and English words alike and folds ё into е. The trigram index it replaces was
-- never read and cost as much on every insert.
DROP INDEX messages_body_trgm;
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('russian', body)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);

-- Clients by any part of the name, phone (digits alone too), username or email.
DROP INDEX clients_name_trgm;
ALTER TABLE clients ADD COLUMN search_text text GENERATED ALWAYS AS (
    lower(name || ' ' || coalesce(phone, '') || ' '
          || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '') || ' '
          || coalesce(username, '') || ' ' || coalesce(email, ''))
) STORED;
CREATE INDEX clients_search ON clients USING gin (search_text gin_trgm_ops);

-- Folders (C5): a user's saved filters in the sidebar, in their order. `filter` is the
-- canonical query string of the filter (domain::filter).
CREATE TABLE folders (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL,
    user_id     bigint NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    filter      text NOT NULL CHECK (length(filter) <= 4096),
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX folders_user ON folders (user_id, position, id);
