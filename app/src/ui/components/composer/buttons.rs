//! Buttons under a message (E10): the composer's toggle and one input per button, within
//! the messenger's limits. The server checks the same rules (`domain::buttons`).

use leptos::prelude::*;

use crate::domain::buttons::ButtonLimits;
use crate::i18n::use_i18n;

/// The buttons being written; `None` while the editor is closed.
#[derive(Clone, Copy)]
pub struct ComposerButtons {
    pub titles: RwSignal<Option<Vec<String>>>,
}

impl ComposerButtons {
    pub fn new() -> ComposerButtons {
        ComposerButtons {
            titles: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        self.titles.set(None);
    }
}

impl Default for ComposerButtons {
    fn default() -> Self {
        ComposerButtons::new()
    }
}

/// The toggle beside the paperclip: opens the editor with one empty button, or closes it
/// and drops the buttons.
#[component]
pub fn ButtonsToggle(buttons: ComposerButtons) -> impl IntoView {
    let i18n = use_i18n();
    let open = move || buttons.titles.with(Option::is_some);
    view! {
        <button
            type="button"
            class="dlg-button dlg-button--ghost dlg-button--icon dlg-composer__buttons-toggle"
            aria-pressed=move || open().to_string()
            aria-label=move || i18n.t("buttons.add")
            title=move || i18n.t("buttons.add")
            on:click=move |_| {
                buttons
                    .titles
                    .update(|t| *t = if t.is_some() { None } else { Some(vec![String::new()]) })
            }
        >
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                <rect x="3" y="5" width="18" height="6" rx="2" fill="none" stroke="currentColor" stroke-width="2" />
                <rect x="3" y="14" width="18" height="6" rx="2" fill="none" stroke="currentColor" stroke-width="2" />
            </svg>
        </button>
    }
}

/// One input per button, "+ Button" up to the messenger's count, and the form fields the
/// message sends (`buttons[i]`).
#[component]
pub fn ButtonsEditor(buttons: ComposerButtons, limits: ButtonLimits) -> impl IntoView {
    let i18n = use_i18n();
    // Rows are rebuilt only when a button is added or removed, not on every keystroke.
    let count = Memo::new(move |_| buttons.titles.with(|t| t.as_ref().map_or(0, Vec::len)));
    let rows = move || {
        (0..count.get())
            .map(|i| {
                let value = move || {
                    buttons
                        .titles
                        .with(|t| t.as_ref().and_then(|t| t.get(i).cloned()))
                        .unwrap_or_default()
                };
                view! {
                    <li class="dlg-composer__button-row">
                        <input
                            class="dlg-input dlg-composer__button-input"
                            name=format!("buttons[{i}]")
                            maxlength=limits.title_chars.to_string()
                            placeholder=move || format!("{} {}", i18n.t("buttons.button"), i + 1)
                            aria-label=move || format!("{} {}", i18n.t("buttons.button"), i + 1)
                            prop:value=value
                            on:input=move |ev| {
                                let typed = event_target_value(&ev);
                                buttons
                                    .titles
                                    .update(|t| {
                                        if let Some(slot) = t.as_mut().and_then(|t| t.get_mut(i)) {
                                            *slot = typed;
                                        }
                                    })
                            }
                        />
                        <button
                            type="button"
                            class="dlg-chip__remove"
                            aria-label=move || i18n.t("buttons.remove")
                            on:click=move |_| {
                                buttons
                                    .titles
                                    .update(|t| {
                                        if let Some(list) = t.as_mut() {
                                            if i < list.len() {
                                                list.remove(i);
                                            }
                                            if list.is_empty() {
                                                *t = None;
                                            }
                                        }
                                    })
                            }
                        >
                            "×"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <Show when=move || { count.get() > 0 }>
            <div class="dlg-composer__buttons">
                <ul class="dlg-composer__button-list" aria-label=move || i18n.t("buttons.title")>
                    {rows}
                </ul>
                <Show when=move || { count.get() < limits.count }>
                    <button
                        type="button"
                        class="dlg-button dlg-button--ghost dlg-composer__button-add"
                        on:click=move |_| {
                            buttons.titles.update(|t| {
                                if let Some(list) = t.as_mut() {
                                    list.push(String::new());
                                }
                            })
                        }
                    >
                        {move || i18n.t("buttons.more")}
                    </button>
                </Show>
                <span class="dlg-composer__button-hint">
                    {move || {
                        i18n.t_with(
                            "buttons.limits",
                            &[
                                ("count", &limits.count.to_string()),
                                ("chars", &limits.title_chars.to_string()),
                            ],
                        )
                    }}
                </span>
            </div>
        </Show>
    }
}
