//! Search across the inbox (C4): the box above the list and the results that take the
//! list's place while a query is typed. A found message opens its dialog scrolled to it.

use chrono::Utc;
use leptos::prelude::*;

use crate::api::search::search;
use crate::domain::MessageId;
use crate::domain::search::{MIN_QUERY, Marked, SearchHit};
use crate::i18n::use_i18n;
use crate::ui::components::common::StatusBadge;
use crate::ui::format::list_time;
use crate::ui::pages::inbox::use_inbox;
use crate::ui::prefs::PagePrefs;

/// How long typing must pause before the search runs, in milliseconds.
const DEBOUNCE_MS: u64 = 250;

/// What is typed in the box, and the query searched (after the pause).
#[derive(Clone, Copy)]
pub struct SearchState {
    pub typed: RwSignal<String>,
    pub query: RwSignal<String>,
}

impl SearchState {
    pub fn provide() -> SearchState {
        let state = SearchState {
            typed: RwSignal::new(String::new()),
            query: RwSignal::new(String::new()),
        };
        provide_context(state);
        state
    }

    /// Is a search shown instead of the list?
    pub fn active(&self) -> bool {
        self.query.with(|q| q.trim().chars().count() >= MIN_QUERY)
    }

    pub fn clear(&self) {
        self.typed.set(String::new());
        self.query.set(String::new());
    }
}

/// The search box.
#[component]
pub fn SearchBox() -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<SearchState>();
    // Each keystroke starts a wait; only the last one's wait runs the search.
    let generation = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        state.typed.set(value.clone());
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        if value.trim().is_empty() {
            state.query.set(String::new());
            return;
        }
        set_timeout(
            move || {
                if generation.get_value() == mine {
                    state.query.set(value);
                }
            },
            std::time::Duration::from_millis(DEBOUNCE_MS),
        );
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            state.clear();
        }
    };
    view! {
        <div class="dlg-search" role="search">
            <input
                type="search"
                class="dlg-input dlg-search__input"
                placeholder=move || i18n.t("search.placeholder")
                aria-label=move || i18n.t("search.label")
                maxlength=crate::domain::search::MAX_QUERY
                prop:value=move || state.typed.get()
                on:input=on_input
                on:keydown=on_key
            />
        </div>
    }
}

/// The results, in the list's place.
#[component]
pub fn SearchResults() -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<SearchState>();
    let results = Resource::new(move || state.query.get(), |q| search(q, None));
    view! {
        <div class="dlg-search__results" aria-live="polite">
            <Transition fallback=move || {
                view! { <p class="dlg-list__empty">{move || i18n.t("search.searching")}</p> }
            }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(r) if r.clients.is_empty() && r.messages.is_empty() => {
                            view! { <p class="dlg-list__empty">{move || i18n.t("search.nothing")}</p> }
                                .into_any()
                        }
                        Ok(r) => {
                            let clients = !r.clients.is_empty();
                            let messages = !r.messages.is_empty();
                            let more = r.more;
                            let last = r.messages.last().and_then(|m| m.message_id);
                            view! {
                                <ul class="dlg-list__items">
                                    <Show when=move || clients>
                                        <li class="dlg-ctx-heading" role="presentation">
                                            {move || i18n.t("search.clients")}
                                        </li>
                                    </Show>
                                    {r.clients.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                                    <Show when=move || messages>
                                        <li class="dlg-ctx-heading" role="presentation">
                                            {move || i18n.t("search.messages")}
                                        </li>
                                    </Show>
                                    {r.messages.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                                    <Show when=move || more>
                                        <MoreMessages after=last />
                                    </Show>
                                </ul>
                            }
                                .into_any()
                        }
                        Err(err) => {
                            let key = err.key().to_owned();
                            view! { <p class="dlg-list__empty" role="alert">{move || i18n.t(&key)}</p> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// The pages of found messages after the first, loaded one at a time on request.
#[component]
fn MoreMessages(
    /// The last message of the first page.
    after: Option<MessageId>,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = expect_context::<SearchState>();
    let query = StoredValue::new(state.query.get_untracked());
    let hits = RwSignal::new(Vec::<SearchHit>::new());
    let next = RwSignal::new(after);
    let loading = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let load = move |_| {
        let Some(before) = next.get_untracked() else {
            return;
        };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let query = query.get_value();
        leptos::task::spawn_local(async move {
            match search(query, Some(before)).await {
                Ok(page) => {
                    let last = page.messages.last().and_then(|m| m.message_id);
                    hits.update(|h| h.extend(page.messages));
                    next.set(if page.more { last } else { None });
                    failed.set(None);
                }
                Err(err) => failed.set(Some(err.key().to_owned())),
            }
            loading.set(false);
        });
    };
    view! {
        <For each=move || hits.get() key=|hit| hit.message_id let:hit>
            <Hit hit />
        </For>
        {move || {
            failed.get().map(|key| view! { <li class="dlg-search__more" role="alert">{i18n.t(&key)}</li> })
        }}
        <Show when=move || next.get().is_some()>
            <li class="dlg-search__more">
                <button
                    type="button"
                    class="dlg-button dlg-button--ghost"
                    disabled=move || loading.get()
                    on:click=load
                >
                    {move || i18n.t("search.show_more")}
                </button>
            </li>
        </Show>
    }
}

/// Text with its matches in `<mark>`.
fn marked(m: Marked) -> impl IntoView {
    m.runs()
        .into_iter()
        .map(|(text, hit)| {
            if hit {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

/// One found dialog.
#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let inbox = use_inbox();
    let prefs = expect_context::<PagePrefs>();
    let id = hit.dialog_id;
    let message = hit.message_id;
    let href = move || {
        let filter = inbox.filter.with(|f| f.to_query());
        let mut query: Vec<String> = Vec::new();
        if !filter.is_empty() {
            query.push(filter);
        }
        if let Some(m) = message {
            query.push(format!("at={}", m.0));
        }
        if query.is_empty() {
            format!("/dialogs/{}", id.0)
        } else {
            format!("/dialogs/{}?{}", id.0, query.join("&"))
        }
    };
    let time = list_time(hit.at, Utc::now(), prefs.tz_offset_minutes);
    view! {
        <li class="dlg-ctx-row">
            <a
                class=move || {
                    if inbox.open_id.get() == Some(id) { "dlg-row dlg-hit dlg-row--active" } else { "dlg-row dlg-hit" }
                }
                href=href
                data-dialog-id=id.0
                data-hit-message=message.map(|m| m.0)
            >
                <span class="dlg-row__name">{marked(hit.client_name)}</span>
                <time class="dlg-row__time" datetime=hit.at.to_rfc3339()>{time}</time>
                <span class="dlg-row__channel">
                    <span
                        class=format!("dlg-channel-icon dlg-channel-icon--{}", hit.channel_kind.as_str())
                        title=hit.channel_kind.label()
                    ></span>
                    {format!("#{}", hit.number)}
                </span>
                <StatusBadge status=hit.status />
                <span class="dlg-row__snippet dlg-hit__fragment">{marked(hit.fragment)}</span>
            </a>
        </li>
    }
}
