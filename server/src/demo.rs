//! The demo account: a small online shop on an ordinary working day.
//!
//! [`seed`] fills an empty database (or one without a "Demo" account) with three people, two
//! lines, three channels, about 300 clients, 500 dialogs in every status and about 10,000
//! messages in Russian and English. The data comes from a fixed random seed, so it is the same
//! on every run; only the timestamps move, because they are laid out relative to the moment of
//! seeding (the last 30 days, the open dialogs mostly within the last two days).
//!
//! Everything is built in memory first and written in one transaction with a handful of bulk
//! `INSERT ... SELECT ... FROM UNNEST(...)` statements, so seeding takes well under a second on
//! a local database.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use fastrand::Rng;
use sqlx::PgPool;

/// Name of the demo account; [`seed`] refuses to run when an account with this name exists.
pub const DEMO_ACCOUNT_NAME: &str = "Demo";

/// The random seed: the same seed gives the same people, clients and conversations.
const SEED: u64 = 0x00D1_A106_2026;

/// How many clients the demo shop has.
const CLIENTS: usize = 300;

/// Dialogs per status: new, in work, returned to the queue, closed, for review.
const NEW: usize = 60;
const IN_WORK: usize = 120;
const RETURNED: usize = 20;
const CLOSED: usize = 290;
const FOR_REVIEW: usize = 10;

/// What [`seed`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Id of the new "Demo" account.
    pub account_id: i64,
    /// The demo users as (e-mail, role), in the order they were created.
    pub users: Vec<(String, String)>,
    /// Number of clients created.
    pub clients: i64,
    /// Number of dialogs created.
    pub dialogs: i64,
    /// Number of messages created (client messages, replies, notes and system messages).
    pub messages: i64,
}

/// Seeds the demo account in one transaction and returns what was created.
///
/// Every demo user gets `password_hash` (the caller's argon2 hash of the demo password,
/// "dialogs-demo"). Fails with "the demo account already exists" when an account named "Demo" is
/// already there; nothing is written in that case.
pub async fn seed(pool: &PgPool, password_hash: &str) -> Result<DemoSummary> {
    let started = std::time::Instant::now();
    let now = Utc::now();
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let plan = make_plan(now);

    let mut tx = pool
        .begin()
        .await
        .context("starting the demo seed transaction")?;

    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE name = $1)")
        .bind(DEMO_ACCOUNT_NAME)
        .fetch_one(&mut *tx)
        .await
        .context("checking for an existing demo account")?;
    if exists {
        bail!("the demo account already exists");
    }

    let ids = write_setup(&mut tx, &plan, password_hash).await?;
    let counts = write_data(&mut tx, &plan, &ids).await?;
    link_lifecycle(&mut tx, ids.account).await?;

    tx.commit().await.context("committing the demo seed")?;

    let summary = DemoSummary {
        account_id: ids.account,
        users: STAFF
            .iter()
            .map(|s| (s.email.to_string(), s.role.to_string()))
            .collect(),
        clients: counts.clients,
        dialogs: counts.dialogs,
        messages: counts.messages,
    };
    tracing::info!(
        account_id = summary.account_id,
        clients = summary.clients,
        dialogs = summary.dialogs,
        messages = summary.messages,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo account seeded"
    );
    Ok(summary)
}

// ------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------

/// The generated history speaks in English sentences; the lifecycle keeps what they say as
/// data too: the close reason from the catalogue, who closed, and the system events each
/// reader sees in their own language.
async fn link_lifecycle(tx: &mut Tx, account: i64) -> Result<()> {
    sqlx::query(
        "UPDATE dialogs d SET close_reason_id = r.id
           FROM close_reasons r
          WHERE d.account_id = $1 AND r.account_id = $1 AND r.name = d.close_reason",
    )
    .bind(account)
    .execute(&mut **tx)
    .await
    .context("linking close reasons")?;
    sqlx::query(
        "UPDATE dialogs SET closed_by_id = assignee_id
          WHERE account_id = $1 AND status = 'closed' AND closed_by_id IS NULL",
    )
    .bind(account)
    .execute(&mut **tx)
    .await
    .context("recording who closed")?;
    sqlx::query(
        "UPDATE messages m
            SET system = CASE
                WHEN m.body LIKE '% accepted the dialog'
                    THEN jsonb_build_object('event', 'accepted',
                             'by', left(m.body, length(m.body) - length(' accepted the dialog')))
                WHEN m.body LIKE 'Dialog closed: %' AND u.display_name IS NOT NULL
                    THEN jsonb_build_object('event', 'closed', 'by', u.display_name,
                             'reason', substr(m.body, length('Dialog closed: ') + 1))
                WHEN m.body = 'Dialog closed' AND u.display_name IS NOT NULL
                    THEN jsonb_build_object('event', 'closed', 'by', u.display_name)
                END
           FROM dialogs d LEFT JOIN users u ON u.id = d.assignee_id
          WHERE m.account_id = $1 AND m.kind = 'system' AND d.id = m.dialog_id",
    )
    .bind(account)
    .execute(&mut **tx)
    .await
    .context("describing system messages")?;
    Ok(())
}

/// Database ids of the fixed part of the demo account.
struct SetupIds {
    account: i64,
    users: [i64; 3],
    groups: [i64; 2],
    lines: [i64; 2],
    channels: [i64; 3],
    tags: [i64; TAGS.len()],
}

/// Row counts of the bulk part.
struct Counts {
    clients: i64,
    dialogs: i64,
    messages: i64,
}

