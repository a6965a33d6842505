//! Tags in the open dialog's header (F1): the dialog's and its client's tags as chips, each
//! with a remove button, and "+ Tag", which opens a picker: typing filters the account's
//! tags (ArrowUp/ArrowDown/Enter pick, Escape closes), a switch puts the tag on this dialog
//! or on its client, and a name no tag has yet offers "Create «name»" with a colour.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::tags::{list_tags, put_new_tag, put_tag, remove_tag};
use crate::domain::tag::{self, DialogTags, PALETTE, Tag, TagTarget};
use crate::domain::{DialogId, TagId};
use crate::error::AppError;
use crate::i18n::use_i18n;

/// The palette's colours by name (translation keys), in `PALETTE`'s order.
const COLOR_NAMES: [&str; 10] = [
    "tag.color.grey",
    "tag.color.red",
    "tag.color.orange",
    "tag.color.amber",
    "tag.color.green",
    "tag.color.teal",
    "tag.color.blue",
    "tag.color.violet",
    "tag.color.pink",
    "tag.color.brown",
];

/// The `id` of the picker's list, for the input's `aria-controls`.
const LIST_ID: &str = "dlg-tag-picker-list";

std::thread_local! {
    /// A change made here redraws the header (its dialog changed), which would drop the
    /// focus to the page: the new "+ Tag" of that dialog takes it when drawn soon after.
    static REFOCUS: std::cell::Cell<Option<(DialogId, f64)>> = const { std::cell::Cell::new(None) };
}

/// How long after a change a redrawn header still takes the focus back.
const REFOCUS_WITHIN_MS: f64 = 3_000.0;

/// Focuses "+ Tag" now, and its successor if the header is drawn again (browser only).
fn focus_add(dialog: DialogId, button: Option<web_sys::HtmlButtonElement>) {
    if let Some(button) = button {
        let _ = button.focus();
    }
    REFOCUS.with(|r| r.set(Some((dialog, js_sys::Date::now()))));
}

/// A small person outline: marks a tag that belongs to the client, not to this dialog.
fn person_icon() -> impl IntoView {
    view! {
        <svg class="dlg-tag__person" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
            <circle cx="8" cy="5" r="3" fill="none" stroke="currentColor" stroke-width="1.6" />
            <path
                d="M2.5 14.5c.6-3 2.8-4.6 5.5-4.6s4.9 1.6 5.5 4.6"
                fill="none"
                stroke="currentColor"
                stroke-width="1.6"
                stroke-linecap="round"
            />
        </svg>
    }
}

