//! Inbox filters (C5) and counters within them (C2): the SQL and the Rust rule agree on a
//! varied set of dialogs for every filter tried, bad filters are refused with the key at
//! fault, and "waiting for our reply" follows the messages.

use std::collections::HashSet;

use app::auth::Access;
use app::domain::filter::{DialogFilter, FilterFacts};
use app::domain::{
    AccountId, ChannelKind, DialogStatus, Direction, GroupId, LineId, MessageKind, Section, TagId,
    UserId, event::DialogFacts,
};
use app::store::messages::NewMessage;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::common::{TestApp, access_of, ids, world};

/// Forty more dialogs of Acme, spread over every value a filter looks at: statuses, lines,
/// channels, assignees, tags, days of last activity, waiting times, and the admin's pins
/// and read positions.
async fn varied_dialogs(pool: &PgPool, account: i64) {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO tags (account_id, name, color)
         VALUES ($1, 'VIP', '#d97706'), ($1, 'Refund', '#dc2626'), ($1, 'Опт', '#16a34a')",
    )
    .bind(account)
    .execute(pool)
    .await
    .expect("tags");
    let tags: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM tags WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(pool)
            .await
            .expect("tag ids");
    let users: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE account_id = $1 AND email IN ('admin@acme.test', 'olga@acme.test') ORDER BY id",
    )
    .bind(account)
    .fetch_all(pool)
    .await
    .expect("users");
    let lines: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM lines WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(pool)
            .await
            .expect("lines");
    let channels: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, line_id FROM channels WHERE account_id = $1 ORDER BY id")
            .bind(account)
            .fetch_all(pool)
            .await
            .expect("channels");
    let statuses = ["new", "in_work", "returned", "closed", "for_review"];
    for i in 0..40_i64 {
        let status = statuses[(i % 5) as usize];
        let (channel, line) = channels[(i % 2) as usize];
        let _ = &lines;
        let assignee = match i % 3 {
            0 => None,
            1 => Some(users[0]),
            _ => Some(users[1]),
        };
        let assignee = if status == "new" || status == "returned" {
            None
        } else {
            assignee
        };
        let client: i64 = sqlx::query_scalar(
            "INSERT INTO clients (account_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(account)
        .bind(format!("Client {i}"))
        .fetch_one(pool)
        .await
        .expect("client");
        if i % 7 == 0 {
            sqlx::query(
                "INSERT INTO client_tags (account_id, client_id, tag_id) VALUES ($1, $2, $3)",
            )
            .bind(account)
            .bind(client)
            .bind(tags[(i % 3) as usize])
            .execute(pool)
            .await
            .expect("client tag");
        }
        let last = now - Duration::hours(i * 13);
        let waiting = (i % 4 != 0 && status != "closed").then(|| last - Duration::minutes(i * 7));
        let dialog: i64 = sqlx::query_scalar(
            "INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id,
                                  assignee_id, last_message_at, waiting_since, last_activity_id)
             VALUES ($1, 100 + $2, $3::dialog_status, $4, $5, $6, $7, $8, $9, $2 + 1)
             RETURNING id",
        )
        .bind(account)
        .bind(i)
        .bind(status)
        .bind(line)
        .bind(channel)
        .bind(client)
        .bind(assignee)
        .bind(last)
        .bind(waiting)
        .fetch_one(pool)
        .await
        .expect("dialog");
        if let Some(a) = assignee {
            sqlx::query(
                "INSERT INTO dialog_participants (account_id, dialog_id, user_id, role)
                 VALUES ($1, $2, $3, 'assignee')",
            )
            .bind(account)
            .bind(dialog)
            .bind(a)
            .execute(pool)
            .await
            .expect("participant");
        }
        for (k, tag) in tags.iter().enumerate() {
            if (i as usize + k).is_multiple_of(3) {
                sqlx::query(
                    "INSERT INTO dialog_tags (account_id, dialog_id, tag_id) VALUES ($1, $2, $3)",
                )
                .bind(account)
                .bind(dialog)
                .bind(tag)
                .execute(pool)
                .await
                .expect("dialog tag");
            }
        }
        if i % 2 == 0 {
            // The admin read some, marked one unread again and pinned others.
            sqlx::query(
                "INSERT INTO dialog_user_state (account_id, dialog_id, user_id, read_message_id,
                                                manually_unread, pinned)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account)
            .bind(dialog)
            .bind(users[0])
            .bind(if i % 4 == 0 { i + 1 } else { 0 })
            .bind(i % 8 == 0)
            .bind(i % 6 == 0)
            .execute(pool)
            .await
            .expect("user state");
        }
    }
}