type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// Writes the account, users, groups, lines, access rules, channels, tags and close reasons.
async fn write_setup(tx: &mut Tx, plan: &Plan, password_hash: &str) -> Result<SetupIds> {
    let founded = plan.now - Duration::days(420);

    let account: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (name, next_dialog_number, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(DEMO_ACCOUNT_NAME)
    .bind(plan.dialogs.len() as i64 + 1)
    .bind(founded)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if constraint_of(&e) == Some("accounts_name_key") {
            anyhow!("the demo account already exists")
        } else {
            anyhow::Error::new(e).context("creating the demo account")
        }
    })?;

    let mut users = [0i64; 3];
    for (i, s) in STAFF.iter().enumerate() {
        users[i] = sqlx::query_scalar(
            "INSERT INTO users (account_id, email, display_name, password_hash, role, locale, created_at) \
             VALUES ($1, $2, $3, $4, $5::account_role, $6, $7) RETURNING id",
        )
        .bind(account)
        .bind(s.email)
        .bind(s.display)
        .bind(password_hash)
        .bind(s.role)
        .bind(s.locale.code())
        .bind(founded + Duration::minutes(5 * i as i64))
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| {
            if constraint_of(&e) == Some("users_email_key") {
                anyhow!("the demo user e-mail {} is already taken by another account", s.email)
            } else {
                anyhow::Error::new(e).context(format!("creating the demo user {}", s.email))
            }
        })?;
    }

    let mut groups = [0i64; 2];
    let mut lines = [0i64; 2];
    for line in [SALES, SUPPORT] {
        let name = LINE_NAMES[line];
        groups[line] = sqlx::query_scalar(
            "INSERT INTO user_groups (account_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(account)
        .bind(name)
        .fetch_one(&mut **tx)
        .await
        .with_context(|| format!("creating the user group {name}"))?;

        let member = users[line_operator(line)];
        sqlx::query(
            "INSERT INTO user_group_members (account_id, group_id, user_id) VALUES ($1, $2, $3)",
        )
        .bind(account)
        .bind(groups[line])
        .bind(member)
        .execute(&mut **tx)
        .await
        .with_context(|| format!("adding a member to the user group {name}"))?;

        lines[line] = sqlx::query_scalar(
            "INSERT INTO lines (account_id, name, incoming_are_leads, close_requires_reason, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account)
        .bind(name)
        .bind(line == SALES)
        .bind(line == SUPPORT)
        .bind(founded + Duration::minutes(30))
        .fetch_one(&mut **tx)
        .await
        .with_context(|| format!("creating the line {name}"))?;

        sqlx::query(
            "INSERT INTO line_access (account_id, line_id, group_id, can_view, can_send, can_admin) \
             VALUES ($1, $2, $3, true, true, false)",
        )
        .bind(account)
        .bind(lines[line])
        .bind(groups[line])
        .execute(&mut **tx)
        .await
        .with_context(|| format!("granting access to the line {name}"))?;
    }

    let mut channels = [0i64; 3];
    for chan in Chan::ALL {
        channels[chan as usize] = sqlx::query_scalar(
            "INSERT INTO channels (account_id, line_id, kind, name, capabilities, credentials, created_at) \
             VALUES ($1, $2, $3::channel_kind, $4, $5, $6, $7) RETURNING id",
        )
        .bind(account)
        .bind(lines[chan.line()])
        .bind(chan.kind())
        .bind(chan.name())
        .bind(chan.capabilities())
        .bind(chan.credentials())
        .bind(founded + Duration::hours(1))
        .fetch_one(&mut **tx)
        .await
        .with_context(|| format!("creating the {} channel", chan.kind()))?;
    }

    // What Meta would list for the demo number; a real channel gets its own from Meta.
    sqlx::query(
        "INSERT INTO message_templates (account_id, channel_id, name, language, category, status, body, variables, parts) \
         SELECT $1, $2, name, language, category, 'APPROVED', body, variables, parts \
           FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::jsonb[]) \
             AS t(name, language, category, body, variables, parts)",
    )
    .bind(account)
    .bind(channels[Chan::Whatsapp as usize])
    .bind(["order_ready", "delivery_update", "welcome_back", "our_store"])
    .bind(["en_US", "en_US", "ru", "en_US"])
    .bind(["UTILITY", "UTILITY", "MARKETING", "MARKETING"])
    .bind([
        "Hi {{1}}, your order {{2}} is ready for pickup.",
        "Your parcel {{1}} arrives on {{2}} between {{3}}.",
        "Здравствуйте, {{1}}! Мы ответим на ваш вопрос здесь.",
        "Come and see us: we are open every day from 9 to 21.",
    ])
    .bind([2i32, 3, 1, 0])
    .bind([
        serde_json::json!({}),
        // A photo of the parcel on top and a "Track" button completed with its number.
        serde_json::json!({
            "header": {"format": "image"},
            "buttons": [{"index": 0, "kind": "url", "text": "Track",
                         "url": "https://track.example/{{1}}"}]
        }),
        serde_json::json!({}),
        serde_json::json!({"unsupported": "location header"}),
    ])
    .execute(&mut **tx)
    .await
    .context("creating the demo WhatsApp templates")?;

    let mut tags = [0i64; TAGS.len()];
    for (i, (name, color)) in TAGS.iter().enumerate() {
        tags[i] = sqlx::query_scalar(
            "INSERT INTO tags (account_id, name, color) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(account)
        .bind(*name)
        .bind(*color)
        .fetch_one(&mut **tx)
        .await
        .with_context(|| format!("creating the tag {name}"))?;
    }

    sqlx::query("INSERT INTO close_reasons (account_id, name) SELECT $1, name FROM UNNEST($2::text[]) AS t(name)")
        .bind(account)
        .bind(Reason::ALL.iter().map(|r| r.name().to_string()).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await
        .context("creating the close reasons")?;

    Ok(SetupIds {
        account,
        users,
        groups,
        lines,
        channels,
        tags,
    })
}

/// Takes `n` ids from the serial sequence of `table`, in ascending order.
async fn take_ids(tx: &mut Tx, table: &'static str, n: usize) -> Result<Vec<i64>> {
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2::bigint)",
    )
    .bind(table)
    .bind(n as i64)
    .fetch_all(&mut **tx)
    .await
    .with_context(|| format!("reserving {n} ids for {table}"))?;
    ids.sort_unstable();
    if ids.len() != n {
        bail!("reserved {} ids for {table} instead of {n}", ids.len());
    }
    Ok(ids)
}

/// Writes clients, identities, tags, dialogs, messages, participants and read states.
async fn write_data(tx: &mut Tx, plan: &Plan, ids: &SetupIds) -> Result<Counts> {
    let account = ids.account;

    // Ids: clients in order of appearance, dialogs in order of number, messages in time order.
    let mut client_order: Vec<usize> = (0..plan.clients.len()).collect();
    client_order.sort_by_key(|&c| (plan.clients[c].created_at, c));
    let client_seq = take_ids(tx, "clients", plan.clients.len()).await?;
    let mut client_ids = vec![0i64; plan.clients.len()];
    for (rank, &c) in client_order.iter().enumerate() {
        client_ids[c] = client_seq[rank];
    }
    let dialog_ids = take_ids(tx, "dialogs", plan.dialogs.len()).await?;

    let mut stream: Vec<(DateTime<Utc>, usize, usize)> = Vec::new();
    for (di, d) in plan.dialogs.iter().enumerate() {
        for (mi, m) in d.msgs.iter().enumerate() {
            stream.push((d.start + Duration::seconds(m.off), di, mi));
        }
    }
    stream.sort_unstable();
    let message_seq = take_ids(tx, "messages", stream.len()).await?;
    let mut message_ids: Vec<Vec<i64>> =
        plan.dialogs.iter().map(|d| vec![0; d.msgs.len()]).collect();
    for (k, &(_, di, mi)) in stream.iter().enumerate() {
        message_ids[di][mi] = message_seq[k];
    }

    // Clients.
    {
        let n = plan.clients.len();
        let mut id = Vec::with_capacity(n);
        let mut name = Vec::with_capacity(n);
        let mut phone = Vec::with_capacity(n);
        let mut username = Vec::with_capacity(n);
        let mut email = Vec::with_capacity(n);
        let mut potential = Vec::with_capacity(n);
        let mut consent = Vec::with_capacity(n);
        let mut comment = Vec::with_capacity(n);
        let mut created = Vec::with_capacity(n);
        for &c in &client_order {
            let cl = &plan.clients[c];
            id.push(client_ids[c]);
            name.push(cl.name.clone());
            phone.push(cl.phone.clone());
            username.push(cl.username.clone());
            email.push(cl.email.clone());
            potential.push(cl.is_potential);
            consent.push(cl.marketing_consent);
            comment.push(cl.staff_comment.to_string());
            created.push(cl.created_at);
        }
        sqlx::query(
            "INSERT INTO clients (id, account_id, name, phone, username, email, is_potential, \
                                  marketing_consent, staff_comment, created_at) \
             SELECT id, $1, name, phone, username, email, is_potential, marketing_consent, \
                    staff_comment, created_at \
             FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[], \
                         $8::bool[], $9::text[], $10::timestamptz[]) \
                  AS t(id, name, phone, username, email, is_potential, marketing_consent, \
                       staff_comment, created_at)",
        )
        .bind(account)
        .bind(id)
        .bind(name)
        .bind(phone)
        .bind(username)
        .bind(email)
        .bind(potential)
        .bind(consent)
        .bind(comment)
        .bind(created)
        .execute(&mut **tx)
        .await
        .context("inserting the demo clients")?;
    }

    // How clients are known on each channel.
    {
        let mut client = Vec::new();
        let mut channel = Vec::new();
        let mut external = Vec::new();
        let mut display = Vec::new();
        for &c in &client_order {
            let cl = &plan.clients[c];
            for &chan in &cl.channels {
                let (ext, disp) = cl.identity(chan);
                client.push(client_ids[c]);
                channel.push(ids.channels[chan as usize]);
                external.push(ext);
                display.push(disp);
            }
        }
        sqlx::query(
            "INSERT INTO client_identities (account_id, client_id, channel_id, external_id, display) \
             SELECT $1, client_id, channel_id, external_id, display \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) \
                  AS t(client_id, channel_id, external_id, display)",
        )
        .bind(account)
        .bind(client)
        .bind(channel)
        .bind(external)
        .bind(display)
        .execute(&mut **tx)
        .await
        .context("inserting the demo client identities")?;
    }

    // Client tags.
    {
        let mut client = Vec::new();
        let mut tag = Vec::new();
        for &c in &client_order {
            for &t in &plan.clients[c].tags {
                client.push(client_ids[c]);
                tag.push(ids.tags[t]);
            }
        }
        sqlx::query(
            "INSERT INTO client_tags (account_id, client_id, tag_id) \
             SELECT $1, client_id, tag_id FROM UNNEST($2::bigint[], $3::bigint[]) AS t(client_id, tag_id)",
        )
        .bind(account)
        .bind(client)
        .bind(tag)
        .execute(&mut **tx)
        .await
        .context("tagging the demo clients")?;
    }

    // Dialogs, with the snapshot of their last message (that foreign key is deferred).
    {
        let n = plan.dialogs.len();
        let mut id = Vec::with_capacity(n);
        let mut number = Vec::with_capacity(n);
        let mut status = Vec::with_capacity(n);
        let mut line = Vec::with_capacity(n);
        let mut channel = Vec::with_capacity(n);
        let mut client = Vec::with_capacity(n);
        let mut assignee = Vec::with_capacity(n);
        let mut queue_group = Vec::with_capacity(n);
        let mut reason = Vec::with_capacity(n);
        let mut created = Vec::with_capacity(n);
        let mut accepted = Vec::with_capacity(n);
        let mut closed = Vec::with_capacity(n);
        let mut last_id = Vec::with_capacity(n);
        let mut last_at = Vec::with_capacity(n);
        let mut snippet_ = Vec::with_capacity(n);
        let mut last_kind = Vec::with_capacity(n);
        let mut last_dir = Vec::with_capacity(n);
        for (di, d) in plan.dialogs.iter().enumerate() {
            let last = d
                .msgs
                .len()
                .checked_sub(1)
                .context("a demo dialog without messages")?;
            let lm = &d.msgs[last];
            id.push(dialog_ids[di]);
            number.push(di as i64 + 1);
            status.push(d.status.as_str().to_string());
            line.push(ids.lines[d.channel.line()]);
            channel.push(ids.channels[d.channel as usize]);
            client.push(client_ids[d.client]);
            assignee.push(d.assignee().map(|u| ids.users[u]));
            queue_group.push((d.status == Status::Returned).then(|| ids.groups[d.channel.line()]));
            reason.push(d.close_reason().map(|r| r.name().to_string()));
            created.push(d.start);
            accepted.push(d.time_of(d.accepted));
            closed.push(d.time_of(d.closed));
            last_id.push(message_ids[di][last]);
            last_at.push(d.start + Duration::seconds(lm.off));
            snippet_.push(snippet(&lm.body));
            last_kind.push(lm.who.kind().to_string());
            last_dir.push(lm.who.direction().to_string());
        }
        sqlx::query(
            "INSERT INTO dialogs (id, account_id, number, status, line_id, channel_id, client_id, \
                                  assignee_id, queue_group_id, close_reason, created_at, accepted_at, \
                                  closed_at, last_message_id, last_message_at, last_message_snippet, \
                                  last_message_kind, last_message_direction, last_activity_id, \
                                  waiting_since) \
             SELECT id, $1, number, status::dialog_status, line_id, channel_id, client_id, \
                    assignee_id, queue_group_id, close_reason, created_at, accepted_at, closed_at, \
                    last_message_id, last_message_at, snippet, last_kind, last_dir, last_message_id, \
                    CASE WHEN last_dir = 'in' AND status <> 'closed' THEN last_message_at END \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], \
                         $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::timestamptz[], \
                         $12::timestamptz[], $13::timestamptz[], $14::bigint[], $15::timestamptz[], \
                         $16::text[], $17::text[], $18::text[]) \
                  AS t(id, number, status, line_id, channel_id, client_id, assignee_id, \
                       queue_group_id, close_reason, created_at, accepted_at, closed_at, \
                       last_message_id, last_message_at, snippet, last_kind, last_dir)",
        )
        .bind(account)
        .bind(id)
        .bind(number)
        .bind(status)
        .bind(line)
        .bind(channel)
        .bind(client)
        .bind(assignee)
        .bind(queue_group)
        .bind(reason)
        .bind(created)
        .bind(accepted)
        .bind(closed)
        .bind(last_id)
        .bind(last_at)
        .bind(snippet_)
        .bind(last_kind)
        .bind(last_dir)
        .execute(&mut **tx)
        .await
        .context("inserting the demo dialogs")?;
    }

    // Dialog tags.
    {
        let mut dialog = Vec::new();
        let mut tag = Vec::new();
        for (di, d) in plan.dialogs.iter().enumerate() {
            for t in dialog_tags(di + 1, d) {
                dialog.push(dialog_ids[di]);
                tag.push(ids.tags[t]);
            }
        }
        sqlx::query(
            "INSERT INTO dialog_tags (account_id, dialog_id, tag_id) \
             SELECT $1, dialog_id, tag_id FROM UNNEST($2::bigint[], $3::bigint[]) AS t(dialog_id, tag_id)",
        )
        .bind(account)
        .bind(dialog)
        .bind(tag)
        .execute(&mut **tx)
        .await
        .context("tagging the demo dialogs")?;
    }

    // Messages, in id (= time) order.
    {
        let n = stream.len();
        let mut id = Vec::with_capacity(n);
        let mut dialog = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut direction = Vec::with_capacity(n);
        let mut author = Vec::with_capacity(n);
        let mut body = Vec::with_capacity(n);
        let mut channel = Vec::with_capacity(n);
        let mut external = Vec::with_capacity(n);
        let mut delivery = Vec::with_capacity(n);
        let mut error = Vec::with_capacity(n);
        let mut created = Vec::with_capacity(n);
        let mut external_seq = 0u64;
        for (k, &(at, di, mi)) in stream.iter().enumerate() {
            let d = &plan.dialogs[di];
            let m = &d.msgs[mi];
            let on_channel = matches!(m.who, Who::Client | Who::Operator);
            id.push(message_seq[k]);
            dialog.push(dialog_ids[di]);
            kind.push(m.who.kind());
            direction.push(m.who.direction());
            author.push(m.author.map(|u| ids.users[u]));
            body.push(m.body.as_str());
            channel.push(on_channel.then(|| ids.channels[d.channel as usize]));
            external.push(if on_channel && m.delivery != Some("failed") {
                external_seq += 1;
                Some(format!("demo-{external_seq}"))
            } else {
                None
            });
            delivery.push(m.delivery);
            error.push(m.error);
            created.push(at);
        }
        sqlx::query(
            "INSERT INTO messages (id, account_id, dialog_id, kind, direction, author_user_id, body, \
                                   channel_id, external_id, delivery, delivery_error, created_at) \
             SELECT id, $1, dialog_id, kind::message_kind, direction::message_direction, author, \
                    body, channel_id, external_id, delivery::delivery_state, delivery_error, created_at \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], \
                         $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[], \
                         $12::timestamptz[]) \
                  AS t(id, dialog_id, kind, direction, author, body, channel_id, external_id, \
                       delivery, delivery_error, created_at)",
        )
        .bind(account)
        .bind(id)
        .bind(dialog)
        .bind(kind)
        .bind(direction)
        .bind(author)
        .bind(body)
        .bind(channel)
        .bind(external)
        .bind(delivery)
        .bind(error)
        .bind(created)
        .execute(&mut **tx)
        .await
        .context("inserting the demo messages")?;
    }

    // Assignees as participants, and their read positions.
    {
        let mut p_dialog = Vec::new();
        let mut p_user = Vec::new();
        let mut p_added = Vec::new();
        let mut s_dialog = Vec::new();
        let mut s_user = Vec::new();
        let mut s_read = Vec::new();
        let mut s_pinned = Vec::new();
        for (di, d) in plan.dialogs.iter().enumerate() {
            let Some(user) = d.assignee() else { continue };
            p_dialog.push(dialog_ids[di]);
            p_user.push(ids.users[user]);
            p_added.push(d.time_of(d.accepted).unwrap_or(d.start));
            let read = match d.read {
                Read::Nothing => continue,
                Read::All => message_ids[di].last().copied().unwrap_or(0),
                Read::UpTo(mi) => message_ids[di].get(mi).copied().unwrap_or(0),
            };
            s_dialog.push(dialog_ids[di]);
            s_user.push(ids.users[user]);
            s_read.push(read);
            s_pinned.push(d.pinned);
        }
        sqlx::query(
            "INSERT INTO dialog_participants (account_id, dialog_id, user_id, role, added_at) \
             SELECT $1, dialog_id, user_id, 'assignee', added_at \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::timestamptz[]) AS t(dialog_id, user_id, added_at)",
        )
        .bind(account)
        .bind(p_dialog)
        .bind(p_user)
        .bind(p_added)
        .execute(&mut **tx)
        .await
        .context("inserting the demo dialog participants")?;

        sqlx::query(
            "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, read_message_id, pinned) \
             SELECT $1, dialog_id, user_id, read_message_id, pinned \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::bigint[], $5::bool[]) \
                  AS t(dialog_id, user_id, read_message_id, pinned)",
        )
        .bind(account)
        .bind(s_dialog)
        .bind(s_user)
        .bind(s_read)
        .bind(s_pinned)
        .execute(&mut **tx)
        .await
        .context("inserting the demo read positions")?;
    }

    Ok(Counts {
        clients: plan.clients.len() as i64,
        dialogs: plan.dialogs.len() as i64,
        messages: stream.len() as i64,
    })
}

/// The constraint a database error names, if any.
fn constraint_of(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// The list snippet of a message: its first 140 characters, line breaks as spaces.
fn snippet(body: &str) -> String {
    body.chars()
        .filter(|&c| c != '\r')
        .map(|c| if c == '\n' { ' ' } else { c })
        .take(140)
        .collect()
}

// ------------------------------------------------------------------------------------------
// The plan: everything the seed writes, built in memory with indexes instead of ids
// ------------------------------------------------------------------------------------------

const SALES: usize = 0;
const SUPPORT: usize = 1;
const LINE_NAMES: [&str; 2] = ["Sales", "Support"];

const ALEX: usize = 0;
const ANNA: usize = 1;
const IVAN: usize = 2;

/// The operator who normally works a line (and is the only member of its group).
fn line_operator(line: usize) -> usize {
    if line == SALES { ANNA } else { IVAN }
}

/// Tags as (name, colour from the UI's palette); indexes below. The first five go on
/// clients, the last two on dialogs.
const TAGS: [(&str, &str); 7] = [
    ("VIP", "#e2a336"),
    ("Wholesale", "#0090ff"),
    ("Complaint", "#e5484d"),
    ("Returning", "#30a46c"),
    ("Lead", "#6e56cf"),
    ("Delivery issue", "#12a594"),
    ("Refund", "#f76b15"),
];
const TAG_VIP: usize = 0;
const TAG_WHOLESALE: usize = 1;
const TAG_COMPLAINT: usize = 2;
const TAG_RETURNING: usize = 3;
const TAG_LEAD: usize = 4;
const TAG_DELIVERY: usize = 5;
const TAG_REFUND: usize = 6;

/// The tags an operator would have put on this dialog (by its number, so the plan's random
/// draws stay as they are): some delivery questions and some returns.
fn dialog_tags(number: usize, d: &DialogPlan) -> Vec<usize> {
    match d.topic {
        T_DELIVERY if number.is_multiple_of(3) => vec![TAG_DELIVERY],
        T_RETURNS if number.is_multiple_of(2) => vec![TAG_REFUND],
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    Ru,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}

/// A person working in the demo shop.
struct Staff {
    email: &'static str,
    display: &'static str,
    role: &'static str,
    locale: Lang,
    female: bool,
    first_en: &'static str,
    first_ru: &'static str,
    /// Russian genitive of the first name ("уточнить у Ивана").
    first_ru_gen: &'static str,
    full_en: &'static str,
    full_ru: &'static str,
}

static STAFF: [Staff; 3] = [
    Staff {
        email: "admin@demo.test",
        display: "Alex Morgan",
        role: "admin",
        locale: Lang::En,
        female: false,
        first_en: "Alex",
        first_ru: "Алекс",
        first_ru_gen: "Алекса",
        full_en: "Alex Morgan",
        full_ru: "Алекс Морган",
    },
    Staff {
        email: "anna@demo.test",
        display: "Анна Петрова",
        role: "operator",
        locale: Lang::Ru,
        female: true,
        first_en: "Anna",
        first_ru: "Анна",
        first_ru_gen: "Анны",
        full_en: "Anna Petrova",
        full_ru: "Анна Петрова",
    },
    Staff {
        email: "ivan@demo.test",
        display: "Ivan Sokolov",
        role: "operator",
        locale: Lang::En,
        female: false,
        first_en: "Ivan",
        first_ru: "Иван",
        first_ru_gen: "Ивана",
        full_en: "Ivan Sokolov",
        full_ru: "Иван Соколов",
    },
];

/// The three connected channels; the discriminant indexes [`SetupIds::channels`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Chan {
    Telegram = 0,
    Whatsapp = 1,
    Email = 2,
}

impl Chan {
    const ALL: [Chan; 3] = [Chan::Telegram, Chan::Whatsapp, Chan::Email];

    fn kind(self) -> &'static str {
        match self {
            Chan::Telegram => "telegram",
            Chan::Whatsapp => "whatsapp",
            Chan::Email => "email",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Chan::Telegram => "@demo_shop_bot",
            Chan::Whatsapp => "+7 900 123-45-67",
            Chan::Email => "support@demo.test",
        }
    }

    fn line(self) -> usize {
        match self {
            Chan::Telegram => SALES,
            Chan::Whatsapp | Chan::Email => SUPPORT,
        }
    }

    fn capabilities(self) -> serde_json::Value {
        match self {
            Chan::Telegram => serde_json::json!({
                "delete": true, "edit": true, "buttons": true, "voice": true,
                "templates": false, "groups": true, "subject": false
            }),
            Chan::Whatsapp => serde_json::json!({
                "delete": false, "edit": false, "buttons": true, "voice": true,
                "templates": true, "groups": false, "subject": false
            }),
            Chan::Email => serde_json::json!({
                "delete": false, "edit": false, "buttons": false, "voice": false,
                "templates": false, "groups": false, "subject": true
            }),
        }
    }

    /// The demo bot has no real token: replies fail with Telegram's "Unauthorized" until
    /// `dialogs fake-client` plays the client's side. The webhook secret is random.
    fn credentials(self) -> serde_json::Value {
        match self {
            Chan::Telegram => serde_json::json!({
                "bot_token": "000000:demo-bot",
                "webhook_secret": format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            }),
            Chan::Whatsapp | Chan::Email => serde_json::json!({}),
        }
    }

    fn failure(self) -> &'static str {
        match self {
            Chan::Telegram => "Forbidden: bot was blocked by the user",
            Chan::Whatsapp => {
                "Message undeliverable: more than 24 hours have passed since the customer last replied"
            }
            Chan::Email => "550 5.1.1 The email account that you tried to reach does not exist",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    New,
    InWork,
    Returned,
    Closed,
    ForReview,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InWork => "in_work",
            Status::Returned => "returned",
            Status::Closed => "closed",
            Status::ForReview => "for_review",
        }
    }

    /// Whether the dialog counts for "one active dialog per client per channel".
    fn is_active(self) -> bool {
        !matches!(self, Status::Closed | Status::ForReview)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reason {
    Resolved,
    NoAnswer,
    Spam,
    Competitor,
}

impl Reason {
    const ALL: [Reason; 4] = [
        Reason::Resolved,
        Reason::NoAnswer,
        Reason::Spam,
        Reason::Competitor,
    ];

    fn name(self) -> &'static str {
        match self {
            Reason::Resolved => "Resolved",
            Reason::NoAnswer => "No answer",
            Reason::Spam => "Spam",
            Reason::Competitor => "Went to competitor",
        }
    }
}

/// Who wrote a message, which fixes its kind and direction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Client,
    Operator,
    Note,
    System,
}

