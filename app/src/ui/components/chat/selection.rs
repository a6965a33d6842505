//! Selecting messages to pass for review (D8): "Select" in a message's menu starts it,
//! each message then has a box, and this bar counts them and passes them on.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::ui::components::chat::ChatContext;
use crate::ui::components::chat::actions::Form;

/// The bar under the messages while selecting; nothing otherwise.
#[component]
pub fn SelectionBar() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = expect_context::<ChatContext>();
    let count = Memo::new(move |_| ctx.selected.with(|s| s.as_ref().map(Vec::len)));
    // Escape ends selecting, unless a form or menu above it takes the key first.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape"
            && count.get_untracked().is_some()
            && ctx.action_form.get_untracked().is_none()
            && ctx.menu.get_untracked().is_none()
        {
            ctx.selected.set(None);
        }
    });
    on_cleanup(move || keys.remove());
    move || {
        count.get().map(|n| {
            let shown = n.to_string();
            view! {
                <div
                    class="dlg-selection"
                    role="toolbar"
                    aria-label=move || i18n.t("selection.label")
                >
                    <span class="dlg-selection__count" role="status">
                        {move || i18n.t_with("selection.count", &[("n", &shown)])}
                    </span>
                    <button
                        type="button"
                        class="dlg-button dlg-button--primary"
                        data-action="pass_selected"
                        disabled=n == 0
                        on:click=move |_| ctx.action_form.set(Some(Form::Pass))
                    >
                        {move || i18n.t("selection.pass")}
                    </button>
                    <button
                        type="button"
                        class="dlg-button dlg-button--ghost"
                        data-action="cancel_selection"
                        on:click=move |_| ctx.selected.set(None)
                    >
                        {move || i18n.t("selection.cancel")}
                    </button>
                </div>
            }
        })
    }
}
