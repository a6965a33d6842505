//! Small shared pieces: the status pill and the avatar.

use leptos::prelude::*;

use crate::domain::DialogStatus;
use crate::i18n::use_i18n;
use crate::ui::format::{avatar_class, initials};

/// A dialog's status as a coloured pill.
#[component]
pub fn StatusBadge(status: DialogStatus) -> impl IntoView {
    let i18n = use_i18n();
    let key = format!("status.{}", status.as_str());
    view! {
        <span class=format!("dlg-status dlg-status--{}", status.as_str())>
            {move || i18n.t(&key)}
        </span>
    }
}

/// A round avatar with the initials of `name`, coloured by `id`.
#[component]
pub fn Avatar(name: String, id: i64) -> impl IntoView {
    view! {
        <span class=format!("dlg-row__avatar {}", avatar_class(id)) aria-hidden="true">
            {initials(&name)}
        </span>
    }
}
