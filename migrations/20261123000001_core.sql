-- The core of Dialogs: accounts, people, lines and channels, clients, dialogs, messages,
-- the events stream that drives live updates, and sign-in sessions.
-- Every row carries account_id; every query filters on it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE accounts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    -- Origins allowed to frame the app (A7), one per line of the settings screen.
    embed_origins text[] NOT NULL DEFAULT '{}',
    next_dialog_number bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE account_role AS ENUM ('owner', 'admin', 'supervisor', 'operator');

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    role          account_role NOT NULL DEFAULT 'operator',
    -- NULL follows the system (A5).
    theme         text CHECK (theme IN ('light', 'dark')),
    locale        text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'ru')),
    -- D8: one continuous history per client instead of separate dialogs.
    single_window boolean NOT NULL DEFAULT false,
    -- A8: reset the unread counter on opening a dialog instead of on replying.
    read_on_open  boolean NOT NULL DEFAULT true,
    notifications jsonb NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
-- An email signs in to exactly one account.
CREATE UNIQUE INDEX users_email_key ON users (email);

-- User groups ("roles" in the product's words): Sales, Support, ... Work is routed to them.
CREATE TABLE user_groups (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    UNIQUE (account_id, name),
    UNIQUE (account_id, id)
);

CREATE TABLE user_group_members (
    account_id  bigint NOT NULL,
    group_id    bigint NOT NULL,
    user_id     bigint NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES user_groups(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);

-- B1, B4: a line groups channel connections and carries routing and access rules.
CREATE TABLE lines (
    id                    bigserial PRIMARY KEY,
    account_id            bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    incoming_are_leads    boolean NOT NULL DEFAULT false,
    close_requires_reason boolean NOT NULL DEFAULT false,
    unknown_become_clients boolean NOT NULL DEFAULT true,
    responsible_user_id   bigint,
    responsible_group_id  bigint,
    auto_link_interests   boolean NOT NULL DEFAULT true,
    all_users_may_view    boolean NOT NULL DEFAULT false,
    distribution          text NOT NULL DEFAULT 'owner'
                          CHECK (distribution IN ('owner', 'round_robin', 'least_busy', 'manual')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, responsible_user_id) REFERENCES users(account_id, id),
    FOREIGN KEY (account_id, responsible_group_id) REFERENCES user_groups(account_id, id)
);

-- A3: access per line, for a user or a group: view, send, administer.
CREATE TABLE line_access (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL,
    line_id     bigint NOT NULL,
    user_id     bigint,
    group_id    bigint,
    can_view    boolean NOT NULL DEFAULT true,
    can_send    boolean NOT NULL DEFAULT false,
    can_admin   boolean NOT NULL DEFAULT false,
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    FOREIGN KEY (account_id, line_id) REFERENCES lines(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, group_id) REFERENCES user_groups(account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX line_access_user_key ON line_access (line_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX line_access_group_key ON line_access (line_id, group_id) WHERE group_id IS NOT NULL;

CREATE TYPE channel_kind AS ENUM (
    'telegram', 'whatsapp', 'email', 'vk', 'viber', 'instagram', 'facebook',
    'wildberries', 'ozon', 'internal', 'webhook'
);

-- B2, B3: one connected messenger account. Capabilities are stored so that the UI can offer
-- exactly what this connection can do.
CREATE TABLE channels (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    line_id      bigint,
    kind         channel_kind NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    capabilities jsonb NOT NULL DEFAULT '{}',
    settings     jsonb NOT NULL DEFAULT '{}',
    -- Secrets (tokens, passwords). Never sent to the browser.
    credentials  jsonb NOT NULL DEFAULT '{}',
    -- Random path segment of this channel's inbound webhook URL.
    webhook_key  text NOT NULL UNIQUE DEFAULT md5(random()::text || clock_timestamp()::text),
    enabled      boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, line_id) REFERENCES lines(account_id, id) ON DELETE SET NULL (line_id)
);

-- F1, F2, F5.
CREATE TABLE clients (
    id             bigserial PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    phone          text,
    username       text,
    email          text,
    is_potential   boolean NOT NULL DEFAULT false,
    marketing_consent boolean,
    staff_comment  text NOT NULL DEFAULT '',
    custom_fields  jsonb NOT NULL DEFAULT '{}',
    blocked        boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE INDEX clients_name_trgm ON clients USING gin (name gin_trgm_ops);

-- How a client is known on one channel (chat id, phone, address).
CREATE TABLE client_identities (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL,
    client_id    bigint NOT NULL,
    channel_id   bigint NOT NULL,
    external_id  text NOT NULL,
    display      text,
    UNIQUE (channel_id, external_id),
    FOREIGN KEY (account_id, client_id) REFERENCES clients(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, channel_id) REFERENCES channels(account_id, id) ON DELETE CASCADE
);
CREATE INDEX client_identities_client ON client_identities (client_id);

CREATE TABLE tags (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    color       text NOT NULL DEFAULT '#8a8f98',
    UNIQUE (account_id, name),
    UNIQUE (account_id, id)
);

CREATE TABLE client_tags (
    account_id  bigint NOT NULL,
    client_id   bigint NOT NULL,
    tag_id      bigint NOT NULL,
    PRIMARY KEY (client_id, tag_id),
    FOREIGN KEY (account_id, client_id) REFERENCES clients(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, tag_id) REFERENCES tags(account_id, id) ON DELETE CASCADE
);

-- D1.
CREATE TYPE dialog_status AS ENUM ('new', 'in_work', 'returned', 'closed', 'for_review');

CREATE TABLE dialogs (
    id               bigserial PRIMARY KEY,
    account_id       bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    number           bigint NOT NULL,
    title            text CHECK (length(title) BETWEEN 1 AND 200),
    status           dialog_status NOT NULL DEFAULT 'new',
    line_id          bigint NOT NULL,
    channel_id       bigint NOT NULL,
    client_id        bigint NOT NULL,
    assignee_id      bigint,
    -- Where a dialog waits when it is in the queue (redirected to a user or a group).
    queue_user_id    bigint,
    queue_group_id   bigint,
    close_reason     text,
    is_group         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    accepted_at      timestamptz,
    closed_at        timestamptz,
    -- Snapshot of the last message, for the list without a join.
    last_message_id  bigint,
    last_message_at  timestamptz NOT NULL DEFAULT now(),
    last_message_snippet text NOT NULL DEFAULT '',
    last_message_kind text NOT NULL DEFAULT 'message',
    last_message_direction text NOT NULL DEFAULT 'in',
    -- The newest message that counts as "unread" for others (client messages and colleagues').
    last_activity_id bigint NOT NULL DEFAULT 0,
    UNIQUE (account_id, number),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, line_id) REFERENCES lines(account_id, id),
    FOREIGN KEY (account_id, channel_id) REFERENCES channels(account_id, id),
    FOREIGN KEY (account_id, client_id) REFERENCES clients(account_id, id),
    FOREIGN KEY (account_id, assignee_id) REFERENCES users(account_id, id),
    FOREIGN KEY (account_id, queue_user_id) REFERENCES users(account_id, id),
    FOREIGN KEY (account_id, queue_group_id) REFERENCES user_groups(account_id, id)
);
-- D2: one active dialog per client per channel, enforced by the database.
CREATE UNIQUE INDEX dialogs_one_active_per_client_channel
    ON dialogs (account_id, client_id, channel_id)
    WHERE status NOT IN ('closed', 'for_review');
-- Keyset pagination of the inbox, newest first.
CREATE INDEX dialogs_inbox ON dialogs (account_id, status, last_message_at DESC, id DESC);
CREATE INDEX dialogs_inbox_all ON dialogs (account_id, last_message_at DESC, id DESC);
CREATE INDEX dialogs_assignee ON dialogs (account_id, assignee_id, status);
CREATE INDEX dialogs_client ON dialogs (client_id);

CREATE TABLE dialog_tags (
    account_id  bigint NOT NULL,
    dialog_id   bigint NOT NULL,
    tag_id      bigint NOT NULL,
    PRIMARY KEY (dialog_id, tag_id),
    FOREIGN KEY (account_id, dialog_id) REFERENCES dialogs(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, tag_id) REFERENCES tags(account_id, id) ON DELETE CASCADE
);

-- D5.
CREATE TYPE participant_role AS ENUM ('assignee', 'initiator', 'co_assignee', 'observer');

CREATE TABLE dialog_participants (
    account_id  bigint NOT NULL,
    dialog_id   bigint NOT NULL,
    user_id     bigint NOT NULL,
    role        participant_role NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dialog_id, user_id, role),
    FOREIGN KEY (account_id, dialog_id) REFERENCES dialogs(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX dialog_participants_user ON dialog_participants (user_id, dialog_id);

CREATE TYPE message_kind AS ENUM ('message', 'note', 'system');
CREATE TYPE message_direction AS ENUM ('in', 'out', 'internal');
CREATE TYPE delivery_state AS ENUM ('sending', 'sent', 'delivered', 'read', 'failed');

CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    account_id      bigint NOT NULL,
    dialog_id       bigint NOT NULL,
    kind            message_kind NOT NULL,
    direction       message_direction NOT NULL,
    author_user_id  bigint,
    body            text NOT NULL CHECK (length(body) <= 20000),
    reply_to_id     bigint REFERENCES messages(id),
    forwarded_from_id bigint REFERENCES messages(id),
    -- The messenger's id of this message; inbound webhooks are idempotent on it.
    channel_id      bigint,
    external_id     text,
    delivery        delivery_state,
    delivery_error  text,
    important       boolean NOT NULL DEFAULT false,
    deleted_by      text CHECK (deleted_by IN ('client', 'operator')),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, dialog_id) REFERENCES dialogs(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, author_user_id) REFERENCES users(account_id, id),
    CHECK ((kind = 'message') = (direction <> 'internal'))
);
CREATE UNIQUE INDEX messages_external ON messages (channel_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_dialog ON messages (dialog_id, id);
CREATE INDEX messages_body_trgm ON messages USING gin (body gin_trgm_ops);

ALTER TABLE dialogs ADD FOREIGN KEY (last_message_id) REFERENCES messages(id) DEFERRABLE INITIALLY DEFERRED;

-- Per-user state of a dialog: read position, pinned, system messages hidden.
CREATE TABLE dialog_user_state (
    account_id      bigint NOT NULL,
    dialog_id       bigint NOT NULL,
    user_id         bigint NOT NULL,
    read_message_id bigint NOT NULL DEFAULT 0,
    pinned          boolean NOT NULL DEFAULT false,
    hide_system     boolean NOT NULL DEFAULT false,
    manually_unread boolean NOT NULL DEFAULT false,
    PRIMARY KEY (dialog_id, user_id),
    FOREIGN KEY (account_id, dialog_id) REFERENCES dialogs(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX dialog_user_state_user ON dialog_user_state (user_id, dialog_id);

-- Outbound delivery queue (E11): a row per message to send, claimed by workers with
-- FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    account_id    bigint NOT NULL,
    message_id    bigint NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, message_id) REFERENCES messages(account_id, id) ON DELETE CASCADE
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

-- The live event stream (C9). Every write that others must see adds a row here in the same
-- transaction; a NOTIFY carries the new id to every app server, which fans it out to the
-- browsers allowed to see it. After a reconnect a browser replays what it missed from here.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    dialog_id   bigint,
    -- Who may see the event: the dialog's line, status, assignee and participants at the time.
    facts       jsonb NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_account ON events (account_id, id);

-- A1: sign-in sessions survive a restart. The cookie holds a random token; only its
-- SHA-256 is stored.
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    account_id  bigint NOT NULL,
    user_id     bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins, for throttling (per email and per client address).
CREATE TABLE sign_in_failures (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL,
    address     text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);

-- F4 and D3: CRM interests (leads/deals) that dialogs and messages link to.
CREATE TABLE interests (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    client_id   bigint NOT NULL,
    title       text NOT NULL,
    stage       text NOT NULL DEFAULT 'open',
    external_ref text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, client_id) REFERENCES clients(account_id, id) ON DELETE CASCADE
);

CREATE TABLE dialog_interests (
    account_id  bigint NOT NULL,
    dialog_id   bigint NOT NULL,
    interest_id bigint NOT NULL,
    PRIMARY KEY (dialog_id, interest_id),
    FOREIGN KEY (account_id, dialog_id) REFERENCES dialogs(account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, interest_id) REFERENCES interests(account_id, id) ON DELETE CASCADE
);

-- D11: close reasons offered when a line asks for one.
CREATE TABLE close_reasons (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        text NOT NULL,
    UNIQUE (account_id, name)
);

-- E6: quick replies.
CREATE TABLE quick_replies (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title       text NOT NULL,
    body        text NOT NULL
);
