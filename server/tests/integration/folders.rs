//! Folders (C5): saved filters per user with unread counts; renamed, reordered and deleted
//! only by their owner; bad names and filters refused.

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::common::{Session, TestApp, world};

async fn folders(session: &Session) -> Vec<Value> {
    let (status, body) = session
        .call("list_folders", &[("tz_offset_minutes", "0")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().cloned().unwrap_or_default()
}

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(|f| f["name"].as_str().map(str::to_owned))
        .collect()
}

async fn save(session: &Session, name: &str, filter: &str) -> (StatusCode, Value) {
    session
        .call("save_folder", &[("name", name), ("filter", filter)])
        .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_user_keeps_folders_in_order_with_unread_counts(pool: PgPool) {
    let w = world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    assert!(folders(&admin).await.is_empty());

    // Saved in canonical form whatever order the keys came in.
    let (status, sales) = save(
        &admin,
        " Sales, unread ",
        &format!("unread=1&line={}&section=all", w.acme.line_sales),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sales}");
    let (_, mine) = save(&admin, "Mine", "section=in_work&assignee=me").await;
    let (_, support) = save(
        &admin,
        "Support",
        &format!("section=all&line={}", w.acme.line_support),
    )
    .await;
    let list = folders(&admin).await;
    assert_eq!(names(&list), vec!["Sales, unread", "Mine", "Support"]);
    assert_eq!(
        list[0]["filter"],
        format!("section=all&line={}&unread=1", w.acme.line_sales)
    );
    // Sales has three unread active dialogs (new, olga's, admin's); the admin's own in work.
    assert_eq!(list[0]["unread"], 3);
    assert_eq!(list[1]["unread"], 1);
    assert_eq!(list[2]["unread"], 1);

    // Reading a dialog lowers the count.
    let dialog = w.acme.dialog_admin.to_string();
    let (_, detail) = admin.call("get_dialog", &[("id", &dialog)]).await;
    let last = detail["messages"][0]["id"].to_string();
    admin
        .call("mark_read", &[("id", &dialog), ("upto", &last)])
        .await;
    let list = folders(&admin).await;
    assert_eq!(list[0]["unread"], 2);
    assert_eq!(list[1]["unread"], 0);

    // Rename, move, delete.
    let (status, _) = admin
        .call(
            "rename_folder",
            &[("id", &mine.to_string()), ("name", "My work")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin
        .call("move_folder", &[("id", &support.to_string()), ("to", "0")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&folders(&admin).await),
        vec!["Support", "Sales, unread", "My work"]
    );
    let (status, _) = admin
        .call("move_folder", &[("id", &support.to_string()), ("to", "99")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&folders(&admin).await),
        vec!["Sales, unread", "My work", "Support"]
    );
    let (status, _) = admin
        .call("delete_folder", &[("id", &sales.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&folders(&admin).await), vec!["My work", "Support"]);

    // Folders are one user's: another user sees none and can change none.
    let olga = app.sign_in("olga@acme.test").await;
    assert!(folders(&olga).await.is_empty());
    let stranger = app.sign_in("admin@other.test").await;
    for session in [&olga, &stranger] {
        for (endpoint, args) in [
            (
                "rename_folder",
                vec![("id", mine.to_string()), ("name", "Mine!".to_owned())],
            ),
            (
                "move_folder",
                vec![("id", mine.to_string()), ("to", "0".to_owned())],
            ),
            ("delete_folder", vec![("id", mine.to_string())]),
            ("delete_folder", vec![("id", "999999".to_owned())]),
        ] {
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = session.call(endpoint, &args).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{endpoint}: {body}");
        }
    }
    assert_eq!(names(&folders(&admin).await), vec!["My work", "Support"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_names_bad_filters_and_too_many_folders_are_refused(pool: PgPool) {
    world(&pool).await;
    let app = TestApp::spawn(pool).await;
    let admin = app.sign_in("admin@acme.test").await;
    for (name, filter, field, message) in [
        ("  ", "unread=1", "name", "folder.error.name_empty"),
        (
            &*"я".repeat(101),
            "unread=1",
            "name",
            "folder.error.name_long",
        ),
        ("Bad", "line=x", "line", "filter.error.value"),
        ("Bad", "waiting=0", "waiting", "filter.error.waiting"),
    ] {
        let (status, body) = save(&admin, name, filter).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["Validation"]["field"], field);
        assert_eq!(body["Validation"]["message"], message);
    }
    for i in 0..20 {
        let (status, body) = save(&admin, &format!("Folder {i}"), "unread=1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = save(&admin, "One too many", "unread=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["Validation"]["message"], "folder.error.too_many");
    assert_eq!(folders(&admin).await.len(), 20);
}