impl Who {
    fn kind(self) -> &'static str {
        match self {
            Who::Client | Who::Operator => "message",
            Who::Note => "note",
            Who::System => "system",
        }
    }

    fn direction(self) -> &'static str {
        match self {
            Who::Client => "in",
            Who::Operator => "out",
            Who::Note | Who::System => "internal",
        }
    }
}

/// One message, timed in seconds from the start of its dialog.
struct Msg {
    off: i64,
    who: Who,
    author: Option<usize>,
    body: String,
    delivery: Option<&'static str>,
    error: Option<&'static str>,
}

/// How far the assignee has read a dialog.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Read {
    Nothing,
    All,
    /// Read up to and including this message index.
    UpTo(usize),
}

struct ClientPlan {
    name: String,
    first: String,
    lang: Lang,
    female: bool,
    phone: Option<String>,
    phone_digits: String,
    username: Option<String>,
    email: Option<String>,
    chat_id: String,
    /// The channels this client writes on, the usual one first.
    channels: Vec<Chan>,
    wholesale: bool,
    /// A customer from before the 30 days the demo covers.
    old: bool,
    staff_comment: &'static str,
    marketing_consent: Option<bool>,
    is_potential: bool,
    created_at: DateTime<Utc>,
    tags: Vec<usize>,
}

impl ClientPlan {
    /// (external_id, display) of this client on a channel.
    fn identity(&self, chan: Chan) -> (String, String) {
        match chan {
            Chan::Telegram => (
                self.chat_id.clone(),
                match &self.username {
                    Some(u) => format!("@{u}"),
                    None => self.name.clone(),
                },
            ),
            Chan::Whatsapp => (
                self.phone_digits.clone(),
                self.phone
                    .clone()
                    .unwrap_or_else(|| format!("+{}", self.phone_digits)),
            ),
            Chan::Email => {
                let e = self.email.clone().unwrap_or_default();
                (e.clone(), e)
            }
        }
    }
}

/// The per-dialog details that fill the phrase templates.
struct Ctx {
    lang: Lang,
    name: String,
    full_name: String,
    product: &'static Product,
    order: u32,
    track: String,
    day: &'static str,
    city: &'static str,
    qty: u32,
    promo: &'static str,
}

struct DialogPlan {
    client: usize,
    channel: Chan,
    status: Status,
    topic: usize,
    /// Who accepted the dialog (the previous one for a returned dialog).
    operator: Option<usize>,
    reason: Option<Reason>,
    target: usize,
    ctx: Ctx,
    msgs: Vec<Msg>,
    /// Index of the message that accepted the dialog (it sets accepted_at).
    accepted: Option<usize>,
    /// Index of the message that closed the dialog (it sets closed_at).
    closed: Option<usize>,
    start: DateTime<Utc>,
    read: Read,
    pinned: bool,
}

impl DialogPlan {
    fn assignee(&self) -> Option<usize> {
        match self.status {
            Status::InWork | Status::Closed | Status::ForReview => self.operator,
            Status::New | Status::Returned => None,
        }
    }

    fn close_reason(&self) -> Option<Reason> {
        match self.status {
            Status::Closed => self.reason,
            _ => None,
        }
    }

    fn end(&self) -> DateTime<Utc> {
        self.start + Duration::seconds(self.msgs.last().map_or(0, |m| m.off))
    }

    /// When the message at `index` was written.
    fn time_of(&self, index: Option<usize>) -> Option<DateTime<Utc>> {
        index
            .and_then(|i| self.msgs.get(i))
            .map(|m| self.start + Duration::seconds(m.off))
    }
}

struct Plan {
    now: DateTime<Utc>,
    clients: Vec<ClientPlan>,
    /// Sorted by start: index + 1 is the dialog number.
    dialogs: Vec<DialogPlan>,
}

/// Builds the whole demo in memory; deterministic apart from `now`.
fn make_plan(now: DateTime<Utc>) -> Plan {
    let mut rng = Rng::with_seed(SEED);
    let mut clients = make_clients(&mut rng);
    let mut dialogs = make_dialogs(&mut rng, &clients);
    for d in dialogs.iter_mut() {
        let built = build_conversation(&mut rng, d, &clients[d.client]);
        d.msgs = built.msgs;
        d.accepted = built.accepted;
        d.closed = built.closed;
        d.read = built.read;
        set_delivery(&mut rng, d);
    }
    for d in dialogs.iter_mut() {
        place_in_time(&mut rng, now, d);
    }
    separate(&mut rng, &mut dialogs);
    dialogs.sort_by_key(|d| d.start);

    // A few pinned dialogs in work.
    let in_work: Vec<usize> = dialogs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.status == Status::InWork && d.read != Read::Nothing)
        .map(|(i, _)| i)
        .collect();
    for _ in 0..4 {
        if !in_work.is_empty() {
            let i = in_work[rng.usize(..in_work.len())];
            dialogs[i].pinned = true;
        }
    }

    finish_clients(&mut rng, now, &mut clients, &dialogs);
    Plan {
        now,
        clients,
        dialogs,
    }
}

fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    xs[rng.usize(..xs.len())]
}

fn chance(rng: &mut Rng, p: f32) -> bool {
    rng.f32() < p
}

/// Russian to Latin, for usernames and e-mail addresses.
fn translit(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ю' => "yu",
            'я' => "ya",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(t);
    }
    out
}

/// The feminine form of a Russian surname (Иванов → Иванова, Вишневский → Вишневская).
fn feminine_surname(s: &str) -> String {
    if let Some(stem) = s.strip_suffix("ий") {
        format!("{stem}ая")
    } else if ["ов", "ев", "ёв", "ин", "ын"]
        .iter()
        .any(|e| s.ends_with(e))
    {
        format!("{s}а")
    } else {
        s.to_string()
    }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.u8(0..10))).collect()
}

fn make_clients(rng: &mut Rng) -> Vec<ClientPlan> {
    let mut names = HashSet::new();
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    let mut usernames = HashSet::new();
    let mut chats = HashSet::new();
    let mut out = Vec::with_capacity(CLIENTS);

    for _ in 0..CLIENTS {
        let lang = if rng.bool() { Lang::Ru } else { Lang::En };
        let female = rng.bool();
        let (mut first, mut last, mut name) = (String::new(), String::new(), String::new());
        for _ in 0..20 {
            (first, last) = match (lang, female) {
                (Lang::Ru, false) => (
                    pick(rng, RU_MALE).to_string(),
                    pick(rng, RU_SURNAMES).to_string(),
                ),
                (Lang::Ru, true) => (
                    pick(rng, RU_FEMALE).to_string(),
                    feminine_surname(pick(rng, RU_SURNAMES)),
                ),
                (Lang::En, false) => (
                    pick(rng, EN_MALE).to_string(),
                    pick(rng, EN_SURNAMES).to_string(),
                ),
                (Lang::En, true) => (
                    pick(rng, EN_FEMALE).to_string(),
                    pick(rng, EN_SURNAMES).to_string(),
                ),
            };
            name = if chance(rng, 0.8) {
                format!("{first} {last}")
            } else {
                first.clone()
            };
            if names.insert(name.clone()) {
                break;
            }
        }

        let r = rng.f32();
        let home = if r < 0.45 {
            Chan::Telegram
        } else if r < 0.80 {
            Chan::Whatsapp
        } else {
            Chan::Email
        };
        let mut channels = vec![home];
        if chance(rng, 0.12) {
            let others: Vec<Chan> = Chan::ALL.iter().copied().filter(|&c| c != home).collect();
            channels.push(pick(rng, &others));
        }
        let uses = |c: Chan| channels.contains(&c);

        let (lf, ll) = (translit(&first), translit(&last));

        // Phone: always generated (WhatsApp needs it), shown only when the client shared it.
        let (phone_fmt, phone_digits) = loop {
            let (fmt, dig) = match lang {
                Lang::Ru => {
                    let (a, b, c, d) = (
                        digits(rng, 2),
                        digits(rng, 3),
                        digits(rng, 2),
                        digits(rng, 2),
                    );
                    (format!("+7 9{a} {b}-{c}-{d}"), format!("79{a}{b}{c}{d}"))
                }
                Lang::En if chance(rng, 0.6) => {
                    let (a, b) = (digits(rng, 3), digits(rng, 6));
                    (format!("+44 7{a} {b}"), format!("447{a}{b}"))
                }
                Lang::En => {
                    let a = format!("{}{}", rng.u8(2..10), digits(rng, 2));
                    let (b, c) = (digits(rng, 3), digits(rng, 4));
                    (format!("+1 {a} {b}-{c}"), format!("1{a}{b}{c}"))
                }
            };
            if phones.insert(dig.clone()) {
                break (fmt, dig);
            }
        };
        let phone = (uses(Chan::Whatsapp)
            || (uses(Chan::Telegram) && chance(rng, 0.35))
            || chance(rng, 0.25))
        .then_some(phone_fmt);

        let username = if uses(Chan::Telegram) && chance(rng, 0.85) {
            let mut u = String::new();
            for attempt in 0..10 {
                u = match rng.u8(0..4) {
                    0 => format!("{lf}_{ll}"),
                    1 => format!("{lf}{}", rng.u16(80..100)),
                    2 => format!("{}{ll}", lf.chars().next().unwrap_or('x')),
                    _ => format!("{ll}_{lf}"),
                };
                if attempt > 0 {
                    u.push_str(&rng.u16(1..1000).to_string());
                }
                if u.len() >= 5 && usernames.insert(u.clone()) {
                    break;
                }
            }
            Some(u)
        } else {
            None
        };

        let email = if uses(Chan::Email) || chance(rng, 0.15) {
            let domains: &[&str] = match lang {
                Lang::Ru => &["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru"],
                Lang::En => &[
                    "gmail.com",
                    "outlook.com",
                    "yahoo.com",
                    "icloud.com",
                    "hotmail.co.uk",
                ],
            };
            let mut e = String::new();
            for attempt in 0..10 {
                let local = match rng.u8(0..3) {
                    0 => format!("{lf}.{ll}"),
                    1 => format!("{}.{ll}", lf.chars().next().unwrap_or('x')),
                    _ => format!("{ll}{}", rng.u16(70..100)),
                };
                let suffix = if attempt > 0 {
                    rng.u16(1..100).to_string()
                } else {
                    String::new()
                };
                e = format!("{local}{suffix}@{}", pick(rng, domains));
                if emails.insert(e.clone()) {
                    break;
                }
            }
            Some(e)
        } else {
            None
        };

        let chat_id = loop {
            let id = rng.u64(100_000_000..7_999_999_999).to_string();
            if chats.insert(id.clone()) {
                break id;
            }
        };

        let staff_comment = if chance(rng, 0.08) {
            match lang {
                Lang::Ru => pick(rng, RU_STAFF_COMMENTS),
                Lang::En => pick(rng, EN_STAFF_COMMENTS),
            }
        } else {
            ""
        };
        let marketing_consent = if chance(rng, 0.5) {
            Some(chance(rng, 0.7))
        } else {
            None
        };

        out.push(ClientPlan {
            name,
            first,
            lang,
            female,
            phone,
            phone_digits,
            username,
            email,
            chat_id,
            channels,
            wholesale: home == Chan::Telegram && chance(rng, 0.12),
            old: chance(rng, 0.15),
            staff_comment,
            marketing_consent,
            is_potential: false,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            tags: Vec::new(),
        });
    }
    out
}

/// Decides who writes, where, and how each dialog ends; the conversations come later.
fn make_dialogs(rng: &mut Rng, clients: &[ClientPlan]) -> Vec<DialogPlan> {
    let mut order: Vec<usize> = (0..clients.len()).collect();
    rng.shuffle(&mut order);
    let mut regulars: Vec<usize> = (0..clients.len()).collect();
    rng.shuffle(&mut regulars);
    regulars.truncate(50);

    let mut active: Vec<Status> = std::iter::repeat_n(Status::New, NEW)
        .chain(std::iter::repeat_n(Status::InWork, IN_WORK))
        .chain(std::iter::repeat_n(Status::Returned, RETURNED))
        .collect();
    rng.shuffle(&mut active);
    let mut inactive: Vec<Status> = std::iter::repeat_n(Status::Closed, CLOSED)
        .chain(std::iter::repeat_n(Status::ForReview, FOR_REVIEW))
        .collect();
    rng.shuffle(&mut inactive);

    let mut out = Vec::with_capacity(active.len() + inactive.len());
    // One active dialog each for the first clients, on their usual channel (or their other one).
    for (k, &status) in active.iter().enumerate() {
        let client = order[k % order.len()];
        let chans = &clients[client].channels;
        let channel = if chans.len() > 1 && chance(rng, 0.25) {
            chans[1]
        } else {
            chans[0]
        };
        out.push(new_dialog(rng, clients, client, channel, status));
    }
    // Finished dialogs: everyone else gets one, then the regulars come back more often.
    for (k, &status) in inactive.iter().enumerate() {
        let rest = order.len().saturating_sub(active.len());
        let client = if k < rest {
            order[active.len() + k]
        } else if chance(rng, 0.5) {
            pick(rng, &regulars)
        } else {
            rng.usize(..clients.len())
        };
        let chans = &clients[client].channels;
        let channel = if chans.len() > 1 && chance(rng, 0.35) {
            chans[1]
        } else {
            chans[0]
        };
        out.push(new_dialog(rng, clients, client, channel, status));
    }
    out
}

