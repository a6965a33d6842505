-- Counters (C2) count open dialogs only: these let a count with a line or assignee filter,
-- or an operator's count over their lines, read the open dialogs alone (8 % of a large
-- account's dialogs) instead of every dialog the line or user ever had.
CREATE INDEX dialogs_open_assignee ON dialogs (account_id, assignee_id) WHERE status <> 'closed';
CREATE INDEX dialogs_open_line ON dialogs (account_id, line_id) WHERE status <> 'closed';