/// The palette as a row of swatches; `selected` is the chosen colour.
#[component]
pub fn TagSwatches(
    #[prop(into)] selected: Signal<String>,
    /// A swatch was picked.
    on_pick: Callback<String>,
    /// Names the group for screen readers.
    #[prop(into)]
    label: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="dlg-swatches" role="radiogroup" aria-label=move || label.get()>
            {PALETTE
                .iter()
                .zip(COLOR_NAMES)
                .map(|(color, name)| {
                    let color = *color;
                    let on = move || selected.with(|s| s == color);
                    view! {
                        <button
                            type="button"
                            role="radio"
                            class="dlg-swatch"
                            class:dlg-swatch--on=on
                            data-color=color
                            style=format!("--dlg-swatch:{color}")
                            aria-checked=move || on().to_string()
                            aria-label=move || i18n.t(name)
                            title=move || i18n.t(name)
                            on:click=move |_| on_pick.run(color.to_owned())
                        ></button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The tag chips of an open dialog and the picker. `on_done` refreshes the dialog (and the
/// list's row) after a change.
#[component]
pub fn TagBar(dialog_id: DialogId, tags: DialogTags, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    // Shown at once from each change's answer; the refreshed dialog brings the same.
    let current = RwSignal::new(tags);
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let add_ref = NodeRef::<leptos::html::Button>::new();

    let close = Callback::new(move |refocus: bool| {
        open.set(false);
        if refocus {
            focus_add(dialog_id, add_ref.try_get_untracked().flatten());
        }
    });
    // Drawn again right after a change made here: keep the focus where it was.
    Effect::new(move |_| {
        let Some(button) = add_ref.get() else { return };
        if let Some((dialog, at)) = REFOCUS.with(|r| r.take())
            && dialog == dialog_id
            && js_sys::Date::now() - at < REFOCUS_WITHIN_MS
        {
            let _ = button.focus();
        }
    });
    let changed = Callback::new(move |result: Result<DialogTags, AppError>| match result {
        Ok(tags) => {
            error.set(None);
            current.set(tags);
            on_done.run(());
        }
        Err(e) => error.set(Some(e.key().to_owned())),
    });
    let remove = move |target: TagTarget, id: TagId| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = remove_tag(dialog_id, target, id).await;
            busy.set(false);
            if result.is_ok() {
                // The chip and its button are gone: "+ Tag" holds the focus.
                focus_add(dialog_id, add_ref.try_get_untracked().flatten());
            }
            // The header may have been drawn again meanwhile (a live event): then the new
            // one shows the change, and this bar is gone.
            let _ = changed.try_run(result);
        });
    };

    let chip = move |tag: Tag, target: TagTarget| {
        let client = target == TagTarget::Client;
        let name = tag.name.clone();
        let id = tag.id;
        view! {
            <li
                class="dlg-tag"
                class:dlg-tag--client=client
                data-tag=id.0
                data-target=if client { "client" } else { "dialog" }
                title=move || {
                    if client { i18n.t("tag.client_tag") } else { i18n.t("tag.dialog_tag") }
                }
            >
                {client.then(person_icon)}
                <span class="dlg-tag-dot" style=format!("background:{}", tag.color)></span>
                <span class="dlg-tag__name">{tag.name}</span>
                <button
                    type="button"
                    class="dlg-tag__remove"
                    aria-label=move || i18n.t_with("tag.remove", &[("name", &name)])
                    disabled=move || busy.get()
                    on:click=move |_| remove(target, id)
                >
                    "×"
                </button>
            </li>
        }
    };

    view! {
        <div class="dlg-tags">
            <ul class="dlg-tags__list" aria-label=move || i18n.t("tag.title")>
                {move || {
                    let DialogTags { tags, client_tags } = current.get();
                    tags.into_iter()
                        .map(|t| chip(t, TagTarget::Dialog))
                        .chain(client_tags.into_iter().map(|t| chip(t, TagTarget::Client)))
                        .collect_view()
                }}
            </ul>
            <button
                type="button"
                class="dlg-tags__add"
                node_ref=add_ref
                aria-haspopup="dialog"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| {
                    error.set(None);
                    open.update(|o| *o = !*o);
                }
            >
                {move || i18n.t("tag.add")}
            </button>
            {move || {
                error
                    .get()
                    .filter(|_| !open.get())
                    .map(|key| view! { <span class="dlg-tags__error" role="alert">{i18n.t(&key)}</span> })
            }}
            <Show when=move || open.get()>
                <TagPicker dialog_id current close changed />
            </Show>
        </div>
    }
}

/// What the picker offers.
#[derive(Debug, Clone, PartialEq)]
enum Choice {
    Existing(Tag),
    /// A new tag of this (checked) name.
    Create(String),
}

/// The picker under "+ Tag".
#[component]
fn TagPicker(
    dialog_id: DialogId,
    current: RwSignal<DialogTags>,
    /// Closes the picker; `true` gives the focus back to "+ Tag".
    close: Callback<bool>,
    /// A change was made (or refused).
    changed: Callback<Result<DialogTags, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let all = LocalResource::new(list_tags);
    let typed = RwSignal::new(String::new());
    let target = RwSignal::new(TagTarget::Dialog);
    let active = RwSignal::new(0usize);
    let chosen_color = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let input_ref = NodeRef::<leptos::html::Input>::new();

    let account_tags = move || all.get().and_then(Result::ok).unwrap_or_default();
    let choices = Memo::new(move |_| {
        let tags = account_tags();
        let on: Vec<TagId> = current.with(|c| match target.get() {
            TagTarget::Dialog => c.tags.iter().map(|t| t.id).collect(),
            TagTarget::Client => c.client_tags.iter().map(|t| t.id).collect(),
        });
        let text = typed.get();
        let mut out: Vec<Choice> = tag::suggest(&tags, &text, &on)
            .into_iter()
            .cloned()
            .map(Choice::Existing)
            .collect();
        if tag::may_create(&tags, &text)
            && let Ok(name) = tag::parse_name(&text)
        {
            out.push(Choice::Create(name));
        }
        out
    });
    let creating =
        Memo::new(move |_| choices.with(|c| c.iter().any(|c| matches!(c, Choice::Create(_)))));
    let color = Signal::derive(move || {
        chosen_color
            .get()
            .unwrap_or_else(|| tag::fresh_color(&account_tags()).to_owned())
    });
    // What was typed changed: the first match is the one Enter picks.
    Effect::new(move |_| {
        typed.track();
        active.set(0);
    });
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });

    let pick = move |choice: Choice| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let on = target.get_untracked();
        let new_color = color.get_untracked();
        spawn_local(async move {
            let result = match choice {
                Choice::Existing(tag) => put_tag(dialog_id, on, tag.id).await,
                Choice::Create(name) => put_new_tag(dialog_id, on, name, Some(new_color)).await,
            };
            busy.set(false);
            match result {
                Ok(tags) => {
                    let _ = close.try_run(true);
                    let _ = changed.try_run(Ok(tags));
                }
                // Shown here, so what was typed can be corrected.
                Err(e) => error.set(Some(e.key().to_owned())),
            }
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = choices.with_untracked(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + count - 1) % count);
            }
            "Enter" => {
                ev.prevent_default();
                let choice = choices.with_untracked(|c| c.get(active.get_untracked()).cloned());
                if let Some(choice) = choice {
                    pick(choice);
                }
            }
            _ => {}
        }
    };
    // Escape from anywhere inside (the input, a swatch, the switch).
    let on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            close.run(true);
        }
    };

    let target_button = move |value: TagTarget, label: &'static str| {
        view! {
            <button
                type="button"
                class="dlg-tag-picker__target"
                class:dlg-tag-picker__target--on=move || target.get() == value
                data-target=if value == TagTarget::Client { "client" } else { "dialog" }
                aria-pressed=move || (target.get() == value).to_string()
                on:click=move |_| {
                    target.set(value);
                    if let Some(input) = input_ref.get_untracked() {
                        let _ = input.focus();
                    }
                }
            >
                {(value == TagTarget::Client).then(person_icon)}
                {move || i18n.t(label)}
            </button>
        }
    };

    view! {
        <div class="dlg-tag-picker__backdrop" on:click=move |_| close.run(false)></div>
        <div
            class="dlg-tag-picker"
            role="dialog"
            aria-label=move || i18n.t("tag.picker")
            on:keydown=on_escape
        >
            <input
                class="dlg-input dlg-tag-picker__input"
                node_ref=input_ref
                type="text"
                role="combobox"
                maxlength="100"
                autocomplete="off"
                aria-autocomplete="list"
                aria-expanded="true"
                aria-controls=LIST_ID
                aria-activedescendant=move || {
                    choices
                        .with(|c| !c.is_empty())
                        .then(|| format!("{LIST_ID}-{}", active.get()))
                }
                aria-label=move || i18n.t("tag.search")
                placeholder=move || i18n.t("tag.search")
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
                on:keydown=on_keydown
            />
            <div class="dlg-tag-picker__targets" role="group" aria-label=move || i18n.t("tag.put_on")>
                {target_button(TagTarget::Dialog, "tag.on_dialog")}
                {target_button(TagTarget::Client, "tag.on_client")}
            </div>
            <ul class="dlg-tag-picker__list" id=LIST_ID role="listbox" aria-label=move || i18n.t("tag.title")>
                {move || {
                    choices
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(i, choice)| {
                            let is_active = move || active.get() == i;
                            let (label, dot, create) = match &choice {
                                Choice::Existing(tag) => {
                                    (tag.name.clone(), Some(tag.color.clone()), false)
                                }
                                Choice::Create(name) => {
                                    (i18n.t_with("tag.create", &[("name", name)]), None, true)
                                }
                            };
                            let data_tag = match &choice {
                                Choice::Existing(tag) => Some(tag.id.0),
                                Choice::Create(_) => None,
                            };
                            view! {
                                <li
                                    id=format!("{LIST_ID}-{i}")
                                    role="option"
                                    class="dlg-tag-picker__item"
                                    class:dlg-tag-picker__item--active=is_active
                                    class:dlg-tag-picker__item--create=create
                                    data-tag=data_tag
                                    data-create=create.then_some("")
                                    aria-selected=move || is_active().to_string()
                                    on:mousemove=move |_| {
                                        if active.get_untracked() != i {
                                            active.set(i);
                                        }
                                    }
                                    on:click=move |_| pick(choice.clone())
                                >
                                    {match dot {
                                        Some(c) => {
                                            view! {
                                                <span class="dlg-tag-dot" style=format!("background:{c}")></span>
                                            }
                                                .into_any()
                                        }
                                        None => {
                                            view! {
                                                <span
                                                    class="dlg-tag-dot"
                                                    style=move || format!("background:{}", color.get())
                                                ></span>
                                            }
                                                .into_any()
                                        }
                                    }}
                                    <span class="dlg-tag-picker__name">{label}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <Show when=move || choices.with(Vec::is_empty) && all.get().is_some()>
                <p class="dlg-tag-picker__none">{move || i18n.t("tag.none")}</p>
            </Show>
            <Show when=move || creating.get()>
                <TagSwatches
                    selected=color
                    on_pick=Callback::new(move |c: String| {
                        chosen_color.set(Some(c));
                        if let Some(input) = input_ref.get_untracked() {
                            let _ = input.focus();
                        }
                    })
                    label=Signal::derive(move || i18n.t("tag.color"))
                />
            </Show>
            {move || {
                error.get().map(|key| view! { <p class="dlg-tag-picker__error" role="alert">{i18n.t(&key)}</p> })
            }}
        </div>
    }
}
