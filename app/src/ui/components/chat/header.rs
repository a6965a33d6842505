//! The open dialog's header: client, channel, number, line, assignee, status, and the
//! dialog's and its client's tags (F1) on a row of their own.

use leptos::prelude::*;

use crate::domain::{DialogStatus, DialogView};
use crate::i18n::use_i18n;
use crate::ui::components::chat::{DialogActions, TagBar};
use crate::ui::components::common::{Avatar, StatusBadge};
use crate::ui::pages::inbox::use_inbox;

#[component]
pub fn ChatHeader(
    dialog: DialogView,
    /// Refreshes the dialog after an action.
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let title = dialog
        .title
        .clone()
        .unwrap_or_else(|| dialog.client_name.clone());
    let number = dialog.number.to_string();
    let assignee = dialog.assignee_name.clone();
    let actions_of = dialog.clone();
    let tags = dialog.tags.clone();
    let dialog_id = dialog.id;
    let hint = if dialog.status == DialogStatus::ForReview {
        Some("status.hint.for_review")
    } else if dialog.status.is_active() && !dialog.can_send && dialog.actions.is_empty() {
        Some("status.hint.read_only")
    } else {
        None
    };
    let meta = move || {
        let who = match &assignee {
            Some(name) => i18n.t_with("chat.assignee", &[("name", name)]),
            None => i18n.t("chat.unassigned"),
        };
        format!(
            "{} · {} · {} · {}",
            dialog.channel_name,
            i18n.t_with("chat.dialog_number", &[("n", &number)]),
            dialog.line_name,
            who
        )
    };
    view! {
        <header class="dlg-chat__header">
            <a
                class="dlg-chat__back dlg-button dlg-button--ghost dlg-button--icon"
                href=move || format!("/dialogs{}", inbox.search.get())
                aria-label=move || i18n.t("chat.back")
            >
                "←"
            </a>
            <Avatar name=dialog.client_name.clone() id=dialog.client_id.0 />
            <div class="dlg-chat__heading">
                <h2 class="dlg-chat__title">{title}</h2>
                <p class="dlg-chat__meta">
                    <span class=format!(
                        "dlg-channel-icon dlg-channel-icon--{}",
                        dialog.channel_kind.as_str(),
                    )></span>
                    " "
                    {meta}
                </p>
            </div>
            <a
                class="dlg-button dlg-button--ghost dlg-button--icon dlg-chat__important"
                href=format!("/important?dialog={}", dialog.id)
                aria-label=move || i18n.t("important.in_dialog")
                title=move || i18n.t("important.in_dialog")
            >
                "★"
            </a>
            <StatusBadge status=dialog.status />
            <TagBar dialog_id tags on_done />
        </header>
        <DialogActions dialog=actions_of on_done />
        {hint.map(|key| view! { <p class="dlg-chat__hint">{move || i18n.t(key)}</p> })}
    }
}