fn new_dialog(
    rng: &mut Rng,
    clients: &[ClientPlan],
    client: usize,
    channel: Chan,
    status: Status,
) -> DialogPlan {
    let cl = &clients[client];
    let line = channel.line();
    let topic = if line == SALES {
        if cl.wholesale {
            T_WHOLESALE
        } else if chance(rng, 0.6) {
            T_PRICE
        } else {
            T_PROMO
        }
    } else {
        let r = rng.f32();
        if r < 0.30 {
            T_ORDER
        } else if r < 0.50 {
            T_DELIVERY
        } else if r < 0.70 {
            T_RETURNS
        } else if r < 0.82 {
            T_COMPLAINT
        } else {
            T_PAYMENT
        }
    };
    let reason = match status {
        Status::Closed => {
            let r = rng.f32();
            Some(if r < 0.64 {
                Reason::Resolved
            } else if r < 0.80 {
                Reason::NoAnswer
            } else if r < 0.87 {
                if line == SALES {
                    Reason::Competitor
                } else {
                    Reason::Resolved
                }
            } else if r < 0.90 {
                Reason::Spam
            } else if line == SALES {
                // Sales may close without a reason; Support requires one.
                return finish_new_dialog(rng, cl, client, channel, status, topic, None);
            } else {
                Reason::Resolved
            })
        }
        _ => None,
    };
    finish_new_dialog(rng, cl, client, channel, status, topic, reason)
}

fn finish_new_dialog(
    rng: &mut Rng,
    cl: &ClientPlan,
    client: usize,
    channel: Chan,
    status: Status,
    topic: usize,
    reason: Option<Reason>,
) -> DialogPlan {
    let line = channel.line();
    let operator = match status {
        Status::New => None,
        _ => Some(if chance(rng, 0.15) {
            ALEX
        } else {
            line_operator(line)
        }),
    };
    // Between lo and hi, most often somewhat below the middle, now and then long.
    let tri = |rng: &mut Rng, lo: usize, hi: usize| -> usize {
        let u = ((rng.f64() + rng.f64()) / 2.0).powf(1.35);
        lo + (u * (hi - lo) as f64).round() as usize
    };
    let email = channel == Chan::Email;
    let target = if reason == Some(Reason::Spam) {
        4
    } else {
        match status {
            Status::New => rng.usize(2..=5),
            _ if email => rng.usize(5..=12),
            Status::InWork => tri(rng, 4, 50),
            Status::Returned => tri(rng, 8, 34),
            Status::Closed => tri(rng, 5, 60),
            Status::ForReview => tri(rng, 8, 44),
        }
    };
    let ctx = Ctx {
        lang: cl.lang,
        name: cl.first.clone(),
        full_name: cl.name.clone(),
        product: &PRODUCTS[rng.usize(..PRODUCTS.len())],
        order: rng.u32(41_000..59_999),
        track: format!("DS{}", rng.u64(1_000_000_000..9_999_999_999)),
        day: match cl.lang {
            Lang::En => pick(rng, EN_DAYS),
            Lang::Ru => pick(rng, RU_DAYS),
        },
        city: match cl.lang {
            Lang::En => pick(rng, EN_CITIES),
            Lang::Ru => pick(rng, RU_CITIES_ACC),
        },
        qty: pick(rng, &[20, 30, 50, 100, 200]),
        promo: pick(rng, &["WELCOME7", "DEMO10", "AUTUMN15"]),
    };
    DialogPlan {
        client,
        channel,
        status,
        topic,
        operator,
        reason,
        target,
        ctx,
        msgs: Vec::new(),
        accepted: None,
        closed: None,
        start: DateTime::<Utc>::UNIX_EPOCH,
        read: Read::Nothing,
        pinned: false,
    }
}

/// Formats a whole number of roubles as "12 990 ₽".
fn rubles(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out.push_str(" ₽");
    out
}

/// Fills a phrase template. `lang` is the language of the phrase, `female` the speaker's
/// gender (for Russian past tense, written `{a}`), `op` the operator who is meant by `{op}`,
/// `other` the colleague meant by `{other}`.
fn render(tpl: &str, c: &Ctx, lang: Lang, female: bool, op: usize, other: usize) -> String {
    let mut out = String::with_capacity(tpl.len() + 32);
    let mut rest = tpl;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let key = &after[..j];
        let discounted = |x: u32| (f64::from(x) * 0.93).round() as u32;
        match key {
            "name" => out.push_str(&c.name),
            "op" => out.push_str(match lang {
                Lang::En => STAFF[op].first_en,
                Lang::Ru => STAFF[op].first_ru,
            }),
            "other" => out.push_str(match lang {
                Lang::En => STAFF[other].first_en,
                Lang::Ru => STAFF[other].first_ru,
            }),
            "other_gen" => out.push_str(match lang {
                Lang::En => STAFF[other].first_en,
                Lang::Ru => STAFF[other].first_ru_gen,
            }),
            "product" => out.push_str(match lang {
                Lang::En => c.product.en,
                Lang::Ru => c.product.ru,
            }),
            "price" => match lang {
                Lang::En => out.push_str(&format!("${}", c.product.usd)),
                Lang::Ru => out.push_str(&rubles(c.product.rub)),
            },
            "sum" => match lang {
                Lang::En => out.push_str(&format!("${}", discounted(c.product.usd))),
                Lang::Ru => out.push_str(&rubles(discounted(c.product.rub) / 10 * 10)),
            },
            "order" => out.push_str(&c.order.to_string()),
            "track" => out.push_str(&c.track),
            "day" => out.push_str(c.day),
            "city" => out.push_str(c.city),
            "qty" => out.push_str(&c.qty.to_string()),
            "promo" => out.push_str(c.promo),
            "a" => {
                if female && lang == Lang::Ru {
                    out.push('а');
                }
            }
            _ => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// A conversation being written, with its clock.
struct Conv<'a> {
    rng: &'a mut Rng,
    ctx: &'a Ctx,
    client: &'a ClientPlan,
    email: bool,
    msgs: Vec<Msg>,
    t: i64,
    client_emails: usize,
}

impl Conv<'_> {
    /// A natural pause before a message from `next`, after the previous one.
    fn gap(&mut self, next: Who) -> i64 {
        let Some(prev) = self.msgs.last().map(|m| m.who) else {
            return 0;
        };
        let r = self.rng.f32();
        let (lo, hi) = match (prev, next) {
            (Who::Client, Who::Client) => (5, 90),
            (Who::Client, Who::Operator) if r < 0.12 => (600, 3_600),
            (Who::Client, Who::Operator) => (30, 600),
            (Who::Operator, Who::Client) if r < 0.04 => (40_000, 80_000),
            (Who::Operator, Who::Client) if r < 0.14 => (1_500, 10_800),
            (Who::Operator, Who::Client) => (60, 1_500),
            (Who::Operator, Who::Operator) => (10, 90),
            (_, Who::Note) => (20, 240),
            (Who::Note, _) => (30, 300),
            (Who::System, Who::Client) => (1, 5),
            (Who::System, Who::Operator) => (15, 120),
            (Who::System, Who::System) => (2, 30),
            (_, Who::System) => (120, 3_600),
        };
        let g = self.rng.i64(lo..=hi);
        let slow = matches!(
            (prev, next),
            (Who::Client, Who::Operator) | (Who::Operator, Who::Client)
        );
        if self.email && slow { g * 6 } else { g }
    }

    fn push_after(&mut self, gap: i64, who: Who, author: Option<usize>, body: String) {
        if !self.msgs.is_empty() {
            self.t += gap.max(1);
        }
        self.msgs.push(Msg {
            off: self.t,
            who,
            author,
            body,
            delivery: None,
            error: None,
        });
    }

    fn push(&mut self, who: Who, author: Option<usize>, body: String) {
        let g = self.gap(who);
        self.push_after(g, who, author, body);
    }

    fn system(&mut self, body: String) {
        self.push(Who::System, None, body);
    }

    fn client(&mut self, tpl: &str) {
        let lang = self.ctx.lang;
        let mut body = render(tpl, self.ctx, lang, self.client.female, ALEX, ALEX);
        if self.email {
            let common = common(lang);
            if self.client_emails == 0 {
                body = format!("{body}\n\n{}\n{}", common.regards, self.ctx.full_name);
                if chance(self.rng, 0.2) {
                    body = format!("{body}\n\n{}", common.iphone);
                }
            } else {
                body = format!("{body}\n\n{}", self.ctx.name);
            }
            self.client_emails += 1;
        }
        self.push(Who::Client, None, body);
    }

    fn op(&mut self, op: usize, tpl: &str) {
        let lang = self.ctx.lang;
        let mut body = render(tpl, self.ctx, lang, STAFF[op].female, op, ALEX);
        if self.email {
            let full = match lang {
                Lang::En => STAFF[op].full_en,
                Lang::Ru => STAFF[op].full_ru,
            };
            body = format!(
                "{body}\n\n{}\n{full}\n{}",
                common(lang).regards,
                common(lang).team
            );
        }
        self.push(Who::Operator, Some(op), body);
    }

    /// An internal note by `author` about this dialog, in the author's language.
    fn note(&mut self, author: usize, line: usize, topic: usize) {
        let other = if author == ALEX {
            line_operator(line)
        } else if chance(self.rng, 0.5) {
            ALEX
        } else if author == ANNA {
            IVAN
        } else {
            ANNA
        };
        let lang = STAFF[author].locale;
        let fitting: Vec<&str> = common(lang)
            .notes
            .iter()
            .filter(|(topics, _)| topics.is_empty() || topics.contains(&topic))
            .map(|&(_, n)| n)
            .collect();
        let tpl = pick(self.rng, &fitting);
        let body = render(tpl, self.ctx, lang, STAFF[author].female, author, other);
        self.push(Who::Note, Some(author), body);
    }
}

/// The messages of one dialog and the moments that matter for its row.
struct Built {
    msgs: Vec<Msg>,
    /// Index of the "accepted" system message.
    accepted: Option<usize>,
    /// Index of the message that closed the dialog (or sent it for review).
    closed: Option<usize>,
    read: Read,
}

/// Writes the conversation of a dialog, from "Dialog opened" to where its status says it is.
fn build_conversation(rng: &mut Rng, d: &DialogPlan, client: &ClientPlan) -> Built {
    let lang = client.lang;
    let common = common(lang);
    let topic = &TOPICS[d.topic];
    let script = topic.script(lang);
    let line = d.channel.line();
    let email = d.channel == Chan::Email;
    let spam = d.reason == Some(Reason::Spam);

    // Questions in the order they will come up: this topic, a related one, then anything.
    let mut queue: Vec<(&str, &str)> = script.pairs.to_vec();
    rng.shuffle(&mut queue);
    let related: Vec<usize> = (0..TOPICS.len())
        .filter(|&t| t != d.topic && TOPICS[t].line == line)
        .collect();
    let mut more = TOPICS[pick(rng, &related)].script(lang).pairs.to_vec();
    rng.shuffle(&mut more);
    let mut generic = common.generic.to_vec();
    rng.shuffle(&mut generic);
    queue.extend(more);
    queue.extend(generic);

    let mut conv = Conv {
        rng,
        ctx: &d.ctx,
        client,
        email,
        msgs: Vec::new(),
        t: 0,
        client_emails: 0,
    };
    let mut accepted = None;
    let mut closed = None;
    let mut qi = 0;

    let (opener, first_answer) = pick(conv.rng, script.open);
    conv.system("Dialog opened".to_string());
    if spam {
        let s = pick(conv.rng, common.spam);
        conv.client(s);
    } else {
        // Some people say hello in a message of its own, if the question does not.
        let greets = GREETINGS.iter().any(|g| opener.starts_with(g));
        if !email && !greets && chance(conv.rng, 0.5) {
            let h = pick(conv.rng, common.hello);
            conv.client(h);
        }
        conv.client(opener);
    }

    let Some(op) = d.operator else {
        // New: nobody has answered yet; the client adds details or asks again.
        while conv.msgs.len() < d.target {
            if !email && chance(conv.rng, 0.5) {
                let n = pick(conv.rng, common.nudges);
                conv.client(n);
            } else if let Some(&(q, _)) = queue.get(qi) {
                qi += 1;
                conv.client(q);
            } else {
                break;
            }
        }
        let msgs = conv.msgs;
        return Built {
            msgs,
            accepted,
            closed,
            read: Read::Nothing,
        };
    };

    let wait = conv.rng.i64(60..=1_800);
    conv.push_after(
        wait,
        Who::System,
        None,
        format!("{} accepted the dialog", STAFF[op].display),
    );
    // A returned dialog is nobody's any more, so it keeps no acceptance time.
    if d.status != Status::Returned {
        accepted = Some(conv.msgs.len() - 1);
    }

    if spam {
        conv.system(format!("Dialog closed: {}", Reason::Spam.name()));
        closed = Some(conv.msgs.len() - 1);
        let msgs = conv.msgs;
        return Built {
            msgs,
            accepted,
            closed,
            read: Read::All,
        };
    }

    conv.op(op, first_answer);

    let ending = match d.status {
        Status::Closed | Status::ForReview | Status::Returned => 3,
        Status::InWork => 1,
        Status::New => 0,
    };
    while conv.msgs.len() + ending < d.target {
        let Some(&(q, a)) = queue.get(qi) else { break };
        qi += 1;
        if !email && chance(conv.rng, 0.12) {
            let h = pick(conv.rng, common.fillers);
            conv.client(h);
        }
        conv.client(q);
        if !email && chance(conv.rng, 0.10) {
            let h = pick(conv.rng, common.fillers);
            conv.client(h);
        }
        if chance(conv.rng, 0.18) {
            let author = if chance(conv.rng, 0.8) {
                op
            } else if op == ALEX {
                line_operator(line)
            } else {
                ALEX
            };
            conv.note(author, line, d.topic);
        }
        if !email && chance(conv.rng, 0.25) {
            let w = pick(conv.rng, common.op_wait);
            conv.op(op, w);
        }
        conv.op(op, a);
    }

    let mut read = Read::All;
    match d.status {
        Status::Closed | Status::ForReview => {
            match d.reason {
                Some(Reason::NoAnswer) => {
                    conv.op(op, common.no_answer[0]);
                    if chance(conv.rng, 0.5) {
                        let g = conv.rng.i64(1_800..=7_200);
                        let body = render(
                            common.no_answer[1],
                            conv.ctx,
                            lang,
                            STAFF[op].female,
                            op,
                            ALEX,
                        );
                        conv.push_after(g, Who::Operator, Some(op), body);
                    }
                }
                Some(Reason::Competitor) => {
                    let c = pick(conv.rng, common.competitor);
                    conv.client(c);
                    let r = pick(conv.rng, common.competitor_reply);
                    conv.op(op, r);
                }
                _ => {
                    if chance(conv.rng, 0.9) {
                        let t = pick(conv.rng, common.thanks);
                        conv.client(t);
                    }
                    if chance(conv.rng, 0.7) {
                        let b = pick(conv.rng, common.bye);
                        conv.op(op, b);
                    }
                }
            }
            let body = if d.status == Status::ForReview {
                format!("{} sent the dialog for review", STAFF[op].display)
            } else {
                match d.reason {
                    Some(r) => format!("Dialog closed: {}", r.name()),
                    None => "Dialog closed".to_string(),
                }
            };
            if d.reason == Some(Reason::NoAnswer) {
                let g = conv.rng.i64(3_600..=86_400);
                conv.push_after(g, Who::System, None, body);
            } else {
                conv.system(body);
            }
            closed = Some(conv.msgs.len() - 1);
        }
        Status::InWork => {
            // Some dialogs wait for the operator: the client wrote last.
            if chance(conv.rng, 0.45) {
                let before = conv.msgs.len() - 1;
                let q = queue
                    .get(qi)
                    .map_or_else(|| pick(conv.rng, common.nudges), |p| p.0);
                conv.client(q);
                if !email && chance(conv.rng, 0.3) {
                    let n = pick(conv.rng, common.nudges);
                    conv.client(n);
                }
                if chance(conv.rng, 0.55) {
                    read = Read::UpTo(before);
                }
            }
        }
        Status::Returned => {
            conv.system(format!(
                "{} returned the dialog to the queue ({})",
                STAFF[op].display, LINE_NAMES[line]
            ));
            let q = queue
                .get(qi)
                .map_or_else(|| pick(conv.rng, common.nudges), |p| p.0);
            conv.client(q);
            if !email && chance(conv.rng, 0.4) {
                let n = pick(conv.rng, common.nudges);
                conv.client(n);
            }
            read = Read::Nothing;
        }
        Status::New => {}
    }

    let msgs = conv.msgs;
    Built {
        msgs,
        accepted,
        closed,
        read,
    }
}

