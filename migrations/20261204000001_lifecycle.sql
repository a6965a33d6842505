-- The dialog lifecycle (D1–D6, D11): close reasons as a catalogue the report counts by,
-- who closed a dialog, copies passed for review, and system messages as structured events
-- (each user reads them in their own language).

ALTER TABLE close_reasons
    ADD COLUMN position integer NOT NULL DEFAULT 0,
    -- A reason in use is archived rather than deleted: closed dialogs keep it.
    ADD COLUMN archived boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT close_reasons_name_length CHECK (length(name) BETWEEN 1 AND 100),
    ADD CONSTRAINT close_reasons_account_id_key UNIQUE (account_id, id);

ALTER TABLE dialogs
    ADD COLUMN close_reason_id bigint,
    ADD COLUMN closed_by_id bigint,
    -- A dialog passed for review is a copy of messages of this one (D8).
    ADD COLUMN review_of_id bigint,
    ADD FOREIGN KEY (account_id, close_reason_id) REFERENCES close_reasons(account_id, id),
    ADD FOREIGN KEY (account_id, closed_by_id) REFERENCES users(account_id, id),
    ADD FOREIGN KEY (account_id, review_of_id) REFERENCES dialogs(account_id, id) ON DELETE SET NULL (review_of_id);

UPDATE dialogs d SET close_reason_id = r.id
  FROM close_reasons r
 WHERE r.account_id = d.account_id AND r.name = d.close_reason AND d.close_reason IS NOT NULL;

-- The close-reason report reads closed dialogs of a period.
CREATE INDEX dialogs_closed_at ON dialogs (account_id, closed_at) WHERE status = 'closed';
-- Redirected dialogs and those passed for review wait in their target's New list.
CREATE INDEX dialogs_queue_user ON dialogs (queue_user_id) WHERE queue_user_id IS NOT NULL;
CREATE INDEX dialogs_queue_group ON dialogs (queue_group_id) WHERE queue_group_id IS NOT NULL;

-- The event of a system message ({"event": "accepted", "by": "Olga"}, ...); the body keeps
-- the English sentence for the API and search.
ALTER TABLE messages ADD COLUMN system jsonb;
