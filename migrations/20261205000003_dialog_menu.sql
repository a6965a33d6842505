-- C6 dialog menu. The first page of every list section reads the user's pinned dialogs
-- (Favorites); this partial index keeps that a short lookup however many dialogs the user
-- has read.
CREATE INDEX dialog_user_state_pinned ON dialog_user_state (user_id, dialog_id) WHERE pinned;
