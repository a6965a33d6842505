//! The Important tab (E9): starred messages across every dialog the user sees, or of one
//! dialog (`?dialog=ID`), newest star first; each links to its dialog and can be unstarred.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::messages::{important_messages, star_message};
use crate::domain::DialogId;
use crate::i18n::use_i18n;
use crate::ui::components::common::Topbar;
use crate::ui::format::list_time;
use crate::ui::prefs::PagePrefs;

#[component]
pub fn ImportantPage() -> impl IntoView {
    let i18n = use_i18n();
    let prefs = expect_context::<PagePrefs>();
    let query = use_query_map();
    let dialog = Memo::new(move |_| {
        query
            .read()
            .get("dialog")
            .and_then(|d| d.parse::<i64>().ok())
            .map(DialogId)
    });
    let changed = RwSignal::new(0u32);
    let list = Resource::new(
        move || (dialog.get(), changed.get()),
        |(dialog, _)| important_messages(dialog),
    );
    let tab = move |all: bool| {
        let current = move || dialog.get().is_none() == all;
        let href = move || match (all, dialog.get()) {
            (true, _) => "/important".to_owned(),
            (false, Some(d)) => format!("/important?dialog={d}"),
            (false, None) => "/important".to_owned(),
        };
        view! {
            <a
                class="dlg-tabs__tab"
                class:dlg-tabs__tab--active=current
                aria-current=move || current().then_some("page")
                href=href
            >
                {move || if all { i18n.t("important.all") } else { i18n.t("important.this_dialog") }}
            </a>
        }
    };
    view! {
        <div class="dlg-app">
            <Topbar />
            <main class="dlg-settings dlg-important">
                <h1 class="dlg-important__title">{move || i18n.t("important.title")}</h1>
                <nav class="dlg-tabs" aria-label=move || i18n.t("important.filter")>
                    {tab(true)}
                    <Show when=move || dialog.get().is_some()>{tab(false)}</Show>
                </nav>
                <Suspense fallback=move || view! { <p>{move || i18n.t("inbox.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <p role="alert">{i18n.t(e.key())}</p> }.into_any(),
                            Ok(items) if items.is_empty() => view! {
                                <p class="dlg-important__empty">{i18n.t("important.empty")}</p>
                            }
                                .into_any(),
                            Ok(items) => items
                                .into_iter()
                                .map(|item| {
                                    let m = item.message;
                                    let id = m.id;
                                    let when = list_time(m.created_at, chrono::Utc::now(), prefs.tz_offset_minutes);
                                    let number = item.dialog_number.to_string();
                                    let heading = match &item.dialog_title {
                                        Some(t) => format!("{} · {t}", item.client_name),
                                        None => item.client_name.clone(),
                                    };
                                    let author = m.author_name.clone();
                                    let starred_by = item.starred_by.clone();
                                    let body = match m.html {
                                        Some(html) => view! { <div class="dlg-important__body dlg-msg__body--rich" inner_html=html></div> }.into_any(),
                                        None => view! { <div class="dlg-important__body">{m.body}</div> }.into_any(),
                                    };
                                    view! {
                                        <article class="dlg-important__item" data-message-id=id.0>
                                            <header class="dlg-important__head">
                                                <a class="dlg-important__dialog" href=format!("/dialogs/{}", m.dialog_id)>
                                                    {move || i18n.t_with("chat.dialog_number", &[("n", &number)])}
                                                    " · "
                                                    {heading.clone()}
                                                </a>
                                                <time datetime=m.created_at.to_rfc3339()>{when}</time>
                                            </header>
                                            <p class="dlg-important__author">
                                                {move || author.clone().unwrap_or_else(|| i18n.t("message.client"))}
                                            </p>
                                            {body}
                                            <footer class="dlg-important__foot">
                                                {starred_by.map(|name| view! {
                                                    <span>{move || i18n.t_with("important.starred_by", &[("name", &name)])}</span>
                                                })}
                                                <button
                                                    type="button"
                                                    class="dlg-button dlg-button--ghost"
                                                    on:click=move |_| {
                                                        leptos::task::spawn_local(async move {
                                                            if star_message(id, false).await.is_ok() {
                                                                changed.update(|v| *v += 1);
                                                            }
                                                        });
                                                    }
                                                >
                                                    {move || i18n.t("message.unstar")}
                                                </button>
                                            </footer>
                                        </article>
                                    }
                                })
                                .collect_view()
                                .into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}
