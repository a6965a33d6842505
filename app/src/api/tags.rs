//! Tags (F1): the account's catalogue, and putting tags on a dialog or on its client.
//!
//! Anyone who sees a dialog may tag it and its client, and may make a new tag while doing
//! so; renaming, recolouring and deleting tags is for owners and admins (`auth::Access`).
//! A dialog out of sight, an unknown id and another account's id all answer `NotFound`.
//! Tagging publishes `dialog.updated` for every dialog whose tags (its own or its client's)
//! changed, so lists filtered by a tag patch their rows in other browsers.

use leptos::prelude::*;

use crate::domain::tag::{DialogTags, Tag, TagTarget};
use crate::domain::{DialogId, TagId};
use crate::error::AppError;

/// The account's tags, by name (the picker and the settings screen).
#[server(endpoint = "list_tags")]
pub async fn list_tags() -> Result<Vec<Tag>, AppError> {
    crate::error::respond(
        async move {
            let (state, user, _access) = crate::auth::authorize().await?;
            Ok(crate::store::tags::list(&state.pool, user.account_id).await?)
        }
        .await,
    )
}

/// Makes a tag; a tag of the same name in any case is answered instead (its colour kept),
/// so typing a name either picks or creates. No colour means `tag::DEFAULT_COLOR`.
#[server(endpoint = "create_tag")]
pub async fn create_tag(name: String, color: Option<String>) -> Result<Tag, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_create_tags() {
                return Err(AppError::Forbidden);
            }
            let mut tx = state.pool.begin().await?;
            let tag = create_or_pick(&mut tx, user.account_id, &name, color.as_deref()).await?;
            tx.commit().await?;
            Ok(tag)
        }
        .await,
    )
}

/// Renames and recolours a tag (owners and admins).
#[server(endpoint = "update_tag")]
pub async fn update_tag(id: TagId, name: String, color: String) -> Result<Tag, AppError> {
    crate::error::respond(
        async move {
            use crate::domain::tag::{parse_color, parse_name};
            use crate::store::tags::{self, Updated};

            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_tags() {
                return Err(AppError::Forbidden);
            }
            let name = parse_name(&name).map_err(|key| AppError::validation("name", key))?;
            let color = parse_color(&color).map_err(|key| AppError::validation("color", key))?;
            let mut tx = state.pool.begin().await?;
            let tag = match tags::update(&mut tx, user.account_id, id, &name, &color).await? {
                Updated::Done(tag) => tag,
                Updated::NotFound => return Err(AppError::NotFound),
                Updated::NameTaken => return Err(AppError::validation("name", "tag.error.taken")),
            };
            tx.commit().await?;
            tracing::info!(tag = %id, "tag changed");
            Ok(tag)
        }
        .await,
    )
}

/// Deletes a tag; every dialog and client carrying it loses it (owners and admins).
#[server(endpoint = "delete_tag")]
pub async fn delete_tag(id: TagId) -> Result<(), AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_manage_tags() {
                return Err(AppError::Forbidden);
            }
            // No live events: a tag may sit on thousands of dialogs; lists and open
            // dialogs show the change on their next load.
            if !crate::store::tags::delete(&state.pool, user.account_id, id).await? {
                return Err(AppError::NotFound);
            }
            tracing::info!(tag = %id, "tag deleted");
            Ok(())
        }
        .await,
    )
}

/// Puts a tag of the account on the dialog or on its client; answers the dialog's tags as
/// they are now. Putting a tag that is there already changes nothing.
#[server(endpoint = "put_tag")]
pub async fn put_tag(
    dialog_id: DialogId,
    target: TagTarget,
    tag_id: TagId,
) -> Result<DialogTags, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let tag = crate::store::tags::find(&mut *tx, user.account_id, tag_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let tags = tag_on(&mut tx, &access, dialog_id, target, tag.id, true).await?;
            tx.commit().await?;
            Ok(tags)
        }
        .await,
    )
}

/// Puts a tag named `name` on the dialog or its client: the account's tag of that name in
/// any case, or a new one with `color`. One step for the picker's "Create «name»".
#[server(endpoint = "put_new_tag")]
pub async fn put_new_tag(
    dialog_id: DialogId,
    target: TagTarget,
    name: String,
    color: Option<String>,
) -> Result<DialogTags, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            if !access.can_create_tags() {
                return Err(AppError::Forbidden);
            }
            let mut tx = state.pool.begin().await?;
            // The dialog first: one out of sight answers `NotFound` before a tag is made.
            crate::store::dialogs::find(&mut tx, &access, dialog_id, false)
                .await?
                .filter(|d| access.can_tag(&d.facts()))
                .ok_or(AppError::NotFound)?;
            let tag = create_or_pick(&mut tx, user.account_id, &name, color.as_deref()).await?;
            let tags = tag_on(&mut tx, &access, dialog_id, target, tag.id, true).await?;
            tx.commit().await?;
            Ok(tags)
        }
        .await,
    )
}