/// Delivery states of the operator's messages: read when the client answered after them,
/// otherwise delivered or sent, and now and then failed.
fn set_delivery(rng: &mut Rng, d: &mut DialogPlan) {
    // Walking backwards: has the client answered (or read a later reply) after this one?
    let mut client_after = false;
    let mut read_after = false;
    for m in d.msgs.iter_mut().rev() {
        match m.who {
            Who::Client => client_after = true,
            Who::Operator => {
                let r = rng.f32();
                let state = if !client_after && !read_after && r < 0.06 {
                    m.error = Some(d.channel.failure());
                    "failed"
                } else if d.channel == Chan::Email {
                    if r < 0.7 { "delivered" } else { "sent" }
                } else if client_after || read_after || r < 0.35 {
                    "read"
                } else if r < 0.85 {
                    "delivered"
                } else {
                    "sent"
                };
                read_after |= state == "read";
                m.delivery = Some(state);
            }
            Who::Note | Who::System => {}
        }
    }
}

/// Sets when a dialog started: open ones lately (their last message mostly within two days,
/// some within the hour), finished ones over the last 30 days, starting in the daytime. Staff
/// do not write at night (see [`keep_working_hours`]), and nothing lies in the future.
fn place_in_time(rng: &mut Rng, now: DateTime<Utc>, d: &mut DialogPlan) {
    let span = d.msgs.last().map_or(0, |m| m.off);
    let r = rng.f32();
    let end_ago = match d.status {
        Status::New if r < 0.3 => rng.i64(60..3_600),
        Status::New if r < 0.75 => rng.i64(3_600..43_200),
        Status::New => rng.i64(43_200..172_800),
        Status::InWork if r < 0.2 => rng.i64(30..3_600),
        Status::InWork if r < 0.7 => rng.i64(3_600..86_400),
        Status::InWork if r < 0.95 => rng.i64(86_400..259_200),
        Status::InWork => rng.i64(259_200..604_800),
        Status::Returned => rng.i64(600..172_800),
        Status::ForReview => rng.i64(86_400..432_000),
        Status::Closed => {
            // A working day in the last month: 09:00–23:00 Moscow time.
            let day = (now - Duration::days(rng.i64(0..30))).date_naive();
            d.start = day.and_time(NaiveTime::MIN).and_utc()
                + Duration::hours(6)
                + Duration::seconds(rng.i64(0..14 * 3_600));
            -1
        }
    };
    if end_ago >= 0 {
        d.start = now - Duration::seconds(end_ago + span);
    }
    keep_working_hours(rng, d);

    // Moving by whole days keeps every message at its time of day.
    let latest = if d.status.is_active() {
        now - Duration::seconds(30)
    } else {
        now - Duration::seconds(rng.i64(120..7_200))
    };
    let end = d.end();
    if end > latest {
        let days = (end - latest).num_seconds().div_euclid(86_400) + 1;
        d.start -= Duration::days(days);
    }
}

/// 23:00–08:00 Moscow time (UTC+3), when nobody works in the demo shop.
fn is_night(t: DateTime<Utc>) -> bool {
    let h = t.hour();
    !(5..20).contains(&h)
}

/// Clients write whenever they like, but replies, notes and actions of the staff wait for
/// the morning: such a message and everything after it move to 08:00–08:45 Moscow time.
fn keep_working_hours(rng: &mut Rng, d: &mut DialogPlan) {
    let mut shift = 0;
    for (i, m) in d.msgs.iter_mut().enumerate() {
        m.off += shift;
        if i == 0 || m.who == Who::Client {
            continue;
        }
        let at = d.start + Duration::seconds(m.off);
        if is_night(at) {
            let day = if at.hour() >= 20 {
                at.date_naive() + Duration::days(1)
            } else {
                at.date_naive()
            };
            let morning = day.and_time(NaiveTime::MIN).and_utc() + Duration::hours(5);
            let delta = (morning - at).num_seconds() + rng.i64(0..2_700);
            shift += delta;
            m.off += delta;
        }
    }
}

/// Keeps the dialogs of one client on one channel apart: each one ends before the next one
/// starts, and the open one (there is at most one) is the latest. Earlier dialogs move back
/// by whole days.
fn separate(rng: &mut Rng, dialogs: &mut [DialogPlan]) {
    let mut groups: BTreeMap<(usize, Chan), Vec<usize>> = BTreeMap::new();
    for (i, d) in dialogs.iter().enumerate() {
        groups.entry((d.client, d.channel)).or_default().push(i);
    }
    for (_, mut idx) in groups {
        idx.sort_by_key(|&i| (dialogs[i].status.is_active(), dialogs[i].start, i));
        let mut limit: Option<DateTime<Utc>> = None;
        for &i in idx.iter().rev() {
            if let Some(limit) = limit {
                // Whole days, so that the staff's messages stay in working hours.
                let gap = Duration::seconds(rng.i64(2 * 3_600..72 * 3_600));
                let overlap = (dialogs[i].end() + gap - limit).num_seconds();
                if overlap > 0 {
                    dialogs[i].start -= Duration::days(overlap.div_euclid(86_400) + 1);
                }
            }
            limit = Some(dialogs[i].start);
        }
    }
}

