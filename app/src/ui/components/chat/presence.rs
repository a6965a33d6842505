//! Who else has this dialog open, and who is typing in it, as a line under its header.

use leptos::prelude::*;

use crate::domain::DialogId;
use crate::i18n::use_i18n;
use crate::realtime::{close_dialog, open_dialog, use_realtime};

/// Reports this dialog as open while it is shown, and names the other users viewing it or
/// typing in it ("Anna is typing… · Boris is viewing"); empty when nobody else is here.
#[component]
pub fn ChatPresence(dialog: DialogId) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_realtime();
    open_dialog(dialog);
    on_cleanup(move || close_dialog(dialog));

    let names = Memo::new(move |_| {
        live.presence.with(|all| {
            let mut typing = Vec::new();
            let mut viewing = Vec::new();
            for viewer in all.iter().filter(|v| v.dialog == dialog) {
                let list = if viewer.typed.is_some() {
                    &mut typing
                } else {
                    &mut viewing
                };
                list.push(viewer.name.clone());
            }
            (typing, viewing)
        })
    });
    let part = move |names: &[String], one: &str, many: &str| {
        let key = if names.len() == 1 { one } else { many };
        i18n.t_with(key, &[("names", &names.join(", "))])
    };
    let text = move || {
        let (typing, viewing) = names.get();
        let mut parts = Vec::new();
        if !typing.is_empty() {
            parts.push(part(&typing, "presence.typing_one", "presence.typing_many"));
        }
        if !viewing.is_empty() {
            parts.push(part(
                &viewing,
                "presence.viewing_one",
                "presence.viewing_many",
            ));
        }
        parts.join(" · ")
    };

    view! {
        <div
            class="dlg-presence"
            class:dlg-presence--typing=move || !names.with(|(typing, _)| typing.is_empty())
            role="status"
            aria-live="polite"
        >
            {text}
        </div>
    }
}