type FactsRow = (
    i64,
    i64,
    DialogStatus,
    i64,
    ChannelKind,
    Option<i64>,
    Vec<i64>,
    bool,
    bool,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Vec<i64>,
    Option<i64>,
    Option<i64>,
    bool,
);

/// Every dialog of the account with what the filter and the scope look at, for one user.
async fn facts(pool: &PgPool, access: &Access) -> Vec<(i64, FilterFacts, DialogFacts, bool)> {
    let rows: Vec<FactsRow> = sqlx::query_as(
        "SELECT d.id, d.account_id, d.status, d.line_id, ch.kind, d.assignee_id,
                array(SELECT t.tag_id FROM dialog_tags t WHERE t.dialog_id = d.id
                      UNION SELECT t.tag_id FROM client_tags t WHERE t.client_id = d.client_id),
                (d.last_activity_id > coalesce(s.read_message_id, 0)
                 OR coalesce(s.manually_unread, false)),
                coalesce(s.pinned, false), d.last_message_at, d.waiting_since,
                array(SELECT p.user_id FROM dialog_participants p WHERE p.dialog_id = d.id),
                d.queue_user_id, d.queue_group_id,
                (d.status = 'closed' AND c.blocked)
           FROM dialogs d
           JOIN channels ch ON ch.id = d.channel_id
           JOIN clients c ON c.id = d.client_id
           LEFT JOIN dialog_user_state s ON s.dialog_id = d.id AND s.user_id = $2
          WHERE d.account_id = $1 ORDER BY d.id",
    )
    .bind(access.account_id)
    .bind(access.user_id)
    .fetch_all(pool)
    .await
    .expect("facts");
    rows.into_iter()
        .map(
            |(
                id,
                _,
                status,
                line,
                kind,
                assignee,
                tags,
                unread,
                pinned,
                at,
                waiting,
                parts,
                qu,
                qg,
                blocked_closed,
            )| {
                let filter = FilterFacts {
                    status,
                    line_id: LineId(line),
                    channel_kind: kind,
                    assignee_id: assignee.map(UserId),
                    tags: tags.into_iter().map(TagId).collect(),
                    unread,
                    pinned,
                    last_message_at: at,
                    waiting_since: waiting,
                };
                let scope = DialogFacts {
                    line_id: LineId(line),
                    status,
                    assignee_id: assignee.map(UserId),
                    participant_ids: parts.into_iter().map(UserId).collect(),
                    queue_user_id: qu.map(UserId),
                    queue_group_id: qg.map(GroupId),
                    before: None,
                };
                (id, filter, scope, blocked_closed)
            },
        )
        .collect()
}