/// Client creation times, leads and tags, from what their dialogs turned out to be.
fn finish_clients(
    rng: &mut Rng,
    now: DateTime<Utc>,
    clients: &mut [ClientPlan],
    dialogs: &[DialogPlan],
) {
    let mut first: Vec<Option<DateTime<Utc>>> = vec![None; clients.len()];
    let mut count = vec![0usize; clients.len()];
    let mut sales_only = vec![true; clients.len()];
    let mut complained = vec![false; clients.len()];
    for d in dialogs {
        let c = d.client;
        first[c] = Some(first[c].map_or(d.start, |f| f.min(d.start)));
        count[c] += 1;
        sales_only[c] &= d.channel.line() == SALES;
        complained[c] |= d.topic == T_COMPLAINT;
    }
    for (c, cl) in clients.iter_mut().enumerate() {
        let first_seen = first[c].unwrap_or(now);
        cl.created_at = if cl.old {
            now - Duration::days(rng.i64(40..400)) - Duration::seconds(rng.i64(0..86_400))
        } else {
            first_seen - Duration::seconds(rng.i64(0..3))
        };
        cl.is_potential =
            !cl.old && !cl.wholesale && sales_only[c] && count[c] == 1 && chance(rng, 0.7);
        if (count[c] >= 2 && chance(rng, 0.06)) || (cl.wholesale && chance(rng, 0.3)) {
            cl.tags.push(TAG_VIP);
        }
        if cl.wholesale {
            cl.tags.push(TAG_WHOLESALE);
        }
        if complained[c] && chance(rng, 0.7) {
            cl.tags.push(TAG_COMPLAINT);
        }
        if count[c] >= 3 || (cl.old && chance(rng, 0.5)) {
            cl.tags.push(TAG_RETURNING);
        }
        if cl.is_potential {
            cl.tags.push(TAG_LEAD);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Phrases
// ------------------------------------------------------------------------------------------
//
// Templates use {name} (the client's first name), {op} (the operator's first name), {other}
// and {other_gen} (a colleague, nominative and Russian genitive), {product}, {price}, {sum}
// (the price with 7% off), {order}, {track}, {day}, {city} (Russian: accusative, after "в"),
// {qty}, {promo}, and {a}: the Russian feminine past-tense ending of whoever speaks.

struct Product {
    ru: &'static str,
    en: &'static str,
    rub: u32,
    usd: u32,
}

static PRODUCTS: [Product; 14] = [
    Product {
        ru: "кроссовки Nike Air Max 90",
        en: "Nike Air Max 90 sneakers",
        rub: 12_990,
        usd: 139,
    },
    Product {
        ru: "рюкзак Fjällräven Kånken",
        en: "Fjällräven Kånken backpack",
        rub: 8_490,
        usd: 89,
    },
    Product {
        ru: "чайник Xiaomi Mi Kettle",
        en: "Xiaomi Mi Kettle",
        rub: 2_990,
        usd: 35,
    },
    Product {
        ru: "наушники Sony WH-1000XM5",
        en: "Sony WH-1000XM5 headphones",
        rub: 32_990,
        usd: 349,
    },
    Product {
        ru: "пылесос Dyson V12",
        en: "Dyson V12 vacuum",
        rub: 54_990,
        usd: 599,
    },
    Product {
        ru: "смартфон Samsung Galaxy A55",
        en: "Samsung Galaxy A55",
        rub: 36_990,
        usd: 399,
    },
    Product {
        ru: "набор посуды Tefal Ingenio",
        en: "Tefal Ingenio cookware set",
        rub: 9_990,
        usd: 119,
    },
    Product {
        ru: "электросамокат Ninebot Max",
        en: "Ninebot Max e-scooter",
        rub: 64_990,
        usd: 699,
    },
    Product {
        ru: "увлажнитель воздуха Xiaomi",
        en: "Xiaomi humidifier",
        rub: 4_490,
        usd: 49,
    },
    Product {
        ru: "пуховик The North Face",
        en: "The North Face down jacket",
        rub: 27_990,
        usd: 299,
    },
    Product {
        ru: "блендер Bosch ErgoMixx",
        en: "Bosch ErgoMixx blender",
        rub: 6_990,
        usd: 79,
    },
    Product {
        ru: "робот-пылесос Roborock S8",
        en: "Roborock S8 robot vacuum",
        rub: 49_990,
        usd: 549,
    },
    Product {
        ru: "фитнес-браслет Xiaomi Smart Band 9",
        en: "Xiaomi Smart Band 9",
        rub: 3_990,
        usd: 45,
    },
    Product {
        ru: "кофе в зёрнах Lavazza, 1 кг",
        en: "Lavazza coffee beans, 1 kg",
        rub: 1_890,
        usd: 22,
    },
];

static EN_DAYS: &[&str] = &[
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "on Saturday",
    "tomorrow",
    "the day after tomorrow",
];
static RU_DAYS: &[&str] = &[
    "в понедельник",
    "во вторник",
    "в среду",
    "в четверг",
    "в пятницу",
    "в субботу",
    "завтра",
    "послезавтра",
];
static EN_CITIES: &[&str] = &[
    "London",
    "Manchester",
    "Leeds",
    "Dublin",
    "Berlin",
    "Amsterdam",
    "New York",
    "Toronto",
];
static RU_CITIES_ACC: &[&str] = &[
    "Москву",
    "Санкт-Петербург",
    "Казань",
    "Екатеринбург",
    "Новосибирск",
    "Самару",
    "Краснодар",
    "Тверь",
    "Нижний Новгород",
];

/// One side of a topic in one language.
struct Script {
    /// How the client starts, and the operator's first answer to exactly that.
    open: &'static [(&'static str, &'static str)],
    /// Follow-up questions and their answers.
    pairs: &'static [(&'static str, &'static str)],
}

struct Topic {
    line: usize,
    en: Script,
    ru: Script,
}

impl Topic {
    fn script(&self, lang: Lang) -> &Script {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

const T_PRICE: usize = 0;
const T_PROMO: usize = 1;
const T_WHOLESALE: usize = 2;
const T_ORDER: usize = 3;
const T_DELIVERY: usize = 4;
const T_RETURNS: usize = 5;
const T_COMPLAINT: usize = 6;
const T_PAYMENT: usize = 7;

static TOPICS: [Topic; 8] = [
    // T_PRICE
    Topic {
        line: SALES,
        en: Script {
            open: &[
                (
                    "Hi! How much is the {product}?",
                    "Hello, {name}! My name is {op}. The {product} is {price}, and it's in stock.",
                ),
                (
                    "Hello, is the {product} in stock?",
                    "Hi {name}, yes, we have it. It's {price}, delivery takes 2–3 days.",
                ),
                (
                    "Do you still have the {product}? What's the price?",
                    "Hello! Yes, it's available: {price}. Would you like to order?",
                ),
                (
                    "Hey, I saw the {product} on your website. Is it available?",
                    "Hi! Thanks for your interest. Yes, the {product} is {price} at the moment, and we have a few left.",
                ),
                (
                    "What's your best price for the {product}?",
                    "Hello, {name}! The {product} is {price}, and new customers get 7% off with the code {promo}.",
                ),
            ],
            pairs: &[
                (
                    "Is there a discount if I buy two?",
                    "For two items we can give 5% off, I'll apply it to your order.",
                ),
                (
                    "What colours do you have?",
                    "Black, grey and navy right now. White is expected next week.",
                ),
                (
                    "How long is the warranty?",
                    "12 months from the manufacturer, plus 14 days to return it if it doesn't suit you.",
                ),
                (
                    "Can you deliver to {city}?",
                    "Yes, we deliver to {city}. Courier delivery takes 2–4 days and is free for orders over $100.",
                ),
                (
                    "Can I pick it up myself?",
                    "Sure, our pickup point is open daily from 10 to 21. I'll send you the address.",
                ),
                (
                    "Is it the original?",
                    "Yes, everything we sell is original, we buy directly from the official distributor.",
                ),
                (
                    "Is there any way to get it cheaper?",
                    "This is already our lowest price, but new customers get 7% off with the code {promo}.",
                ),
                (
                    "OK, I'll take it. How do I order?",
                    "Great! Send me your full name, phone and delivery address, and I'll place the order for you.",
                ),
                (
                    "When can you ship it?",
                    "If you order today before 6 pm, it ships today.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте! Сколько стоит {product}?",
                    "Здравствуйте, {name}! Меня зовут {op}. Цена {price}, есть в наличии.",
                ),
                (
                    "Добрый день, {product} есть в наличии?",
                    "Добрый день, {name}! Да, есть, цена {price}, доставка 2–3 дня.",
                ),
                (
                    "Привет! Подскажите цену на {product}",
                    "Здравствуйте! Цена {price}. Оформляем?",
                ),
                (
                    "Здравствуйте, на сайте у вас {product}. Ещё актуально?",
                    "Здравствуйте! Да, актуально: сейчас {product} стоит {price}, осталось несколько штук.",
                ),
                (
                    "Какая у вас лучшая цена на {product}?",
                    "Добрый день, {name}! Цена {price}, а для новых клиентов по промокоду {promo} — скидка 7%.",
                ),
            ],
            pairs: &[
                (
                    "А если взять две штуки, будет скидка?",
                    "При покупке двух штук можем сделать скидку 5%, добавлю её в заказ.",
                ),
                (
                    "Какие есть цвета?",
                    "Сейчас есть чёрный, серый и тёмно-синий. Белый ждём на следующей неделе.",
                ),
                (
                    "Какая гарантия?",
                    "Гарантия производителя 12 месяцев, плюс 14 дней на возврат, если не подойдёт.",
                ),
                (
                    "Доставляете в {city}?",
                    "Да, доставляем в {city}. Курьером 2–4 дня, при заказе от 5000 ₽ — бесплатно.",
                ),
                (
                    "Можно забрать самовывозом?",
                    "Конечно, пункт самовывоза работает ежедневно с 10 до 21. Сейчас пришлю адрес.",
                ),
                (
                    "Это оригинал?",
                    "Да, у нас только оригинальная продукция, работаем напрямую с официальным дистрибьютором.",
                ),
                (
                    "А дешевле никак?",
                    "Это уже минимальная цена, но для новых клиентов есть промокод {promo} на 7%.",
                ),
                (
                    "Хорошо, беру. Как оформить?",
                    "Отлично! Напишите ФИО, телефон и адрес доставки — оформлю заказ за вас.",
                ),
                (
                    "Когда сможете отправить?",
                    "Если оформить сегодня до 18:00, отправим сегодня же.",
                ),
            ],
        },
    },
    // T_PROMO
    Topic {
        line: SALES,
        en: Script {
            open: &[
                (
                    "Hi! The promo code {promo} doesn't work at checkout",
                    "Hello, {name}! Let me check. The code {promo} works for orders over $50 — could that be the reason?",
                ),
                (
                    "Hello, do you have any discounts right now?",
                    "Hi {name}! Right now there's 10% off home appliances, and the code {promo} gives 7% off your first order.",
                ),
                (
                    "Hi, is there a discount on the {product}?",
                    "Hello! My name is {op}. The {product} isn't on sale right now, but the code {promo} gives 7% off your first order.",
                ),
                (
                    "I got the promo code {promo} in your newsletter but the site says it's invalid",
                    "Hello, {name}! Sorry about that, I'll check the code. Which product are you ordering?",
                ),
            ],
            pairs: &[
                (
                    "My order is $45",
                    "Then the code won't apply, unfortunately. If you add something for $5 or more, it will work.",
                ),
                (
                    "Can you apply it manually?",
                    "Done, I've applied the discount manually. The new total is {sum}.",
                ),
                (
                    "Does the discount stack with the sale?",
                    "Unfortunately discounts don't stack, the larger one is applied.",
                ),
                (
                    "When is the next sale?",
                    "Black Friday starts at the end of the month — subscribe to our channel so you don't miss it.",
                ),
                (
                    "Do you have a loyalty program?",
                    "Yes, 3% of every order comes back as bonus points, you can spend them on the next one.",
                ),
                (
                    "I'm ordering the {product}",
                    "With the code the {product} comes to {sum}.",
                ),
                (
                    "Is there a birthday discount?",
                    "Yes! 15% during the week of your birthday, just send a photo of your ID here.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте! Промокод {promo} не срабатывает при оформлении",
                    "Здравствуйте, {name}! Сейчас проверю. Промокод {promo} действует на заказы от 3000 ₽ — может, дело в этом?",
                ),
                (
                    "Добрый день, сейчас есть какие-нибудь скидки?",
                    "Добрый день, {name}! Сейчас скидка 10% на бытовую технику, а по промокоду {promo} — 7% на первый заказ.",
                ),
                (
                    "Привет, а на {product} скидка есть?",
                    "Здравствуйте! Меня зовут {op}. На этот товар сейчас акции нет, но по промокоду {promo} будет 7% на первый заказ.",
                ),
                (
                    "Пришёл промокод {promo} в рассылке, а сайт пишет, что он недействителен",
                    "Здравствуйте, {name}! Извините за неудобство, сейчас проверю промокод. Какой товар оформляете?",
                ),
            ],
            pairs: &[
                (
                    "У меня заказ на 2700",
                    "Тогда промокод, к сожалению, не применится. Если добавить что-нибудь от 300 ₽, всё сработает.",
                ),
                (
                    "Можете применить вручную?",
                    "Готово, применил{a} скидку вручную. Новая сумма — {sum}.",
                ),
                (
                    "Скидка суммируется с распродажей?",
                    "К сожалению, скидки не суммируются, применяется бо́льшая.",
                ),
                (
                    "А когда следующая распродажа?",
                    "«Чёрная пятница» стартует в конце месяца, подпишитесь на наш канал, чтобы не пропустить.",
                ),
                (
                    "Есть программа лояльности?",
                    "Да, с каждого заказа возвращается 3% бонусами, их можно потратить на следующую покупку.",
                ),
                (
                    "Беру {product}",
                    "С промокодом {product} обойдётся в {sum}.",
                ),
                (
                    "А скидка в день рождения есть?",
                    "Да! 15% в течение недели до и после дня рождения, достаточно прислать сюда фото паспорта.",
                ),
            ],
        },
    },
    // T_WHOLESALE
    Topic {
        line: SALES,
        en: Script {
            open: &[
                (
                    "Hello, we run a small shop in {city}. Do you work with wholesale buyers?",
                    "Hello, {name}! Yes, we sell wholesale from 10 items. I'll send you the price list.",
                ),
                (
                    "Hi, what's your wholesale price for the {product}? We need {qty} pcs.",
                    "Hello! For {qty} pcs the price would be {sum} per item. Do you need an invoice?",
                ),
                (
                    "Can we get a price list for resellers?",
                    "Hi {name}, my name is {op}, I handle wholesale orders. Sure — which products are you interested in?",
                ),
            ],
            pairs: &[
                (
                    "Do you work with VAT?",
                    "Yes, we can issue an invoice with VAT.",
                ),
                (
                    "What's the minimum order?",
                    "The minimum wholesale order is 10 items or $1,000.",
                ),
                (
                    "Can you send the price list by email?",
                    "The price list has been sent to your email, please check the spam folder too.",
                ),
                (
                    "How fast can you ship {qty} pcs?",
                    "We have them in stock and can ship within 2 working days after payment.",
                ),
                (
                    "Is deferred payment possible?",
                    "The first order is 100% prepaid; from the second one we can discuss 14 days' deferral.",
                ),
                (
                    "Do you give samples?",
                    "We can send one sample at the wholesale price and deduct it from the first order.",
                ),
                (
                    "Can you put our logo on the packaging?",
                    "Yes, branded packaging is possible from 200 items, it adds about a week.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте! Работаете с оптовиками? У нас небольшой магазин.",
                    "Здравствуйте, {name}! Да, работаем с оптом от 10 единиц. Сейчас пришлю прайс.",
                ),
                (
                    "Добрый день, какая оптовая цена на {product}? Нужно {qty} шт.",
                    "Добрый день! При заказе {qty} шт. цена будет {sum} за единицу. Нужен счёт?",
                ),
                (
                    "Здравствуйте, можно прайс для перекупщиков?",
                    "Здравствуйте, {name}, меня зовут {op}, я веду оптовые заказы. Конечно — какие товары интересуют?",
                ),
            ],
            pairs: &[
                ("Работаете с НДС?", "Да, можем выставить счёт с НДС."),
                (
                    "Какой минимальный заказ?",
                    "Минимальный оптовый заказ — 10 единиц или 100 000 ₽.",
                ),
                (
                    "Можете прислать прайс на почту?",
                    "Прайс отправлен на почту, проверьте, пожалуйста, и папку «Спам».",
                ),
                (
                    "Как быстро отгрузите {qty} шт.?",
                    "Всё есть на складе, отгрузим в течение 2 рабочих дней после оплаты.",
                ),
                (
                    "Есть отсрочка платежа?",
                    "Первый заказ — 100% предоплата, со второго можем обсудить отсрочку 14 дней.",
                ),
                (
                    "Образцы даёте?",
                    "Можем отправить один образец по оптовой цене и зачесть его стоимость в первом заказе.",
                ),
                (
                    "Можно упаковку с нашим логотипом?",
                    "Да, брендированная упаковка возможна от 200 штук, это плюс неделя к сроку.",
                ),
            ],
        },
    },
    // T_ORDER
    Topic {
        line: SUPPORT,
        en: Script {
            open: &[
                (
                    "Hi, where is my order {order}?",
                    "Hello, {name}! Let me check order {order}, one moment please.",
                ),
                (
                    "Hello! I placed order {order} five days ago and it still hasn't shipped",
                    "Hi {name}, my name is {op}. Sorry for the delay, I'm checking your order now.",
                ),
                (
                    "Any news on order #{order}?",
                    "Hello! I'll look into it right away.",
                ),
                (
                    "Hi, what's the status of my order {order}?",
                    "Hi {name}! Order {order} is packed and waiting for the courier, it should leave the warehouse today.",
                ),
            ],
            pairs: &[
                (
                    "Any news?",
                    "Your order was shipped yesterday, the tracking number is {track}.",
                ),
                (
                    "The tracking doesn't update",
                    "It usually updates within 24 hours after the courier picks the parcel up. I'll keep an eye on it.",
                ),
                ("When will it arrive?", "It should arrive {day}."),
                (
                    "Why is it taking so long?",
                    "There was a delay at the warehouse because of high demand, sorry about that. Your order is already packed.",
                ),
                (
                    "Can I cancel it?",
                    "It has already been handed to the courier, so it can't be cancelled, but you can refuse it on delivery.",
                ),
                (
                    "It says delivered but I got nothing",
                    "I've opened a claim with the courier service, they usually reply within 24 hours. I'll let you know.",
                ),
                (
                    "Can you send me the tracking link?",
                    "Here it is: https://track.demo.test/{track}",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте, где мой заказ {order}?",
                    "Здравствуйте, {name}! Сейчас проверю заказ {order}, одну минуту.",
                ),
                (
                    "Добрый день! Оформил{a} заказ {order} пять дней назад, а он до сих пор не отправлен",
                    "Добрый день, {name}, меня зовут {op}. Извините за задержку, уже смотрю ваш заказ.",
                ),
                (
                    "Есть новости по заказу №{order}?",
                    "Здравствуйте! Сейчас всё выясню.",
                ),
                (
                    "Здравствуйте, какой статус у заказа {order}?",
                    "Здравствуйте, {name}! Заказ {order} собран и ждёт курьера, сегодня должен уехать со склада.",
                ),
            ],
            pairs: &[
                (
                    "Ну что там?",
                    "Заказ передан в доставку вчера, трек-номер {track}.",
                ),
                (
                    "Трек не обновляется",
                    "Обычно статус появляется в течение суток после передачи курьеру. Я прослежу.",
                ),
                ("Когда привезут?", "Ориентировочно привезут {day}."),
                (
                    "Почему так долго?",
                    "Была задержка на складе из-за большого количества заказов, извините. Ваш заказ уже собран.",
                ),
                (
                    "Можно отменить?",
                    "Заказ уже передан курьеру, отменить его нельзя, но можно отказаться при получении.",
                ),
                (
                    "Пишет «доставлено», а я ничего не получал{a}",
                    "Открыл{a} претензию в службе доставки, обычно отвечают в течение суток. Я вам напишу.",
                ),
                (
                    "Скиньте ссылку на отслеживание",
                    "Вот: https://track.demo.test/{track}",
                ),
            ],
        },
    },
    // T_DELIVERY
    Topic {
        line: SUPPORT,
        en: Script {
            open: &[
                (
                    "Hi, can the courier bring order {order} {day} after 6 pm?",
                    "Hello, {name}! Sure, let me see what we can do.",
                ),
                (
                    "Hello, I need to change the delivery address for order {order}",
                    "Hi {name}, my name is {op}. The order hasn't left the warehouse yet, so that's possible. What's the new address?",
                ),
                (
                    "Do you deliver to {city}? How much does it cost?",
                    "Hello! Yes, we deliver to {city}: $5, free for orders over $100, 2–4 days.",
                ),
                (
                    "Hi! The courier didn't come today, order {order}",
                    "Hello, {name}! I'm sorry. One moment, I'll check with the delivery service.",
                ),
            ],
            pairs: &[
                (
                    "Can it be after 6 pm?",
                    "Yes, I've booked an evening slot from 18:00 to 22:00.",
                ),
                (
                    "New address: 14 Baker Street, flat 3",
                    "Updated, the courier will come to the new address.",
                ),
                (
                    "How much is delivery?",
                    "Delivery is $5, and free for orders over $100.",
                ),
                (
                    "Can the courier call an hour before?",
                    "Sure, I've added a note for the courier to call you an hour in advance.",
                ),
                (
                    "Can I pick it up at a pickup point instead?",
                    "Yes, I've switched the order to pickup. It will be ready {day}, we'll text you a code.",
                ),
                (
                    "So why didn't the courier come?",
                    "The courier service had a delay on your route, sorry. They'll come {day}.",
                ),
                (
                    "Can someone else receive the parcel?",
                    "Yes, just send me their name and phone number and I'll add them to the order.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте, можно доставить заказ {order} {day} после 18:00?",
                    "Здравствуйте, {name}! Конечно, сейчас посмотрю, что можно сделать.",
                ),
                (
                    "Добрый день, нужно поменять адрес доставки для заказа {order}",
                    "Добрый день, {name}, меня зовут {op}. Заказ ещё не уехал со склада, так что можно. Какой новый адрес?",
                ),
                (
                    "Доставляете в {city}? Сколько стоит?",
                    "Здравствуйте! Да, доставляем в {city}: 350 ₽, от 5000 ₽ — бесплатно, 2–4 дня.",
                ),
                (
                    "Здравствуйте! Курьер сегодня так и не приехал, заказ {order}",
                    "Здравствуйте, {name}! Приносим извинения. Минуту, уточню в службе доставки.",
                ),
            ],
            pairs: &[
                (
                    "Можно после 18?",
                    "Да, поставил{a} вечерний интервал с 18:00 до 22:00.",
                ),
                (
                    "Новый адрес: ул. Ленина, 14, кв. 3",
                    "Адрес обновлён, курьер приедет по новому адресу.",
                ),
                (
                    "Сколько стоит доставка?",
                    "Доставка 350 ₽, от 5000 ₽ — бесплатно.",
                ),
                (
                    "Пусть курьер позвонит за час",
                    "Хорошо, оставил{a} курьеру комментарий позвонить за час.",
                ),
                (
                    "А можно забрать в пункте выдачи?",
                    "Да, переключил{a} заказ на самовывоз. Будет готов {day}, придёт код получения.",
                ),
                (
                    "Так почему курьер не приехал?",
                    "У службы доставки была задержка на вашем маршруте, приносим извинения. Курьер приедет {day}.",
                ),
                (
                    "Может получить кто-то другой?",
                    "Да, напишите имя и телефон получателя, добавлю в заказ.",
                ),
            ],
        },
    },
    // T_RETURNS
    Topic {
        line: SUPPORT,
        en: Script {
            open: &[
                (
                    "Hello, I want to return the {product}, it doesn't suit me",
                    "Hello, {name}! Of course. You can return it within 14 days if it hasn't been used and the packaging is intact.",
                ),
                (
                    "Hi, how do I return an item? Order {order}",
                    "Hi! Sorry it didn't work out. Please send a photo of the item and the packaging.",
                ),
                (
                    "I'd like a refund for order {order}",
                    "Hello, {name}, my name is {op}. Let's arrange the return — what's the reason?",
                ),
                (
                    "Hello, the size is wrong, can I exchange it?",
                    "Hi {name}! Yes, exchanges are free within 14 days. Which size do you need?",
                ),
            ],
            pairs: &[
                (
                    "How do I send it back?",
                    "Take it to any of our pickup points or to the post office — the return label is free.",
                ),
                (
                    "When will I get my money back?",
                    "The refund goes to the card you paid with within 3–10 working days after we receive the item.",
                ),
                (
                    "Can I exchange it for another size?",
                    "Yes, an exchange is possible. Which size do you need?",
                ),
                (
                    "I've lost the receipt",
                    "No problem, the order number is enough.",
                ),
                (
                    "Here are the photos",
                    "Thank you, the return is approved. Your return number is R-{order}.",
                ),
                (
                    "Do I pay for return shipping?",
                    "If the item is defective, return shipping is on us. Otherwise it's $5.",
                ),
                (
                    "I opened the box but the item is new",
                    "That's fine, as long as the item and the packaging are undamaged.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте, хочу оформить возврат: {product}, не подошло",
                    "Здравствуйте, {name}! Конечно. Вернуть можно в течение 14 дней, если товаром не пользовались и сохранена упаковка.",
                ),
                (
                    "Добрый день, как вернуть товар? Заказ {order}",
                    "Добрый день! Жаль, что не подошло. Пришлите, пожалуйста, фото товара и упаковки.",
                ),
                (
                    "Хочу вернуть деньги за заказ {order}",
                    "Здравствуйте, {name}, меня зовут {op}. Давайте оформим возврат — какая причина?",
                ),
                (
                    "Здравствуйте, размер не подошёл, можно обменять?",
                    "Здравствуйте, {name}! Да, обмен в течение 14 дней бесплатный. Какой размер нужен?",
                ),
            ],
            pairs: &[
                (
                    "Как отправить обратно?",
                    "Отнесите в любой наш пункт выдачи или на почту — обратная доставка бесплатная.",
                ),
                (
                    "Когда вернутся деньги?",
                    "Деньги вернутся на карту, с которой была оплата, в течение 3–10 рабочих дней после получения товара.",
                ),
                (
                    "Можно поменять на другой размер?",
                    "Да, обмен возможен. Какой размер нужен?",
                ),
                (
                    "Чек потерял{a}",
                    "Ничего страшного, достаточно номера заказа.",
                ),
                (
                    "Вот фото",
                    "Спасибо, возврат одобрен. Номер возврата R-{order}.",
                ),
                (
                    "Обратную доставку я оплачиваю?",
                    "Если товар с браком — доставка за наш счёт. В остальных случаях 350 ₽.",
                ),
                (
                    "Упаковку вскрыл{a}, но товар новый",
                    "Это не проблема, если товар и упаковка не повреждены.",
                ),
            ],
        },
    },
    // T_COMPLAINT
    Topic {
        line: SUPPORT,
        en: Script {
            open: &[
                (
                    "The {product} arrived broken!! Order {order}",
                    "Hello, {name}. I'm very sorry about that. Could you send a photo of the damage?",
                ),
                (
                    "Hello, I received my order and the box was crushed, the item is scratched",
                    "Hello! I apologise for the inconvenience. Please send a photo and we'll sort it out right away.",
                ),
                (
                    "This is unacceptable, I waited two weeks and got the wrong item",
                    "Hi {name}, my name is {op}. I'm really sorry. Let me check order {order} and see what went wrong.",
                ),
                (
                    "Hi, the {product} won't turn on. I've had it for three days",
                    "Hello, {name}! Sorry to hear that. It's covered by the warranty — could you send a photo or a short video?",
                ),
            ],
            pairs: &[
                (
                    "Here's the photo",
                    "Thank you. We can send a replacement free of charge or refund the full amount — which would you prefer?",
                ),
                (
                    "I want a replacement",
                    "Done, the replacement ships tomorrow, tracking number {track}.",
                ),
                (
                    "I want my money back",
                    "The refund of {price} has been initiated, you'll receive it within 3–5 days.",
                ),
                (
                    "And who will compensate for my time?",
                    "As an apology we've added 500 bonus points to your account.",
                ),
                (
                    "I'll never order from you again",
                    "I understand your frustration. I've passed this on to the warehouse so it doesn't happen again.",
                ),
                (
                    "Do I need to send the broken one back?",
                    "Yes, the courier will pick it up when delivering the replacement, you don't need to do anything.",
                ),
                (
                    "How long will it take?",
                    "The replacement should arrive {day}.",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Товар пришёл сломанным!! Заказ {order}",
                    "Здравствуйте, {name}. Очень сожалеем. Пришлите, пожалуйста, фото повреждений.",
                ),
                (
                    "Здравствуйте, получил{a} заказ, коробка помята, товар поцарапан",
                    "Здравствуйте! Приносим извинения. Пришлите фото, и мы сразу всё решим.",
                ),
                (
                    "Это безобразие, две недели ждал{a}, а привезли не тот товар",
                    "Добрый день, {name}, меня зовут {op}. Мне очень жаль. Проверяю заказ {order}, разберёмся, что пошло не так.",
                ),
                (
                    "Добрый день, {product} не включается, пользуюсь всего три дня",
                    "Добрый день, {name}! Сожалеем. Это гарантийный случай — пришлите, пожалуйста, фото или короткое видео.",
                ),
            ],
            pairs: &[
                (
                    "Вот фото",
                    "Спасибо. Можем бесплатно отправить замену или вернуть полную стоимость — как вам удобнее?",
                ),
                (
                    "Хочу замену",
                    "Готово, замену отправим завтра, трек-номер {track}.",
                ),
                (
                    "Верните деньги",
                    "Возврат {price} оформлен, деньги придут в течение 3–5 дней.",
                ),
                (
                    "А кто компенсирует моё время?",
                    "В качестве извинения мы начислили вам 500 бонусных баллов.",
                ),
                (
                    "Больше никогда у вас не закажу",
                    "Понимаю ваше недовольство. Передал{a} информацию на склад, чтобы такое не повторилось.",
                ),
                (
                    "Сломанный нужно отправлять обратно?",
                    "Да, курьер заберёт его при доставке замены, ничего делать не нужно.",
                ),
                ("Сколько ждать?", "Замена приедет {day}."),
            ],
        },
    },
    // T_PAYMENT
    Topic {
        line: SUPPORT,
        en: Script {
            open: &[
                (
                    "Hi, I paid for order {order} but it still says unpaid",
                    "Hello, {name}! Sometimes the bank takes up to 15 minutes to confirm. Let me check the payment status.",
                ),
                (
                    "The payment fails at checkout, my card is declined",
                    "Hi! My name is {op}. Which card are you using? Some banks block online payments abroad.",
                ),
                (
                    "Hello, can I pay by bank transfer?",
                    "Hello, {name}! Yes, I can issue an invoice for a bank transfer. Please send me the payer's details.",
                ),
                (
                    "Hi, I was charged twice for order {order}",
                    "Hello, {name}, I'm sorry about that. Let me look at order {order}.",
                ),
            ],
            pairs: &[
                (
                    "The money has left my card",
                    "I can see the payment now, the order status has been updated. Sorry for the wait.",
                ),
                (
                    "Can I pay in instalments?",
                    "Yes, 4 interest-free instalments are available at checkout for orders over $200.",
                ),
                (
                    "Do you accept PayPal?",
                    "Yes, we accept PayPal and all major cards.",
                ),
                (
                    "I need an invoice for my company",
                    "Send me the company details and I'll email you the invoice.",
                ),
                (
                    "It was charged twice",
                    "The second charge is a hold, the bank will release it within 3 days. If it doesn't, write to us and we'll refund it.",
                ),
                (
                    "Can I pay on delivery?",
                    "Yes, cash or card on delivery is available for orders under $500.",
                ),
                (
                    "Card declined again",
                    "Please try another card, or use this payment link: https://pay.demo.test/{order}",
                ),
            ],
        },
        ru: Script {
            open: &[
                (
                    "Здравствуйте, оплатил{a} заказ {order}, а он висит как неоплаченный",
                    "Здравствуйте, {name}! Иногда банк подтверждает платёж до 15 минут. Сейчас проверю статус оплаты.",
                ),
                (
                    "Не проходит оплата, карту отклоняет",
                    "Здравствуйте! Меня зовут {op}. Какой картой оплачиваете? Некоторые банки блокируют онлайн-платежи.",
                ),
                (
                    "Добрый день, можно оплатить по счёту?",
                    "Добрый день, {name}! Да, выставлю счёт на оплату. Пришлите, пожалуйста, реквизиты плательщика.",
                ),
                (
                    "Здравствуйте, с меня дважды списали деньги за заказ {order}",
                    "Здравствуйте, {name}, извините за неудобства. Смотрю заказ {order}.",
                ),
            ],
            pairs: &[
                (
                    "Деньги с карты списались",
                    "Вижу оплату, статус заказа обновлён. Извините за ожидание.",
                ),
                (
                    "Можно в рассрочку?",
                    "Да, при заказе от 15 000 ₽ доступна рассрочка на 4 месяца без переплаты.",
                ),
                (
                    "Можно через СБП?",
                    "Да, принимаем СБП и все основные карты.",
                ),
                (
                    "Нужен счёт на юрлицо",
                    "Пришлите реквизиты, выставлю счёт и отправлю на почту.",
                ),
                (
                    "Списали дважды",
                    "Второе списание — это блокировка средств, банк снимет её в течение 3 дней. Если нет — напишите, вернём вручную.",
                ),
                (
                    "Можно оплатить при получении?",
                    "Да, оплата наличными или картой при получении доступна для заказов до 50 000 ₽.",
                ),
                (
                    "Карту опять отклонило",
                    "Попробуйте другую карту или оплатите по ссылке: https://pay.demo.test/{order}",
                ),
            ],
        },
    },
];

/// How openers that already say hello begin.
static GREETINGS: &[&str] = &[
    "Hi",
    "Hello",
    "Hey",
    "Good ",
    "Здравствуйте",
    "Добрый",
    "Доброе",
    "Привет",
];

/// Phrases that do not depend on the topic.
struct Common {
    hello: &'static [&'static str],
    nudges: &'static [&'static str],
    fillers: &'static [&'static str],
    op_wait: &'static [&'static str],
    thanks: &'static [&'static str],
    bye: &'static [&'static str],
    /// The operator's "are you still there?" and the follow-up before closing.
    no_answer: [&'static str; 2],
    competitor: &'static [&'static str],
    competitor_reply: &'static [&'static str],
    spam: &'static [&'static str],
    /// Internal notes, each with the topics it fits (none: any topic).
    notes: &'static [(&'static [usize], &'static str)],
    generic: &'static [(&'static str, &'static str)],
    regards: &'static str,
    iphone: &'static str,
    team: &'static str,
}

