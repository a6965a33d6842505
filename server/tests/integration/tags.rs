//! Tags (F1): made inline while tagging (a name in any case picks the existing tag), put on
//! a dialog or its client and taken off again without repeats, found by the list's tag
//! filter at once, refused for dialogs out of sight and other accounts' ids, and renamed,
//! recoloured and deleted only by admins.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::common::{Session, TestApp, ids, world};

async fn put_new(
    session: &Session,
    dialog: i64,
    target: &str,
    name: &str,
    color: Option<&str>,
) -> (StatusCode, Value) {
    let dialog = dialog.to_string();
    let mut args = vec![
        ("dialog_id", dialog.as_str()),
        ("target", target),
        ("name", name),
    ];
    if let Some(color) = color {
        args.push(("color", color));
    }
    session.call("put_new_tag", &args).await
}

async fn put(session: &Session, dialog: i64, target: &str, tag: i64) -> (StatusCode, Value) {
    session
        .call(
            "put_tag",
            &[
                ("dialog_id", &dialog.to_string()),
                ("target", target),
                ("tag_id", &tag.to_string()),
            ],
        )
        .await
}

async fn remove(session: &Session, dialog: i64, target: &str, tag: i64) -> (StatusCode, Value) {
    session
        .call(
            "remove_tag",
            &[
                ("dialog_id", &dialog.to_string()),
                ("target", target),
                ("tag_id", &tag.to_string()),
            ],
        )
        .await
}

async fn create(session: &Session, name: &str, color: &str) -> (StatusCode, Value) {
    session
        .call("create_tag", &[("name", name), ("color", color)])
        .await
}

