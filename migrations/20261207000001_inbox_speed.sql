-- "Waiting for our reply longer than N minutes" (C5), read in the list's order: the list
-- walks the waiting dialogs newest first and stops after a page, whatever N is. The index
-- by waiting time it replaces led the planner to read every waiting dialog and sort them
-- when it guessed few would match.
DROP INDEX dialogs_waiting;
CREATE INDEX dialogs_waiting ON dialogs (account_id, last_message_at DESC, id DESC)
    WHERE waiting_since IS NOT NULL AND status <> 'closed';

-- Search (C4) looks at what clients and operators wrote: system messages and deleted ones
-- are left out of the full-text index, so the index and the planner's word counts speak of
-- searchable messages only (a name common in system messages no longer looks common).
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN kind <> 'system' AND deleted_at IS NULL THEN to_tsvector('russian', body) END
) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