fn common(lang: Lang) -> &'static Common {
    match lang {
        Lang::En => &COMMON_EN,
        Lang::Ru => &COMMON_RU,
    }
}

static COMMON_EN: Common = Common {
    hello: &["Hi", "Hello", "Hi there", "Hey"],
    nudges: &[
        "Hello?",
        "Is anyone there?",
        "Please answer",
        "??",
        "Hello, anyone?",
    ],
    fillers: &[
        "ok",
        "Got it",
        "one sec",
        "Ok, thanks",
        "👍",
        "Sorry, had to step away",
        "hm",
        "I see",
    ],
    op_wait: &[
        "One moment please, I'm checking.",
        "Thanks for waiting!",
        "Let me check with the warehouse.",
        "Just a minute.",
        "Checking now.",
    ],
    thanks: &[
        "Thank you!",
        "Thanks a lot, you've been very helpful",
        "Great, thanks!",
        "Perfect, thank you 🙏",
        "ok thx",
        "Thanks, that's all",
    ],
    bye: &[
        "You're welcome! Have a nice day.",
        "Glad I could help. If you have any questions, just write here.",
        "Thank you for choosing us, {name}!",
        "Have a great week!",
        "Anytime! Take care.",
    ],
    no_answer: [
        "{name}, are you still there?",
        "If you have any other questions, just write here — we'll be happy to help.",
    ],
    competitor: &[
        "Thanks, but I found it cheaper elsewhere",
        "Never mind, I bought it in another shop",
        "Too expensive for me, I'll pass",
    ],
    competitor_reply: &[
        "Sorry to hear that. If you change your mind, we're here!",
        "Understood. By the way, our price includes a 12-month warranty. Have a good day!",
    ],
    spam: &[
        "Earn $3000 a week working from home! Details: bit.ly/3xYz9",
        "Promote your business in 1000 chats. Write to @promo_master",
        "Hello dear, I have a business proposal for you",
        "Crypto signals with 300% profit, join t.me/+signals_vip",
    ],
    notes: &[
        (
            &[T_PRICE, T_PROMO, T_WHOLESALE],
            "Client asked for a bigger discount, check with {other}",
        ),
        (&[], "VIP customer, handle with care"),
        (
            &[T_ORDER, T_DELIVERY, T_COMPLAINT],
            "Asked the warehouse about order {order}, waiting for an answer",
        ),
        (&[], "Promised a call back tomorrow morning"),
        (&[T_PAYMENT], "Double charge — forwarded to accounting"),
        (&[T_COMPLAINT, T_RETURNS], "Client is upset, stay polite"),
        (
            &[T_PRICE, T_WHOLESALE],
            "Potential wholesale buyer, add to CRM",
        ),
        (&[T_PRICE, T_WHOLESALE], "Check stock before confirming!"),
        (&[], "{other}, can you take a look?"),
        (
            &[T_ORDER, T_DELIVERY, T_RETURNS, T_COMPLAINT, T_PAYMENT],
            "Same issue as last week, see the previous dialog",
        ),
        (
            &[T_ORDER, T_DELIVERY, T_COMPLAINT],
            "Courier claim opened, ref {track}",
        ),
        (
            &[T_RETURNS, T_COMPLAINT],
            "Offered 5% as a goodwill gesture",
        ),
        (
            &[T_RETURNS],
            "Warehouse confirmed the return, refund goes out on Monday",
        ),
        (
            &[T_PROMO],
            "Code {promo} expired yesterday — {other}, can marketing extend it?",
        ),
        (
            &[T_PAYMENT],
            "The payment gateway had errors this morning, see the status page",
        ),
    ],
    generic: &[
        ("One more question", "Sure, go ahead."),
        (
            "Are you open on weekends?",
            "Yes, we work every day from 9:00 to 21:00.",
        ),
        (
            "Can I get a call back?",
            "Of course, a manager will call you within an hour.",
        ),
        (
            "Do you have a shop in {city}?",
            "Not yet, but we deliver there in 2–4 days.",
        ),
        (
            "Please update my phone number in the order",
            "Done, I've updated it.",
        ),
        (
            "Can I add one more item to the order?",
            "Yes, the order hasn't been packed yet. What would you like to add?",
        ),
        (
            "Is there gift wrapping?",
            "Yes, gift wrapping is $3, I can add it to your order.",
        ),
        (
            "Do you have an app?",
            "Yes, search for \"Demo Shop\" in the App Store or Google Play.",
        ),
    ],
    regards: "Best regards,",
    iphone: "Sent from my iPhone",
    team: "Demo Shop customer care",
};