/// Filters built from every value the test data holds, alone and combined.
fn filters(lines: &[i64], tags: &[i64], me: i64) -> Vec<String> {
    let today = Utc::now().date_naive();
    let day = |d: i64| (today - Duration::days(d)).format("%Y-%m-%d").to_string();
    let mut out: Vec<String> = vec![
        String::new(),
        "section=in_work".into(),
        "section=all".into(),
        "section=all&closed=1".into(),
        "section=all&status=returned,closed".into(),
        "status=for_review".into(),
        "assignee=me".into(),
        "section=all&closed=1&assignee=none".into(),
        format!("section=all&closed=1&assignee={me}"),
        "section=all&closed=1&unread=1".into(),
        "section=all&closed=1&pinned=1".into(),
        "section=all&waiting=60".into(),
        "section=all&closed=1&waiting=1".into(),
        "section=all&channel=email".into(),
        "section=all&closed=1&channel=email,telegram".into(),
        format!("section=all&closed=1&from={}", day(5)),
        format!("section=all&closed=1&to={}", day(10)),
        format!("section=all&closed=1&from={}&to={}", day(12), day(3)),
        "section=in_work&unread=1&assignee=me".into(),
        "section=all&closed=1&unread=1&pinned=1&waiting=30".into(),
    ];
    for line in lines {
        out.push(format!("section=all&closed=1&line={line}"));
        out.push(format!("section=new&line={line}&unread=1"));
    }
    for tag in tags {
        out.push(format!("section=all&closed=1&tag={tag}"));
        out.push(format!(
            "section=all&tag={tag}&channel=telegram&assignee=none"
        ));
    }
    out.push(format!(
        "section=all&closed=1&tag={}&line={}",
        tags.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(","),
        lines[0]
    ));
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sql_filter_and_the_rust_rule_agree_for_every_filter_and_user(pool: PgPool) {
    let w = world(&pool).await;
    varied_dialogs(&pool, w.acme.id).await;
    let lines = vec![w.acme.line_sales, w.acme.line_support, w.other.line_sales];
    let tags: Vec<i64> = sqlx::query_scalar("SELECT id FROM tags ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("tags");
    let now = Utc::now();
    for email in ["admin@acme.test", "olga@acme.test", "admin@other.test"] {
        let access = access_of(&pool, email).await;
        let all = facts(&pool, &access).await;
        for query in filters(&lines, &tags, access.user_id.0) {
            let filter = DialogFilter::parse(&query).expect("a valid filter");
            for tz in [0, 180, -300] {
                let mut conn = pool.acquire().await.expect("connection");
                let page = app::store::dialogs::list(&mut conn, &access, &filter, tz, None, 200)
                    .await
                    .expect("list");
                assert!(page.next.is_none(), "one page holds them all");
                let listed: Vec<i64> = page.rows.iter().map(|r| r.id.0).collect();
                let mut expected: Vec<i64> = all
                    .iter()
                    .filter(|(_, f, scope, _)| {
                        access.can_view(scope) && filter.matches(f, access.user_id, now, tz)
                    })
                    .map(|(id, ..)| *id)
                    .collect();
                let mut sorted = listed.clone();
                sorted.sort();
                expected.sort();
                assert_eq!(sorted, expected, "{email}: {query} (tz {tz})");
                assert_eq!(
                    listed.iter().collect::<HashSet<_>>().len(),
                    listed.len(),
                    "no dialog twice: {query}"
                );

                let counters = app::store::dialogs::counters(&pool, &access, &filter, tz)
                    .await
                    .expect("counters");
                for section in Section::ALL {
                    let f = DialogFilter {
                        unread: true,
                        ..filter.with_section(section)
                    };
                    // Open dialogs only, whether or not the list shows closed ones.
                    let want = all
                        .iter()
                        .filter(|(_, facts, scope, blocked_closed)| {
                            !blocked_closed
                                && facts.status != DialogStatus::Closed
                                && access.can_view(scope)
                                && f.matches(facts, access.user_id, now, tz)
                        })
                        .count() as i64;
                    assert_eq!(counters.get(section), want, "{email}: {query} {section:?}");
                }
            }
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_filters_are_refused_naming_the_key_and_foreign_ids_find_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    for (filter, key) in [
        ("line=abc", "line"),
        ("tag=1;DROP TABLE dialogs", "tag"),
        ("status=open", "status"),
        ("section=all&section=new", "section"),
        ("waiting=0", "waiting"),
        ("from=2026-02-30", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
    ] {
        for endpoint in ["list_dialogs", "get_counters"] {
            let (status, body) = admin
                .call(
                    endpoint,
                    &[
                        ("filter", filter),
                        ("tz_offset_minutes", "0"),
                        ("limit", "50"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{filter}: {body}");
            assert_eq!(body["Validation"]["field"], key, "{filter}: {body}");
            assert!(
                body["Validation"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("filter.error.")),
                "{body}"
            );
        }
    }
    let long = format!("line={}", "1,".repeat(3000));
    let (status, _) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", &long),
                ("tz_offset_minutes", "0"),
                ("limit", "50"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = admin
        .call(
            "get_counters",
            &[("filter", ""), ("tz_offset_minutes", "9999")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Another account's line and channel kinds name nothing of this account.
    let foreign = format!("section=all&closed=1&line={}", w.other.line_sales);
    let (status, page) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", &foreign),
                ("tz_offset_minutes", "0"),
                ("limit", "50"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(ids(&page).is_empty(), "{page}");
    let mine = format!("section=all&closed=1&line={}", w.acme.line_support);
    let (_, page) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", &mine),
                ("tz_offset_minutes", "0"),
                ("limit", "50"),
            ],
        )
        .await;
    assert_eq!(ids(&page), vec![w.acme.dialog_support]);

    // The options offered are this account's.
    let (status, options) = admin.call("filter_options", &[]).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let offered: Vec<i64> = options["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l[0].as_i64())
        .collect();
    assert_eq!(offered, vec![w.acme.line_sales, w.acme.line_support]);
    let olga = app.sign_in("olga@acme.test").await;
    let (_, options) = olga.call("filter_options", &[]).await;
    let offered: Vec<i64> = options["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l[0].as_i64())
        .collect();
    assert_eq!(offered, vec![w.acme.line_sales], "olga sees Sales only");
}

async fn waiting_since(pool: &PgPool, dialog: i64) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("SELECT waiting_since FROM dialogs WHERE id = $1")
        .bind(dialog)
        .fetch_one(pool)
        .await
        .expect("waiting_since")
}

async fn append(pool: &PgPool, account: i64, dialog: i64, kind: MessageKind, direction: Direction) {
    let mut tx = pool.begin().await.expect("tx");
    app::store::messages::append(
        &mut tx,
        &NewMessage {
            account: AccountId(account),
            dialog: app::domain::DialogId(dialog),
            kind,
            direction,
            author: None,
            body: "text",
            external: None,
            subject: None,
            template: None,
            buttons: &[],
            system: None,
        },
    )
    .await
    .expect("message");
    tx.commit().await.expect("commit");
}

#[sqlx::test(migrations = "../migrations")]
async fn waiting_for_our_reply_starts_with_the_clients_first_unanswered_message(pool: PgPool) {
    let w = world(&pool).await;
    let (account, dialog) = (w.acme.id, w.acme.dialog_olga);
    // The world's dialogs start with the client's message.
    let first = waiting_since(&pool, dialog)
        .await
        .expect("waiting after the client wrote");
    append(&pool, account, dialog, MessageKind::Message, Direction::In).await;
    assert_eq!(
        waiting_since(&pool, dialog).await,
        Some(first),
        "the first unanswered counts"
    );
    append(
        &pool,
        account,
        dialog,
        MessageKind::Note,
        Direction::Internal,
    )
    .await;
    assert_eq!(
        waiting_since(&pool, dialog).await,
        Some(first),
        "a note is no reply"
    );
    append(&pool, account, dialog, MessageKind::Message, Direction::Out).await;
    assert_eq!(
        waiting_since(&pool, dialog).await,
        None,
        "our reply ends the wait"
    );
    append(&pool, account, dialog, MessageKind::Message, Direction::In).await;
    let again = waiting_since(&pool, dialog).await.expect("waiting again");
    assert!(again >= first);
}

#[sqlx::test(migrations = "../migrations")]
async fn rows_of_touched_dialogs_come_back_only_when_they_pass_the_filter(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let olga = app.sign_in("olga@acme.test").await;
    let touched = [
        w.acme.dialog_new,     // Sales, new: in New
        w.acme.dialog_olga,    // hers, in work: not in New
        w.acme.dialog_support, // a line she may not see
        w.other.dialog_new,    // another account's
        987_654_321,           // nobody's
    ]
    .map(|d| d.to_string());
    let mut args: Vec<(&str, &str)> = vec![("filter", ""), ("tz_offset_minutes", "0")];
    for id in &touched {
        args.push(("ids[]", id));
    }
    let (status, rows) = olga.call("dialog_rows", &args).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(
        ids(&serde_json::json!({ "rows": rows })),
        vec![w.acme.dialog_new]
    );
    args[0] = ("filter", "section=in_work&assignee=me");
    let (_, rows) = olga.call("dialog_rows", &args).await;
    assert_eq!(
        ids(&serde_json::json!({ "rows": rows })),
        vec![w.acme.dialog_olga]
    );
    let many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let mut args: Vec<(&str, &str)> = vec![("filter", ""), ("tz_offset_minutes", "0")];
    for id in &many {
        args.push(("ids[]", id));
    }
    let (status, _) = olga.call("dialog_rows", &args).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