/// Takes a tag off the dialog or its client; answers the dialog's tags as they are now.
/// Taking off a tag that is not there changes nothing.
#[server(endpoint = "remove_tag")]
pub async fn remove_tag(
    dialog_id: DialogId,
    target: TagTarget,
    tag_id: TagId,
) -> Result<DialogTags, AppError> {
    crate::error::respond(
        async move {
            let (state, user, access) = crate::auth::authorize().await?;
            let mut tx = state.pool.begin().await?;
            let tag = crate::store::tags::find(&mut *tx, user.account_id, tag_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let tags = tag_on(&mut tx, &access, dialog_id, target, tag.id, false).await?;
            tx.commit().await?;
            Ok(tags)
        }
        .await,
    )
}

/// The tag named `name` (checked) of the account, made with `color` (checked) when there
/// is none.
#[cfg(feature = "ssr")]
async fn create_or_pick(
    conn: &mut sqlx::PgConnection,
    account: crate::domain::AccountId,
    name: &str,
    color: Option<&str>,
) -> Result<Tag, AppError> {
    use crate::domain::tag::{DEFAULT_COLOR, parse_color, parse_name};
    use crate::store::tags::{self, Created};

    let name = parse_name(name).map_err(|key| AppError::validation("name", key))?;
    let color = parse_color(color.unwrap_or(DEFAULT_COLOR))
        .map_err(|key| AppError::validation("color", key))?;
    match tags::create(conn, account, &name, &color).await? {
        Created::New(tag) => {
            tracing::info!(tag = %tag.id, "tag created");
            Ok(tag)
        }
        Created::Existing(tag) => Ok(tag),
        Created::TooMany => Err(AppError::validation("name", "tag.error.too_many")),
    }
}

/// Puts (`on`) or takes off a tag of the account (checked by the caller) on a dialog the
/// user may tag or on its client, and publishes `dialog.updated` for each dialog whose
/// tags changed: this one, or every dialog of the client.
#[cfg(feature = "ssr")]
async fn tag_on(
    conn: &mut sqlx::PgConnection,
    access: &crate::auth::Access,
    dialog: DialogId,
    target: TagTarget,
    tag: TagId,
    on: bool,
) -> Result<DialogTags, AppError> {
    use crate::domain::ServerEvent;
    use crate::store::tags::{self, Holder, Put};
    use crate::store::{self, events::NewEvent};

    let account = access.account_id;
    // The dialog's row lock keeps its tag limit when two operators tag it at once.
    let record = store::dialogs::find(conn, access, dialog, target == TagTarget::Dialog)
        .await?
        .ok_or(AppError::NotFound)?;
    if !access.can_tag(&record.facts()) {
        return Err(AppError::NotFound);
    }
    let holder = match target {
        TagTarget::Dialog => Holder::Dialog(dialog),
        TagTarget::Client => Holder::Client(record.client_id),
    };
    let changed = if on {
        match tags::put(conn, account, holder, tag).await? {
            Put::TooMany => return Err(AppError::validation("tag", "tag.error.item_full")),
            Put::Added => true,
            Put::Already => false,
        }
    } else {
        tags::remove(&mut *conn, account, holder, tag).await?
    };
    if changed {
        let touched = match target {
            TagTarget::Dialog => vec![(dialog, record.facts())],
            TagTarget::Client => {
                tags::client_dialog_facts(&mut *conn, account, record.client_id).await?
            }
        };
        let events: Vec<NewEvent> = touched
            .into_iter()
            .map(|(id, facts)| NewEvent {
                account,
                dialog: id,
                facts,
                event: ServerEvent::DialogUpdated { dialog_id: id },
            })
            .collect();
        store::events::publish_many(conn, &events).await?;
        tracing::info!(
            dialog = %dialog, client = %record.client_id, tag = %tag, on,
            target = ?target, "tags changed"
        );
    }
    Ok(tags::of_dialog(&mut *conn, account, dialog).await?)
}