static COMMON_RU: Common = Common {
    hello: &["Здравствуйте", "Добрый день", "Привет", "Здравствуйте!"],
    nudges: &[
        "Ау?",
        "Здесь кто-нибудь есть?",
        "Ответьте, пожалуйста",
        "??",
        "Алло",
    ],
    fillers: &[
        "ок",
        "понял{a}",
        "секунду",
        "хорошо",
        "👍",
        "угу",
        "ясно",
        "Извините, отходил{a}",
    ],
    op_wait: &[
        "Одну минуту, уточняю.",
        "Спасибо за ожидание!",
        "Сейчас уточню на складе.",
        "Минутку.",
        "Проверяю.",
    ],
    thanks: &[
        "Спасибо!",
        "Большое спасибо, вы очень помогли",
        "Отлично, спасибо!",
        "Супер, спасибо 🙏",
        "спс",
        "Спасибо, это всё",
    ],
    bye: &[
        "Пожалуйста! Хорошего дня.",
        "Рад{a} был{a} помочь. Если будут вопросы — пишите сюда.",
        "Спасибо, что выбрали нас, {name}!",
        "Хорошей недели!",
        "Обращайтесь!",
    ],
    no_answer: [
        "{name}, вы здесь?",
        "Если появятся вопросы — пишите, будем рады помочь.",
    ],
    competitor: &[
        "Спасибо, но в другом месте дешевле",
        "Уже не нужно, купил{a} в другом магазине",
        "Дороговато, пока не буду",
    ],
    competitor_reply: &[
        "Жаль! Если передумаете — мы на связи.",
        "Понимаю. Кстати, у нас гарантия 12 месяцев. Хорошего дня!",
    ],
    spam: &[
        "Заработок от 5000 ₽ в день без вложений! Пиши в личку",
        "Продвижение в Telegram: 1000 подписчиков за сутки. Пишите @smm_top",
        "Вам одобрен кредит до 500 000 ₽! Подробнее по ссылке",
        "Разыгрываем iPhone 16 среди подписчиков, переходите по ссылке",
    ],
    notes: &[
        (
            &[T_PRICE, T_PROMO, T_WHOLESALE],
            "Клиент просит скидку побольше, уточнить у {other_gen}",
        ),
        (&[], "Постоянный клиент, общаемся максимально вежливо"),
        (
            &[T_ORDER, T_DELIVERY, T_COMPLAINT],
            "Запросил{a} у склада статус заказа {order}, жду ответ",
        ),
        (&[], "Обещал{a} перезвонить завтра утром"),
        (&[T_PAYMENT], "Двойное списание — передал{a} в бухгалтерию"),
        (&[T_COMPLAINT, T_RETURNS], "Клиент недоволен, говорим мягко"),
        (
            &[T_PRICE, T_WHOLESALE],
            "Потенциальный оптовик, завести в CRM",
        ),
        (
            &[T_PRICE, T_WHOLESALE],
            "Проверить остатки перед подтверждением!",
        ),
        (&[], "{other}, посмотри, пожалуйста"),
        (
            &[T_ORDER, T_DELIVERY, T_RETURNS, T_COMPLAINT, T_PAYMENT],
            "Та же проблема, что и на прошлой неделе, см. прошлый диалог",
        ),
        (
            &[T_ORDER, T_DELIVERY, T_COMPLAINT],
            "Открыта претензия в СД, номер {track}",
        ),
        (
            &[T_RETURNS, T_COMPLAINT],
            "Предложил{a} 5% в качестве компенсации",
        ),
        (
            &[T_RETURNS],
            "Склад подтвердил возврат, деньги уйдут в понедельник",
        ),
        (
            &[T_PROMO],
            "Промокод {promo} истёк вчера — {other}, маркетинг может продлить?",
        ),
        (
            &[T_PAYMENT],
            "Утром были сбои платёжного шлюза, см. страницу статуса",
        ),
    ],
    generic: &[
        ("Ещё вопрос", "Конечно, слушаю."),
        (
            "Вы в выходные работаете?",
            "Да, работаем ежедневно с 9:00 до 21:00.",
        ),
        (
            "Можно обратный звонок?",
            "Конечно, менеджер перезвонит в течение часа.",
        ),
        (
            "Можно приехать к вам в шоурум?",
            "Да, шоурум на Тверской, 12, работает с 10 до 20.",
        ),
        (
            "Поменяйте, пожалуйста, телефон в заказе",
            "Готово, обновил{a}.",
        ),
        (
            "Можно добавить ещё один товар в заказ?",
            "Да, заказ ещё не собран. Что добавить?",
        ),
        (
            "Есть подарочная упаковка?",
            "Да, подарочная упаковка 200 ₽, могу добавить в заказ.",
        ),
        (
            "У вас есть приложение?",
            "Да, ищите «Demo Shop» в App Store и Google Play.",
        ),
    ],
    regards: "С уважением,",
    iphone: "Отправлено с iPhone",
    team: "Служба заботы о клиентах Demo Shop",
};

static EN_STAFF_COMMENTS: &[&str] = &[
    "Prefers to be contacted after 6 pm",
    "Orders for the whole office, ask about invoices",
    "Always pays by card on delivery",
    "Had a damaged parcel in the spring, be extra careful with packing",
];

static RU_STAFF_COMMENTS: &[&str] = &[
    "Просит звонить после 18:00",
    "Заказывает на весь офис, уточнять про счёт",
    "Всегда оплачивает картой при получении",
    "Весной был повреждённый заказ, упаковывать особенно тщательно",
];

static RU_MALE: &[&str] = &[
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Матвей",
    "Роман",
    "Егор",
    "Павел",
    "Владимир",
    "Денис",
    "Евгений",
    "Олег",
    "Тимур",
    "Игорь",
    "Константин",
    "Виктор",
    "Глеб",
    "Антон",
    "Руслан",
    "Вадим",
    "Григорий",
];

static RU_FEMALE: &[&str] = &[
    "Анастасия",
    "Мария",
    "Дарья",
    "Екатерина",
    "Ольга",
    "Елена",
    "Наталья",
    "Татьяна",
    "Юлия",
    "Ирина",
    "Светлана",
    "Ксения",
    "Алина",
    "Виктория",
    "Полина",
    "Софья",
    "Валерия",
    "Марина",
    "Вера",
    "Людмила",
    "Кристина",
    "Евгения",
    "Надежда",
    "Алёна",
    "Яна",
    "Лилия",
    "Варвара",
];

/// Masculine forms; [`feminine_surname`] makes the feminine ones.
static RU_SURNAMES: &[&str] = &[
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
    "Ильин",
    "Максимов",
    "Поляков",
    "Сорокин",
    "Виноградов",
    "Ковалёв",
    "Белов",
    "Медведев",
    "Антонов",
    "Тарасов",
    "Жуков",
    "Баранов",
    "Филиппов",
    "Комаров",
    "Давыдов",
    "Беляев",
    "Герасимов",
    "Богданов",
    "Осипов",
    "Сидоров",
    "Матвеев",
    "Титов",
    "Марков",
    "Миронов",
    "Крылов",
    "Куликов",
    "Карпов",
    "Власов",
    "Мельников",
    "Денисов",
    "Гаврилов",
    "Тихонов",
    "Казаков",
    "Афанасьев",
    "Данилов",
    "Савельев",
    "Тимофеев",
    "Фомин",
    "Чернов",
    "Абрамов",
    "Мартынов",
    "Ефимов",
    "Щербаков",
    "Назаров",
    "Калинин",
    "Исаев",
    "Быков",
    "Маслов",
    "Родионов",
    "Коновалов",
    "Лазарев",
    "Воронин",
    "Климов",
    "Филатов",
    "Голубев",
    "Кудрявцев",
    "Прохоров",
    "Наумов",
    "Гончаров",
    "Вишневский",
    "Ковальский",
    "Ткаченко",
    "Бондаренко",
    "Шевчук",
    "Гордиенко",
];

static EN_MALE: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Daniel", "Matthew", "Andrew", "Oliver", "Harry", "George", "Jack", "Noah", "Ethan", "Liam",
    "Lucas", "Samuel", "Benjamin", "Ryan", "Nathan", "Owen", "Charlie", "Henry",
];

static EN_FEMALE: &[&str] = &[
    "Emma",
    "Olivia",
    "Sophia",
    "Emily",
    "Charlotte",
    "Amelia",
    "Isabella",
    "Mia",
    "Grace",
    "Chloe",
    "Lily",
    "Hannah",
    "Sarah",
    "Jessica",
    "Lucy",
    "Ella",
    "Megan",
    "Laura",
    "Rachel",
    "Zoe",
    "Alice",
    "Ruby",
    "Holly",
    "Kate",
    "Natalie",
    "Freya",
    "Evie",
];

static EN_SURNAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thomas",
    "Jackson",
    "White",
    "Harris",
    "Martin",
    "Thompson",
    "Walker",
    "Robinson",
    "Clark",
    "Lewis",
    "Young",
    "Hall",
    "Allen",
    "Wright",
    "King",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Cooper",
    "Peterson",
    "Reed",
    "Bailey",
    "Bell",
    "Kelly",
    "Howard",
    "Ward",
    "Cox",
    "Richardson",
    "Wood",
    "Watson",
    "Brooks",
    "Bennett",
    "Gray",
    "Hughes",
    "Price",
    "Sanders",
    "Ross",
    "Foster",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
    "Fisher",
    "Hamilton",
    "Graham",
    "Wallace",
    "Cole",
    "West",
    "Ellis",
    "Harrison",
    "Gibson",
    "McDonald",
    "Marshall",
    "Murray",
    "Ford",
    "Wells",
    "Hunt",
    "Palmer",
    "Black",
    "Robertson",
    "Holmes",
    "Stone",
    "Mills",
    "Knight",
    "Lloyd",
    "Fletcher",
    "Dixon",
    "Hunter",
    "Shaw",
    "Chapman",
    "O'Brien",
    "Walsh",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        make_plan(Utc::now())
    }

    #[test]
    fn statuses_and_sizes() {
        let p = plan();
        assert_eq!(p.clients.len(), CLIENTS);
        assert_eq!(
            p.dialogs.len(),
            NEW + IN_WORK + RETURNED + CLOSED + FOR_REVIEW
        );
        let total: usize = p.dialogs.iter().map(|d| d.msgs.len()).sum();
        println!("{total} messages");
        assert!((8_500..=11_500).contains(&total), "{total} messages");
        assert!(p.dialogs.iter().all(|d| (2..=60).contains(&d.msgs.len())));
    }

    #[test]
    fn one_active_dialog_per_client_and_channel() {
        let p = plan();
        let mut seen = HashSet::new();
        for d in p.dialogs.iter().filter(|d| d.status.is_active()) {
            assert!(seen.insert((d.client, d.channel)));
        }
    }

    #[test]
    fn conversations_are_chronological_and_end_right() {
        let p = plan();
        for d in &p.dialogs {
            assert!(d.msgs.windows(2).all(|w| w[0].off < w[1].off));
            assert!(d.end() <= p.now);
            if matches!(d.status, Status::New | Status::Returned) {
                assert_eq!(d.msgs.last().map(|m| m.who), Some(Who::Client));
            }
            for (i, m) in d.msgs.iter().enumerate() {
                assert!(!m.body.contains('{'), "unfilled template: {}", m.body);
                let at = d.start + Duration::seconds(m.off);
                assert!(
                    i == 0 || m.who == Who::Client || !is_night(at),
                    "{}: {}",
                    at,
                    m.body
                );
            }
        }
    }

    #[test]
    fn some_delivery_and_return_dialogs_carry_tags() {
        let p = plan();
        let tagged: Vec<usize> = p
            .dialogs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| dialog_tags(i + 1, d))
            .collect();
        assert!(tagged.contains(&TAG_DELIVERY));
        assert!(tagged.contains(&TAG_REFUND));
        assert!(
            tagged.len() < p.dialogs.len() / 2,
            "{} tagged",
            tagged.len()
        );
    }

    #[test]
    fn deterministic() {
        let now = Utc::now();
        let (a, b) = (make_plan(now), make_plan(now));
        let bodies = |p: &Plan| {
            p.dialogs
                .iter()
                .flat_map(|d| d.msgs.iter().map(|m| m.body.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(bodies(&a), bodies(&b));
    }
}
