//! The composer (E1): Message or Note, Enter sends, Shift+Enter breaks the line.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::messages::SendMessage;
use crate::domain::{ComposerMode, DialogId, DialogPermissions};
use crate::i18n::use_i18n;

mod buttons;
mod emoji;
mod files;
mod format;
mod templates;
pub use buttons::{ButtonsEditor, ButtonsToggle, ComposerButtons};
pub use emoji::EmojiPicker;
pub use files::{AttachButton, ComposerFiles, FileChips};
pub use format::FormatBar;
pub use templates::{TemplateBar, TemplateFields, TemplateForm};

/// Unsent composer text per dialog, kept for the life of the inbox page and in the
/// browser's local storage, so a reload keeps it too. Signing out clears them.
#[derive(Clone, Copy, Default)]
pub struct Drafts(pub StoredValue<Vec<(DialogId, String)>>);

/// Local storage keys of drafts start with this.
pub const DRAFT_KEY_PREFIX: &str = "dlg-draft-";

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// The draft of a dialog kept in this browser.
fn stored_draft(id: DialogId) -> Option<String> {
    storage()?
        .get_item(&format!("{DRAFT_KEY_PREFIX}{id}"))
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

fn store_draft(id: DialogId, text: &str) {
    if let Some(storage) = storage() {
        let key = format!("{DRAFT_KEY_PREFIX}{id}");
        let _ = if text.is_empty() {
            storage.remove_item(&key)
        } else {
            storage.set_item(&key, text)
        };
    }
}

/// Forgets every draft kept in this browser (on sign-out: the next person at this
/// computer does not see them).
pub fn clear_stored_drafts() {
    let Some(storage) = storage() else { return };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(DRAFT_KEY_PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}

pub fn provide_drafts() {
    provide_context(Drafts::default());
}

#[component]
pub fn Composer(
    dialog_id: Memo<Option<DialogId>>,
    permissions: DialogPermissions,
    send: ServerAction<SendMessage>,
) -> impl IntoView {
    let i18n = use_i18n();
    let chosen_mode = RwSignal::new(ComposerMode::Message);
    // Unsent text survives switching to another dialog and back.
    let drafts = use_context::<Drafts>();
    let saved = dialog_id
        .get_untracked()
        .and_then(|id| {
            drafts.and_then(|d| {
                d.0.with_value(|all| all.iter().find(|(d, _)| *d == id).map(|(_, t)| t.clone()))
            })
        })
        .unwrap_or_default();
    let text = RwSignal::new(saved);
    // After hydration (the server knows nothing of it): the draft kept in this browser.
    Effect::new(move |_| {
        if let Some(id) = dialog_id.get_untracked()
            && text.get_untracked().is_empty()
            && let Some(kept) = stored_draft(id)
        {
            text.set(kept);
        }
    });
    Effect::new(move |prev: Option<()>| {
        let current = text.get();
        if let Some(id) = dialog_id.get_untracked()
            && prev.is_some()
        {
            store_draft(id, &current);
        }
        if let (Some(drafts), Some(id)) = (drafts, dialog_id.get_untracked()) {
            // A plain list: a handful of drafts, and no hashing code in the browser bundle.
            drafts.0.update_value(|all| {
                all.retain(|(d, _)| *d != id);
                if !current.is_empty() {
                    all.push((id, current));
                }
            });
        }
    });
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let files = ComposerFiles::new();
    let buttons = ComposerButtons::new();

    let can_send = move || permissions.can_send;
    let can_note = move || permissions.can_note;
    // Without "send", the composer only writes notes.
    let mode = move || {
        if can_send() {
            chosen_mode.get()
        } else {
            ComposerMode::Note
        }
    };
    let is_note = move || mode() == ComposerMode::Note || text.get().trim_start().starts_with('/');
    // Buttons go under messages to the client, where the messenger has them (E10).
    let button_limits = permissions.buttons;
    let offers_buttons = Memo::new(move |_| button_limits.is_some() && can_send() && !is_note());

    // Sent: clear and keep typing.
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            text.set(String::new());
            files.clear();
            buttons.clear();
            if let Some(el) = textarea.get_untracked() {
                let _ = el.focus();
            }
        }
    });

    let error = move || {
        send.value()
            .get()
            .and_then(Result::err)
            .map(|e| i18n.t(e.key()))
            .unwrap_or_default()
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if format::format_shortcut(&ev, textarea, text) {
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            if files.uploading() {
                return;
            }
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                .and_then(|t| t.form());
            if let Some(form) = form {
                let _ = form.request_submit();
            }
        }
    };
    let mode_button = move |value: ComposerMode, key: &'static str| {
        let active = move || mode() == value;
        view! {
            <button
                type="button"
                class=move || {
                    let mut c = String::from("dlg-composer__mode");
                    if active() {
                        c.push_str(" dlg-composer__mode--active");
                    }
                    if value == ComposerMode::Note {
                        c.push_str(" dlg-composer__mode--note");
                    }
                    c
                }
                aria-pressed=move || active().to_string()
                disabled=move || value == ComposerMode::Message && !can_send()
                on:click=move |_| chosen_mode.set(value)
            >
                {move || i18n.t(key)}
            </button>
        }
    };

    view! {
        <Show
            when=can_note
            fallback=move || {
                view! {
                    <p class="dlg-composer__readonly">
                        {move || {
                            if !permissions.status.is_active() {
                                i18n.t("composer.closed")
                            } else {
                                i18n.t("composer.readonly")
                            }
                        }}
                    </p>
                }
            }
        >
            <ActionForm
                action=send
                attr:class="dlg-composer"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| {
                    if let Some(list) = ev.data_transfer().and_then(|d| d.files())
                        && list.length() > 0
                    {
                        ev.prevent_default();
                        files.add(list);
                    }
                }
            >
                <input
                    type="hidden"
                    name="dialog_id"
                    prop:value=move || dialog_id.get().map(|d| d.0.to_string()).unwrap_or_default()
                />
                <input
                    type="hidden"
                    name="mode"
                    prop:value=move || match mode() {
                        ComposerMode::Message => "message",
                        ComposerMode::Note => "note",
                    }
                />
                <div class="dlg-composer__modes" role="group">
                    {mode_button(ComposerMode::Message, "composer.message")}
                    {mode_button(ComposerMode::Note, "composer.note")}
                </div>
                <Show when=move || !can_send()>
                    <p class="dlg-composer__readonly">
                        {move || {
                            if !permissions.status.is_active() {
                                i18n.t("composer.closed")
                            } else {
                                i18n.t("composer.readonly")
                            }
                        }}
                    </p>
                </Show>
                <crate::ui::components::chat::ReplyStrip />
                <FileChips files />
                {move || {
                    match (offers_buttons.get(), button_limits) {
                        (true, Some(limits)) => Some(view! { <ButtonsEditor buttons limits /> }),
                        _ => None,
                    }
                }}
                <FormatBar textarea text />
                <div class="dlg-composer__row">
                    <AttachButton files />
                    <Show when=move || offers_buttons.get()>
                        <ButtonsToggle buttons />
                    </Show>
                    <EmojiPicker field=textarea text />
                    <textarea
                        class=move || {
                            if is_note() {
                                "dlg-composer__input dlg-composer__input--note"
                            } else {
                                "dlg-composer__input"
                            }
                        }
                        name="text"
                        rows="1"
                        node_ref=textarea
                        aria-label=move || i18n.t("composer.label")
                        placeholder=move || {
                            if is_note() {
                                i18n.t("composer.placeholder_note")
                            } else {
                                i18n.t("composer.placeholder_message")
                            }
                        }
                        prop:value=move || text.get()
                        on:input=move |ev| { text.set(event_target_value(&ev)); crate::realtime::typing(dialog_id.get_untracked()); }
                        on:keydown=on_keydown
                        on:paste=move |ev: leptos::ev::ClipboardEvent| {
                            if let Some(list) = ev.clipboard_data().and_then(|d| d.files())
                                && list.length() > 0
                            {
                                ev.prevent_default();
                                files.add(list);
                            }
                        }
                    ></textarea>
                    <button
                        type="submit"
                        class="dlg-button dlg-button--primary dlg-composer__send"
                        disabled=move || send.pending().get() || files.uploading()
                    >
                        {move || {
                            if is_note() { i18n.t("composer.save_note") } else { i18n.t("composer.send") }
                        }}
                    </button>
                </div>
                {move || {
                    let message = error();
                    (!message.is_empty())
                        .then(|| view! { <p class="dlg-composer__error" role="alert">{message}</p> })
                }}
                <p class="dlg-composer__hint">{move || i18n.t("composer.hint")}</p>
            </ActionForm>
        </Show>
    }
}