async fn list_tags(session: &Session) -> Vec<Value> {
    let (status, body) = session.call("list_tags", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Ids of a tag list (`DialogTags.tags` or `.client_tags`).
fn tag_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .map(|l| l.iter().filter_map(|t| t["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// The open dialog's tags: (its own, its client's).
async fn dialog_tags(session: &Session, dialog: i64) -> (Vec<i64>, Vec<i64>) {
    let (status, body) = session
        .call("get_dialog", &[("id", &dialog.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tags = &body["dialog"]["tags"];
    (tag_ids(&tags["tags"]), tag_ids(&tags["client_tags"]))
}

/// The dialogs a tag filter finds, closed ones included.
async fn tagged(session: &Session, tag: i64) -> BTreeSet<i64> {
    let (status, page) = session
        .call(
            "list_dialogs",
            &[
                ("filter", &format!("section=all&closed=1&tag={tag}")),
                ("tz_offset_minutes", "0"),
                ("limit", "50"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    ids(&page).into_iter().collect()
}

/// The dialogs `dialog.updated` events were recorded for after event `after`.
async fn updated_since(pool: &PgPool, after: i64) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT dialog_id FROM events
          WHERE id > $1 AND payload->>'type' = 'dialog.updated' ORDER BY dialog_id",
    )
    .bind(after)
    .fetch_all(pool)
    .await
    .expect("events")
}

async fn last_event(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM events")
        .fetch_one(pool)
        .await
        .expect("the newest event")
}

async fn tag_count(pool: &PgPool, account: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tags WHERE account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .expect("tags")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tag_made_inline_is_put_on_the_dialog_and_its_name_in_any_case_picks_it_again(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let before = last_event(&pool).await;

    let (status, body) = put_new(
        &admin,
        w.acme.dialog_new,
        "dialog",
        "  Hot \n lead ",
        Some("#E5484D"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tags"][0]["name"], "Hot lead");
    assert_eq!(body["tags"][0]["color"], "#e5484d");
    assert_eq!(body["client_tags"], serde_json::json!([]));
    let hot = body["tags"][0]["id"].as_i64().expect("the new tag's id");
    assert_eq!(updated_since(&pool, before).await, vec![w.acme.dialog_new]);

    // The same name in another case is the same tag, its colour kept.
    let (status, body) = put_new(
        &admin,
        w.acme.dialog_admin,
        "dialog",
        "HOT LEAD",
        Some("#30a46c"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag_ids(&body["tags"]), vec![hot]);
    assert_eq!(body["tags"][0]["color"], "#e5484d");
    let (status, body) = create(&admin, "hot lead", "#0090ff").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], hot);
    let all = list_tags(&admin).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["name"], "Hot lead");

    // No colour: the default grey.
    let (status, body) = put_new(&admin, w.acme.dialog_new, "dialog", "Callback", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let callback = body["tags"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == "Callback"))
        .cloned()
        .expect("the Callback tag");
    assert_eq!(callback["color"], app::domain::tag::DEFAULT_COLOR);

    // The open dialog carries its tags, by name.
    let (own, of_client) = dialog_tags(&admin, w.acme.dialog_new).await;
    assert_eq!(own, vec![callback["id"].as_i64().unwrap_or(0), hot]);
    assert!(of_client.is_empty());
    // Every user sees the account's tags (the picker), none of another account's.
    let olga = app.sign_in("olga@acme.test").await;
    assert_eq!(list_tags(&olga).await.len(), 2);
    let stranger = app.sign_in("admin@other.test").await;
    assert!(list_tags(&stranger).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_names_and_colours_are_refused_and_make_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let long = "я".repeat(101);
    for (name, color, field, key) in [
        ("   ", "#e5484d", "name", "tag.error.name_empty"),
        (long.as_str(), "#e5484d", "name", "tag.error.name_long"),
        ("bad\u{7}tag", "#e5484d", "name", "tag.error.name_invalid"),
        ("\u{202e}piv", "#e5484d", "name", "tag.error.name_invalid"),
        ("Fine", "red", "color", "tag.error.color"),
        ("Fine", "#fff", "color", "tag.error.color"),
        ("Fine", "#e5484d;}", "color", "tag.error.color"),
    ] {
        for (status, body) in [
            put_new(&admin, w.acme.dialog_new, "dialog", name, Some(color)).await,
            create(&admin, name, color).await,
        ] {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {body}");
            assert_eq!(body["Validation"]["field"], field, "{body}");
            assert_eq!(body["Validation"]["message"], key, "{body}");
        }
    }
    // An unknown target is bad input too.
    let (status, body) = put_new(&admin, w.acme.dialog_new, "line", "Fine", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(tag_count(&pool, w.acme.id).await, 0);

    // Renaming and recolouring check the same way.
    let (_, tag) = create(&admin, "Fine", "#e5484d").await;
    let id = tag["id"].to_string();
    for (name, color, key) in [
        ("", "#e5484d", "tag.error.name_empty"),
        ("Fine", "#E5484", "tag.error.color"),
    ] {
        let (status, body) = admin
            .call(
                "update_tag",
                &[("id", &id), ("name", name), ("color", color)],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Validation"]["message"], key);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn putting_and_removing_tags_twice_changes_once_on_the_dialog_and_on_the_client(
    pool: PgPool,
) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let olga = app.sign_in("olga@acme.test").await;
    let (_, tag) = create(&olga, "Wholesale", "#0090ff").await;
    let tag = tag["id"].as_i64().expect("tag id");

    // On the dialog: the second put and the second removal change nothing, announce nothing.
    let before = last_event(&pool).await;
    for _ in 0..2 {
        let (status, body) = put(&olga, w.acme.dialog_olga, "dialog", tag).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(tag_ids(&body["tags"]), vec![tag]);
    }
    assert_eq!(updated_since(&pool, before).await, vec![w.acme.dialog_olga]);
    let before = last_event(&pool).await;
    for _ in 0..2 {
        let (status, body) = remove(&olga, w.acme.dialog_olga, "dialog", tag).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(tag_ids(&body["tags"]).is_empty());
    }
    assert_eq!(updated_since(&pool, before).await, vec![w.acme.dialog_olga]);

    // On the client of the new dialog: every dialog of that client shows it and is
    // announced (the new one, the support one, the closed one).
    let client_dialogs = vec![
        w.acme.dialog_new,
        w.acme.dialog_support,
        w.acme.dialog_closed,
    ];
    let mut sorted = client_dialogs.clone();
    sorted.sort_unstable();
    let before = last_event(&pool).await;
    for _ in 0..2 {
        let (status, body) = put(&olga, w.acme.dialog_new, "client", tag).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(tag_ids(&body["tags"]).is_empty());
        assert_eq!(tag_ids(&body["client_tags"]), vec![tag]);
    }
    assert_eq!(updated_since(&pool, before).await, sorted);
    let admin = app.sign_in("admin@acme.test").await;
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_support).await,
        (vec![], vec![tag])
    );
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_olga).await,
        (vec![], vec![]),
        "another client's dialog"
    );
    let before = last_event(&pool).await;
    for _ in 0..2 {
        let (status, body) = remove(&admin, w.acme.dialog_support, "client", tag).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(tag_ids(&body["client_tags"]).is_empty());
    }
    assert_eq!(updated_since(&pool, before).await, sorted);
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_new).await,
        (vec![], vec![])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tag_just_put_on_a_dialog_or_its_client_is_found_by_the_list_filter(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (_, body) = put_new(&admin, w.acme.dialog_olga, "dialog", "Urgent", None).await;
    let urgent = body["tags"][0]["id"].as_i64().expect("tag id");
    assert_eq!(
        tagged(&admin, urgent).await,
        BTreeSet::from([w.acme.dialog_olga])
    );

    let (_, body) = put_new(&admin, w.acme.dialog_new, "client", "VIP", None).await;
    let vip = body["client_tags"][0]["id"].as_i64().expect("tag id");
    assert_eq!(
        tagged(&admin, vip).await,
        BTreeSet::from([
            w.acme.dialog_new,
            w.acme.dialog_support,
            w.acme.dialog_closed
        ])
    );
    // The same filter for an operator keeps to what they may see: vera views Sales only.
    let vera = app.sign_in("vera@acme.test").await;
    assert_eq!(
        tagged(&vera, vip).await,
        BTreeSet::from([w.acme.dialog_new, w.acme.dialog_closed])
    );
    // Both tags at once: either one.
    let (status, page) = admin
        .call(
            "list_dialogs",
            &[
                ("filter", &format!("section=all&tag={urgent},{vip}")),
                ("tz_offset_minutes", "0"),
                ("limit", "50"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        ids(&page).into_iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([w.acme.dialog_olga, w.acme.dialog_new, w.acme.dialog_support])
    );
    // Taken off, no longer found.
    remove(&admin, w.acme.dialog_olga, "dialog", urgent).await;
    assert!(tagged(&admin, urgent).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_operator_tags_only_dialogs_in_sight(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (_, tag) = create(&admin, "Lead", "#6e56cf").await;
    let tag = tag["id"].as_i64().expect("tag id");
    put(&admin, w.acme.dialog_olga, "dialog", tag).await;

    // Pavel has no lines; vera sees the Sales queue, not olga's dialog in work.
    let pavel = app.sign_in("pavel@acme.test").await;
    let vera = app.sign_in("vera@acme.test").await;
    for (session, dialog) in [
        (&pavel, w.acme.dialog_new),
        (&pavel, w.acme.dialog_support),
        (&vera, w.acme.dialog_olga),
        (&vera, w.acme.dialog_support),
    ] {
        for target in ["dialog", "client"] {
            let (status, body) = put(session, dialog, target, tag).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "put {dialog}: {body}");
            let (status, body) = remove(session, dialog, target, tag).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "remove {dialog}: {body}");
            let (status, body) = put_new(session, dialog, target, "Sneaky", None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "put_new {dialog}: {body}");
        }
    }
    // Nothing was made or changed.
    assert_eq!(tag_count(&pool, w.acme.id).await, 1);
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_olga).await,
        (vec![tag], vec![])
    );
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_new).await,
        (vec![], vec![])
    );

    // A view-only operator may tag what they see.
    let (status, body) = put(&vera, w.acme.dialog_new, "client", tag).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(tag_ids(&body["client_tags"]), vec![tag]);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_tags_and_dialogs_are_unknown(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let stranger = app.sign_in("admin@other.test").await;
    let (_, acme_tag) = create(&admin, "Acme only", "#e5484d").await;
    let acme_tag = acme_tag["id"].as_i64().expect("tag id");
    let (_, other_tag) = create(&stranger, "Other only", "#30a46c").await;
    let other_tag = other_tag["id"].as_i64().expect("tag id");

    for (status, body) in [
        // Their tag on our dialog, our tag on their dialog, our tag on our dialog.
        put(&stranger, w.other.dialog_new, "dialog", acme_tag).await,
        put(&stranger, w.other.dialog_new, "client", acme_tag).await,
        put(&stranger, w.acme.dialog_new, "dialog", other_tag).await,
        put(&stranger, w.acme.dialog_new, "dialog", acme_tag).await,
        remove(&stranger, w.acme.dialog_new, "dialog", acme_tag).await,
        put_new(&stranger, w.acme.dialog_new, "dialog", "Mine", None).await,
        put(&admin, w.acme.dialog_new, "dialog", other_tag).await,
        put(&admin, w.acme.dialog_new, "dialog", 999_999).await,
        put(&admin, 999_999, "dialog", acme_tag).await,
        stranger
            .call(
                "update_tag",
                &[
                    ("id", &acme_tag.to_string()),
                    ("name", "Stolen"),
                    ("color", "#000000"),
                ],
            )
            .await,
        stranger
            .call("delete_tag", &[("id", &acme_tag.to_string())])
            .await,
        admin
            .call("delete_tag", &[("id", &other_tag.to_string())])
            .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let acme = list_tags(&admin).await;
    assert_eq!(acme.len(), 1);
    assert_eq!(acme[0]["name"], "Acme only");
    assert_eq!(list_tags(&stranger).await.len(), 1);
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_new).await,
        (vec![], vec![])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_rename_recolour_and_delete_tags(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let olga = app.sign_in("olga@acme.test").await;
    let (_, vip) = create(&olga, "VIP", "#e2a336").await;
    let vip = vip["id"].to_string();
    let (_, lead) = create(&olga, "Lead", "#6e56cf").await;
    let lead = lead["id"].to_string();

    let (status, _) = olga
        .call(
            "update_tag",
            &[("id", &vip), ("name", "V.I.P."), ("color", "#e2a336")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = olga.call("delete_tag", &[("id", &vip)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another tag's name, in any case, is taken; its own name in another case is not.
    let (status, body) = admin
        .call(
            "update_tag",
            &[("id", &lead), ("name", "vip"), ("color", "#6e56cf")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "tag.error.taken");
    let (status, body) = admin
        .call(
            "update_tag",
            &[("id", &vip), ("name", "vip"), ("color", "#E5484D")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "vip");
    assert_eq!(body["color"], "#e5484d");
    let (status, _) = admin
        .call(
            "update_tag",
            &[("id", "999999"), ("name", "Ghost"), ("color", "#e5484d")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let names: Vec<Value> = list_tags(&olga)
        .await
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, vec!["Lead", "vip"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deleted_tag_leaves_every_dialog_and_client(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    let (_, body) = put_new(&admin, w.acme.dialog_olga, "dialog", "Complaint", None).await;
    let tag = body["tags"][0]["id"].as_i64().expect("tag id");
    put(&admin, w.acme.dialog_new, "client", tag).await;
    assert_eq!(tagged(&admin, tag).await.len(), 4);

    let (status, body) = admin.call("delete_tag", &[("id", &tag.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(tagged(&admin, tag).await.is_empty());
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_olga).await,
        (vec![], vec![])
    );
    assert_eq!(
        dialog_tags(&admin, w.acme.dialog_support).await,
        (vec![], vec![])
    );
    assert!(list_tags(&admin).await.is_empty());
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM dialog_tags) + (SELECT count(*) FROM client_tags)",
    )
    .fetch_one(&pool)
    .await
    .expect("counting");
    assert_eq!(left, 0);
    // Deleting again: it is gone.
    let (status, _) = admin.call("delete_tag", &[("id", &tag.to_string())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_and_a_dialog_hold_a_bounded_number_of_tags(pool: PgPool) {
    use app::domain::tag::{MAX_PER_ACCOUNT, MAX_PER_ITEM};

    let w = world(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.sign_in("admin@acme.test").await;
    sqlx::query(
        "INSERT INTO tags (account_id, name) SELECT $1, 'Tag ' || n FROM generate_series(1, $2) n",
    )
    .bind(w.acme.id)
    .bind(MAX_PER_ITEM)
    .execute(&pool)
    .await
    .expect("tags");
    for tag in list_tags(&admin).await {
        let id = tag["id"].as_i64().expect("tag id");
        let (status, body) = put(&admin, w.acme.dialog_admin, "dialog", id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = put_new(&admin, w.acme.dialog_admin, "dialog", "One more", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "tag.error.item_full");
    // The client of that dialog is a separate holder.
    let (status, body) = put_new(&admin, w.acme.dialog_admin, "client", "One more", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    sqlx::query(
        "INSERT INTO tags (account_id, name)
         SELECT $1, 'Bulk ' || n FROM generate_series(1, $2) n",
    )
    .bind(w.acme.id)
    .bind(MAX_PER_ACCOUNT - tag_count(&pool, w.acme.id).await)
    .execute(&pool)
    .await
    .expect("tags");
    assert_eq!(tag_count(&pool, w.acme.id).await, MAX_PER_ACCOUNT);
    let (status, body) = create(&admin, "The thousand and first", "#e5484d").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "tag.error.too_many");
    // An existing name is still picked.
    let (status, body) = create(&admin, "bulk 7", "#e5484d").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Bulk 7");
}
