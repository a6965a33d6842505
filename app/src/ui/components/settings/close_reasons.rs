//! The close reason catalogue (D11) for owners and admins: add, rename, reorder, archive
//! or restore, delete (a reason dialogs were closed with is archived instead).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::close_reasons::{CatalogueChange, change_close_reasons, list_close_reasons};
use crate::domain::CloseReasonId;
use crate::domain::close_reason::CloseReason;
use crate::i18n::use_i18n;

#[component]
pub fn CloseReasonsSection() -> impl IntoView {
    let i18n = use_i18n();
    let reasons = RwSignal::new(Vec::<CloseReason>::new());
    let failed = RwSignal::new(None::<String>);
    // Loaded in the browser; the list is then kept from each change's answer.
    let loaded = LocalResource::new(list_close_reasons);
    Effect::new(move |_| {
        if let Some(Ok(list)) = loaded.get() {
            reasons.set(list);
        }
    });
    let name = RwSignal::new(String::new());

    let apply = move |change: CatalogueChange| {
        spawn_local(async move {
            match change_close_reasons(change).await {
                Ok(list) => {
                    reasons.set(list);
                    failed.set(None);
                    name.set(String::new());
                }
                Err(e) => failed.set(Some(e.key().to_owned())),
            }
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        apply(CatalogueChange::Add {
            name: name.get_untracked(),
        });
    };
    // Moves an active reason one place up or down.
    let shift = move |id: CloseReasonId, by: isize| {
        let mut ids: Vec<CloseReasonId> = reasons
            .get_untracked()
            .iter()
            .filter(|r| !r.archived)
            .map(|r| r.id)
            .collect();
        let Some(at) = ids.iter().position(|r| *r == id) else {
            return;
        };
        let to = at as isize + by;
        if to < 0 || to as usize >= ids.len() {
            return;
        }
        ids.swap(at, to as usize);
        apply(CatalogueChange::Reorder { ids });
    };

    view! {
        <section class="dlg-settings__section dlg-reasons">
            <h2>{move || i18n.t("close_reasons.title")}</h2>
            <p class="dlg-settings__hint">{move || i18n.t("close_reasons.hint")}</p>
            <ol class="dlg-settings__list dlg-reasons__list">
                <For
                    each=move || reasons.get()
                    key=|r| (r.id, r.name.clone(), r.archived, r.used)
                    children=move |r| {
                        let id = r.id;
                        let draft = RwSignal::new(r.name.clone());
                        let archived = r.archived;
                        let used = r.used.to_string();
                        view! {
                            <li class="dlg-settings__item dlg-reasons__item" class:dlg-reasons__item--archived=archived>
                                <input
                                    class="dlg-input"
                                    maxlength="100"
                                    aria-label=move || i18n.t("close_reasons.title")
                                    prop:value=move || draft.get()
                                    on:input=move |ev| draft.set(event_target_value(&ev))
                                    on:change=move |_| {
                                        apply(CatalogueChange::Rename {
                                            id,
                                            name: draft.get_untracked(),
                                        })
                                    }
                                />
                                <span class="dlg-reasons__used">
                                    {move || i18n.t_with("close_reasons.used", &[("n", &used)])}
                                </span>
                                <Show when=move || archived>
                                    <span class="dlg-reasons__badge">{move || i18n.t("close_reasons.archived")}</span>
                                </Show>
                                <Show when=move || !archived>
                                    <button
                                        type="button"
                                        class="dlg-button dlg-button--ghost dlg-button--icon"
                                        aria-label=move || i18n.t("close_reasons.up")
                                        title=move || i18n.t("close_reasons.up")
                                        on:click=move |_| shift(id, -1)
                                    >
                                        "↑"
                                    </button>
                                    <button
                                        type="button"
                                        class="dlg-button dlg-button--ghost dlg-button--icon"
                                        aria-label=move || i18n.t("close_reasons.down")
                                        title=move || i18n.t("close_reasons.down")
                                        on:click=move |_| shift(id, 1)
                                    >
                                        "↓"
                                    </button>
                                </Show>
                                <button
                                    type="button"
                                    class="dlg-button dlg-button--ghost"
                                    on:click=move |_| {
                                        apply(if archived {
                                            CatalogueChange::Restore { id }
                                        } else {
                                            CatalogueChange::Archive { id }
                                        })
                                    }
                                >
                                    {move || {
                                        if archived {
                                            i18n.t("close_reasons.restore")
                                        } else {
                                            i18n.t("close_reasons.archive")
                                        }
                                    }}
                                </button>
                                <button
                                    type="button"
                                    class="dlg-button dlg-button--ghost"
                                    on:click=move |_| apply(CatalogueChange::Delete { id })
                                >
                                    {move || i18n.t("close_reasons.delete")}
                                </button>
                            </li>
                        }
                    }
                />
            </ol>
            <Show when=move || reasons.with(|r| r.is_empty())>
                <p class="dlg-settings__hint">{move || i18n.t("close_reasons.empty")}</p>
            </Show>
            <form class="dlg-settings__item" on:submit=add>
                <input
                    class="dlg-input"
                    name="reason_name"
                    maxlength="100"
                    aria-label=move || i18n.t("close_reasons.new")
                    placeholder=move || i18n.t("close_reasons.new")
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit" class="dlg-button dlg-button--primary">
                    {move || i18n.t("close_reasons.add")}
                </button>
            </form>
            {move || failed.get().map(|key| view! { <p class="dlg-settings__error" role="alert">{i18n.t(&key)}</p> })}
        </section>
    }
}
