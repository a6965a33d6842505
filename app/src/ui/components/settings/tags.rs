//! The account's tags (F1) for owners and admins: add, rename, recolour from the palette,
//! delete after a confirmation (dialogs and clients carrying a tag lose it).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::tags::{create_tag, delete_tag, list_tags, update_tag};
use crate::domain::TagId;
use crate::domain::tag::{self, Tag};
use crate::i18n::use_i18n;
use crate::ui::components::chat::TagSwatches;

/// Keeps the list in the order the server gives it: by name.
fn sorted(mut tags: Vec<Tag>) -> Vec<Tag> {
    tags.sort_by(|a, b| (&a.name, a.id.0).cmp(&(&b.name, b.id.0)));
    tags
}

#[component]
pub fn TagsSection() -> impl IntoView {
    let i18n = use_i18n();
    let tags = RwSignal::new(Vec::<Tag>::new());
    // (message key, failed)
    let outcome = RwSignal::new(None::<(String, bool)>);
    let confirming = RwSignal::new(None::<TagId>);
    // Loaded in the browser; then kept from each change's answer.
    let loaded = LocalResource::new(list_tags);
    Effect::new(move |_| {
        if let Some(Ok(list)) = loaded.get() {
            tags.set(list);
        }
    });

    let name = RwSignal::new(String::new());
    let new_color = RwSignal::new(None::<String>);
    let color = Signal::derive(move || {
        new_color
            .get()
            .unwrap_or_else(|| tags.with(|t| tag::fresh_color(t).to_owned()))
    });
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (typed, picked) = (name.get_untracked(), color.get_untracked());
        spawn_local(async move {
            match create_tag(typed, Some(picked)).await {
                Ok(made) => {
                    let known = tags.with_untracked(|t| t.iter().any(|x| x.id == made.id));
                    if known {
                        outcome.set(Some(("tag.exists".into(), true)));
                    } else {
                        tags.update(|t| {
                            t.push(made);
                            *t = sorted(std::mem::take(t));
                        });
                        name.set(String::new());
                        new_color.set(None);
                        outcome.set(Some(("settings.saved".into(), false)));
                    }
                }
                Err(e) => outcome.set(Some((e.key().to_owned(), true))),
            }
        });
    };
    let save = move |id: TagId, new_name: String, new_color: String| {
        spawn_local(async move {
            match update_tag(id, new_name, new_color).await {
                Ok(changed) => {
                    tags.update(|t| {
                        if let Some(slot) = t.iter_mut().find(|x| x.id == changed.id) {
                            *slot = changed;
                        }
                        *t = sorted(std::mem::take(t));
                    });
                    outcome.set(Some(("settings.saved".into(), false)));
                }
                Err(e) => outcome.set(Some((e.key().to_owned(), true))),
            }
        });
    };
    let remove = move |id: TagId| {
        spawn_local(async move {
            match delete_tag(id).await {
                Ok(()) => {
                    confirming.set(None);
                    tags.update(|t| t.retain(|x| x.id != id));
                    outcome.set(Some(("tag.deleted".into(), false)));
                }
                Err(e) => outcome.set(Some((e.key().to_owned(), true))),
            }
        });
    };

    view! {
        <section class="dlg-settings__section dlg-tagset">
            <h2>{move || i18n.t("tag.settings.title")}</h2>
            <p class="dlg-settings__hint">{move || i18n.t("tag.settings.hint")}</p>
            <ul class="dlg-settings__list dlg-tagset__list">
                <For
                    each=move || tags.get()
                    key=|t| (t.id, t.name.clone(), t.color.clone())
                    children=move |t| {
                        let id = t.id;
                        let draft = RwSignal::new(t.name.clone());
                        let current_color = t.color.clone();
                        let shown_name = t.name.clone();
                        let asking = move || confirming.get() == Some(id);
                        view! {
                            <li class="dlg-settings__item dlg-tagset__item" data-tag=id.0>
                                <span class="dlg-tag-dot dlg-tagset__dot" style=format!("background:{}", t.color)></span>
                                <input
                                    class="dlg-input"
                                    maxlength="100"
                                    aria-label=move || i18n.t("tag.settings.name")
                                    prop:value=move || draft.get()
                                    on:input=move |ev| draft.set(event_target_value(&ev))
                                    on:change={
                                        let c = current_color.clone();
                                        move |_| save(id, draft.get_untracked(), c.clone())
                                    }
                                />
                                <TagSwatches
                                    selected=Signal::derive({
                                        let c = current_color.clone();
                                        move || c.clone()
                                    })
                                    on_pick=Callback::new(move |c: String| save(id, draft.get_untracked(), c))
                                    label=Signal::derive(move || i18n.t("tag.color"))
                                />
                                <Show
                                    when=asking
                                    fallback=move || {
                                        view! {
                                            <button
                                                type="button"
                                                class="dlg-button dlg-button--ghost"
                                                data-action="delete"
                                                on:click=move |_| confirming.set(Some(id))
                                            >
                                                {move || i18n.t("tag.settings.delete")}
                                            </button>
                                        }
                                    }
                                >
                                    <span class="dlg-tagset__confirm" role="alert">
                                        {
                                            let n = shown_name.clone();
                                            move || i18n.t_with("tag.settings.confirm", &[("name", &n)])
                                        }
                                    </span>
                                    <button
                                        type="button"
                                        class="dlg-button dlg-button--danger"
                                        data-action="confirm-delete"
                                        on:click=move |_| remove(id)
                                    >
                                        {move || i18n.t("tag.settings.delete")}
                                    </button>
                                    <button
                                        type="button"
                                        class="dlg-button dlg-button--ghost"
                                        on:click=move |_| confirming.set(None)
                                    >
                                        {move || i18n.t("tag.settings.cancel")}
                                    </button>
                                </Show>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || tags.with(Vec::is_empty) && loaded.get().is_some()>
                <p class="dlg-settings__hint">{move || i18n.t("tag.settings.empty")}</p>
            </Show>
            <form class="dlg-settings__item dlg-tagset__new" on:submit=add>
                <span class="dlg-tag-dot dlg-tagset__dot" style=move || format!("background:{}", color.get())></span>
                <input
                    class="dlg-input"
                    name="tag_name"
                    maxlength="100"
                    aria-label=move || i18n.t("tag.settings.new")
                    placeholder=move || i18n.t("tag.settings.new")
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <TagSwatches
                    selected=color
                    on_pick=Callback::new(move |c: String| new_color.set(Some(c)))
                    label=Signal::derive(move || i18n.t("tag.color"))
                />
                <button type="submit" class="dlg-button dlg-button--primary">
                    {move || i18n.t("tag.settings.add")}
                </button>
            </form>
            // Its own classes: the page's outcome line is looked for by tests as the one.
            <p class="dlg-tagset__outcome" role="status">
                {move || {
                    outcome
                        .get()
                        .map(|(key, failed)| {
                            view! { <span class:dlg-tagset__error=failed>{i18n.t(&key)}</span> }
                        })
                }}
            </p>
        </section>
    }
}
