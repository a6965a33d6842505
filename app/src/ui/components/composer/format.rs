//! The formatting toolbar and its shortcuts (E2): bold, italic, strikethrough, quote, code
//! block. They edit the text as markdown marks (`domain::formatting::apply`); the server
//! renders them.

use leptos::prelude::*;

use crate::domain::formatting::{Style, apply};
use crate::i18n::use_i18n;

/// Applies a style to the text area's selection, keeps the selection on the same words and
/// the focus in the text area.
pub fn format_selection(
    textarea: NodeRef<leptos::html::Textarea>,
    text: RwSignal<String>,
    style: Style,
) {
    let Some(el) = textarea.get_untracked() else {
        return;
    };
    let current = el.value();
    let start = el.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = el.selection_end().ok().flatten().unwrap_or(0) as usize;
    let edit = apply(&current, start, end, style);
    el.set_value(&edit.text);
    text.set(edit.text);
    let _ = el.focus();
    let _ = el.set_selection_range(edit.start as u32, edit.end as u32);
}

/// A formatting shortcut (Ctrl or ⌘ with the key): applied, and true so the key does
/// nothing else.
pub fn format_shortcut(
    ev: &leptos::ev::KeyboardEvent,
    textarea: NodeRef<leptos::html::Textarea>,
    text: RwSignal<String>,
) -> bool {
    if !(ev.ctrl_key() || ev.meta_key()) {
        return false;
    }
    match Style::for_key(&ev.code(), ev.shift_key(), ev.alt_key()) {
        Some(style) => {
            ev.prevent_default();
            format_selection(textarea, text, style);
            true
        }
        None => false,
    }
}

#[component]
pub fn FormatBar(
    textarea: NodeRef<leptos::html::Textarea>,
    text: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let buttons = Style::ALL
        .into_iter()
        .map(|style| {
            let (glyph, class) = match style {
                Style::Bold => ("B", "dlg-format__b"),
                Style::Italic => ("I", "dlg-format__i"),
                Style::Strike => ("S", "dlg-format__s"),
                Style::Quote => ("❝", "dlg-format__q"),
                Style::Code => ("</>", "dlg-format__c"),
            };
            let label = move || {
                format!(
                    "{} ({})",
                    i18n.t(style.key()),
                    style.shortcut().replace("Control", "Ctrl")
                )
            };
            view! {
                <button
                    type="button"
                    class=format!("dlg-format__button {class}")
                    aria-label=label
                    title=label
                    aria-keyshortcuts=style.shortcut()
                    // The text area keeps its focus and selection.
                    on:mousedown=|ev| ev.prevent_default()
                    on:click=move |_| format_selection(textarea, text, style)
                >
                    {glyph}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="dlg-format" role="toolbar" aria-label=move || i18n.t("format.toolbar")>
            {buttons}
        </div>
    }
}
