//! Settings (B1, B4): lines with their settings, channel connections, connecting a Telegram
//! bot. Owners and admins see everything; a line's administrators see their lines.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::settings::{
    channel_dead_letters, connect_telegram, dismiss_dead_letter, get_settings, receive_mail_now,
    replay_dead_letter, save_line, set_channel,
};
use crate::domain::settings::{
    ChannelSettings, ConnectedChannel, ConnectedTelegram, LineSettings, MailStatus,
};
use crate::domain::{ChannelId, LineId};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::ui::components::common::Topbar;
use crate::ui::components::settings::{
    ApiTokensSection, CloseReasonsSection, ConnectChannel, TagsSection,
};

/// What the last change did: a message key, and whether it failed.
type Outcome = RwSignal<Option<(String, bool)>>;

fn report<T>(outcome: Outcome, version: RwSignal<u64>, result: Result<T, AppError>) {
    match result {
        Ok(_) => {
            outcome.set(Some(("settings.saved".into(), false)));
            version.update(|v| *v += 1);
        }
        Err(e) => outcome.set(Some((e.key().to_owned(), true))),
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let version = RwSignal::new(0u64);
    let outcome: Outcome = RwSignal::new(None);
    // Lives above the list, which is rebuilt after every change.
    let connected = RwSignal::new(None::<(ConnectedTelegram, String)>);
    let connected_channel = RwSignal::new(None::<ConnectedChannel>);
    let settings = Resource::new(move || version.get(), |_| get_settings());
    view! {
        <div class="dlg-app">
            <Topbar />
            <main class="dlg-settings">
                <h1>{move || i18n.t("settings.title")}</h1>
                <p class="dlg-settings__outcome" role="status">
                    {move || {
                        outcome
                            .get()
                            .map(|(key, failed)| {
                                view! {
                                    <span class:dlg-settings__error=failed>{i18n.t(&key)}</span>
                                }
                            })
                    }}
                </p>
                <Suspense fallback=move || view! { <p>{move || i18n.t("settings.loading")}</p> }>
                    // Awaited, not read: the server renders the sections once, when the
                    // settings are in (a read would build them again and drop the first).
                    {move || Suspend::new(async move {
                        match settings.await {
                                Ok(view) => {
                                    let lines = view.lines.clone();
                                    let rows = view
                                        .lines
                                        .into_iter()
                                        .map(|line| view! { <LineRow line outcome version /> })
                                        .collect_view();
                                    let channels = view
                                        .channels
                                        .into_iter()
                                        .map(|channel| {
                                            view! {
                                                <ChannelRow
                                                    channel
                                                    lines=lines.clone()
                                                    outcome
                                                    version
                                                />
                                            }
                                        })
                                        .collect_view();
                                    let create = view
                                        .can_create
                                        .then(|| {
                                            view! {
                                                <NewLine outcome version />
                                                <ConnectTelegram
                                                    lines=lines.clone()
                                                    outcome
                                                    version
                                                    connected
                                                />
                                                <ConnectChannel
                                                    lines=lines.clone()
                                                    outcome
                                                    version
                                                    connected=connected_channel
                                                />
                                                <CloseReasonsSection />
                                                <TagsSection />
                                                <ApiTokensSection />
                                            }
                                        });
                                    view! {
                                        <section class="dlg-settings__section">
                                            <h2>{move || i18n.t("settings.lines")}</h2>
                                            <div class="dlg-settings__list">{rows}</div>
                                        </section>
                                        <section class="dlg-settings__section">
                                            <h2>{move || i18n.t("settings.channels")}</h2>
                                            <div class="dlg-settings__list">{channels}</div>
                                        </section>
                                        {create}
                                    }
                                        .into_any()
                                }
                                Err(e) => {
                                    let key = e.key().to_owned();
                                    view! { <p class="dlg-settings__error">{i18n.t(&key)}</p> }
                                        .into_any()
                                }
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

/// One line: its name and the B4 switches, saved together.
#[component]
fn LineRow(line: LineSettings, outcome: Outcome, version: RwSignal<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(line);
    let flag = move |label: &'static str,
                     get: fn(&LineSettings) -> bool,
                     set: fn(&mut LineSettings, bool)| {
        view! {
            <label class="dlg-settings__flag">
                <input
                    type="checkbox"
                    prop:checked=move || get(&draft.read())
                    on:change=move |ev| draft.update(|d| set(d, event_target_checked(&ev)))
                />
                {move || i18n.t(label)}
            </label>
        }
    };
    let save = move |_| {
        let line = draft.get_untracked();
        spawn_local(async move { report(outcome, version, save_line(line).await) });
    };
    view! {
        <div class="dlg-settings__item" data-line=move || draft.read().id.map(|l| l.0)>
            <input
                class="dlg-input"
                aria-label=move || i18n.t("settings.line_name")
                prop:value=move || draft.read().name.clone()
                on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev))
            />
            {flag("settings.leads", |d| d.incoming_are_leads, |d, v| d.incoming_are_leads = v)}
            {flag("settings.close_reason", |d| d.close_requires_reason, |d, v| d.close_requires_reason = v)}
            {flag("settings.unknown_clients", |d| d.unknown_become_clients, |d, v| d.unknown_become_clients = v)}
            {flag("settings.all_view", |d| d.all_users_may_view, |d, v| d.all_users_may_view = v)}
            <button type="button" class="dlg-button" on:click=save>
                {move || i18n.t("settings.save")}
            </button>
        </div>
    }
}

/// An email channel reading an IMAP mailbox: how the last poll went, and "Receive messages
/// now" (B5).
#[component]
fn MailControls(
    id: ChannelId,
    mail: MailStatus,
    outcome: Outcome,
    version: RwSignal<u64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let receive = move |_| {
        spawn_local(async move {
            match receive_mail_now(id).await {
                Ok(()) => {
                    outcome.set(Some(("settings.mail.asked".into(), false)));
                    version.update(|v| *v += 1);
                    // The poll takes a moment: show its outcome when it is likely done.
                    set_timeout(
                        move || version.update(|v| *v += 1),
                        std::time::Duration::from_secs(3),
                    );
                }
                Err(e) => outcome.set(Some((e.key().to_owned(), true))),
            }
        });
    };
    let state = match (&mail.last_error, mail.last_polled_at) {
        (Some(error), _) => view! { <span class="dlg-settings__mail dlg-settings__error">{error.clone()}</span> }.into_any(),
        (None, Some(at)) => {
            let offset = use_context::<crate::ui::prefs::PagePrefs>()
                .map(|p| p.tz_offset_minutes)
                .unwrap_or(0);
            let at = crate::ui::format::list_time(at, chrono::Utc::now(), offset);
            view! {
                <span class="dlg-settings__mail">
                    {move || i18n.t_with("settings.mail.polled", &[("time", &at)])}
                </span>
            }
                .into_any()
        }
        (None, None) => view! { <span class="dlg-settings__mail">{move || i18n.t("settings.mail.never")}</span> }.into_any(),
    };
    view! {
        {state}
        <button type="button" class="dlg-button" disabled=mail.busy on:click=receive>
            {move || i18n.t("settings.mail.receive")}
        </button>
    }
}

/// A new line: a name; the switches start at the product's defaults.
#[component]
fn NewLine(outcome: Outcome, version: RwSignal<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let line = LineSettings {
            name: name.get_untracked(),
            unknown_become_clients: true,
            ..Default::default()
        };
        spawn_local(async move {
            let result = save_line(line).await;
            if result.is_ok() {
                name.set(String::new());
            }
            report(outcome, version, result)
        });
    };
    view! {
        <section class="dlg-settings__section">
            <h2>{move || i18n.t("settings.new_line")}</h2>
            <form class="dlg-settings__item" on:submit=create>
                <input
                    class="dlg-input"
                    name="line_name"
                    aria-label=move || i18n.t("settings.line_name")
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit" class="dlg-button dlg-button--primary">
                    {move || i18n.t("settings.create")}
                </button>
            </form>
        </section>
    }
}

/// Options of a line picker; `none` adds "not connected".
fn line_options(
    lines: &[LineSettings],
    selected: Option<LineId>,
    none: bool,
) -> impl IntoView + use<> {
    let i18n = use_i18n();
    let none = none.then(|| {
        view! {
            <option value="" selected=selected.is_none()>
                {move || i18n.t("settings.no_line")}
            </option>
        }
    });
    let options = lines
        .iter()
        .filter_map(|l| l.id.map(|id| (id, l.name.clone())))
        .map(
            |(id, name)| view! { <option value=id.0 selected=selected == Some(id)>{name}</option> },
        )
        .collect_view();
    view! {
        {none}
        {options}
    }
}

fn parse_line(value: &str) -> Option<LineId> {
    value.parse::<i64>().ok().map(LineId)
}

/// A channel: its line and whether it receives messages.
#[component]
fn ChannelRow(
    channel: ChannelSettings,
    lines: Vec<LineSettings>,
    outcome: Outcome,
    version: RwSignal<u64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id: ChannelId = channel.id;
    let line = RwSignal::new(channel.line_id);
    let enabled = RwSignal::new(channel.enabled);
    let save = move |_| {
        let (line, enabled) = (line.get_untracked(), enabled.get_untracked());
        spawn_local(async move { report(outcome, version, set_channel(id, line, enabled).await) });
    };
    view! {
        <div class="dlg-settings__item" data-channel=id.0>
            <span class=format!("dlg-channel-icon dlg-channel-icon--{}", channel.kind.as_str())></span>
            <span class="dlg-settings__name">
                {channel.kind.label()} " · " {channel.name}
            </span>
            <select
                class="dlg-input"
                aria-label=move || i18n.t("settings.line")
                on:change=move |ev| line.set(parse_line(&event_target_value(&ev)))
            >
                {line_options(&lines, channel.line_id, true)}
            </select>
            <label class="dlg-settings__flag">
                <input
                    type="checkbox"
                    prop:checked=enabled
                    on:change=move |ev| enabled.set(event_target_checked(&ev))
                />
                {move || i18n.t("settings.enabled")}
            </label>
            <button type="button" class="dlg-button" on:click=save>
                {move || i18n.t("settings.save")}
            </button>
            {channel.mail.map(|mail| view! { <MailControls id mail outcome version /> })}
            {(channel.dead_letters > 0)
                .then(|| view! { <DeadLetters id count=channel.dead_letters /> })}
        </div>
    }
}

/// The events a channel kept aside: the count, and on request the newest of them with the
/// reason and the start of the body, each dismissable.
#[component]
fn DeadLetters(id: ChannelId, count: i64) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    // Kept here, so dismissing one does not rebuild the page (and close this list).
    let count = RwSignal::new(count);
    let letters = Resource::new(
        move || open.get().then_some(id),
        |shown| async move {
            match shown {
                Some(id) => channel_dead_letters(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let failed = RwSignal::new(None::<String>);
    let dismiss = move |letter: i64| {
        spawn_local(async move {
            match dismiss_dead_letter(id, letter).await {
                Ok(()) => {
                    count.update(|c| *c = (*c - 1).max(0));
                    letters.refetch();
                }
                Err(e) => failed.set(Some(e.key().to_owned())),
            }
        });
    };
    // "Try again": a job stores the event again; the list shows the outcome a moment later
    // (gone when stored, or the new reason).
    let replaying = RwSignal::new(false);
    let replay = move |letter: i64| {
        spawn_local(async move {
            match replay_dead_letter(id, letter).await {
                Ok(()) => {
                    failed.set(None);
                    replaying.set(true);
                    set_timeout(
                        move || {
                            replaying.set(false);
                            letters.refetch();
                        },
                        std::time::Duration::from_secs(3),
                    );
                }
                Err(e) => failed.set(Some(e.key().to_owned())),
            }
        });
    };
    // The list, when it is all of them, is the count.
    Effect::new(move |_| {
        if let Some(Ok(Some(list))) = letters.get()
            && list.len() < 50
        {
            count.set(list.len() as i64);
        }
    });
    let offset = use_context::<crate::ui::prefs::PagePrefs>()
        .map(|p| p.tz_offset_minutes)
        .unwrap_or(0);
    view! {
        <div class="dlg-dead" data-dead-letters=move || count.get()>
            <span class="dlg-settings__error">
                {move || {
                    i18n.t_with("settings.dead_letters", &[("count", &count.get().to_string())])
                }}
            </span>
            <button
                type="button"
                class="dlg-button dlg-button--ghost"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if open.get() { i18n.t("settings.dead.hide") } else { i18n.t("settings.dead.show") }}
            </button>
            {move || failed.get().map(|key| view! { <span class="dlg-settings__error">{i18n.t(&key)}</span> })}
            {move || replaying.get().then(|| view! { <span class="dlg-settings__hint" role="status">{i18n.t("settings.dead.replaying")}</span> })}
            <Transition>
                {move || {
                    letters
                        .get()
                        .and_then(Result::ok)
                        .flatten()
                        .map(|list| {
                            list.into_iter()
                                .map(|letter| {
                                    let at = crate::ui::format::list_time(letter.created_at, chrono::Utc::now(), offset);
                                    let letter_id = letter.id;
                                    view! {
                                        <div class="dlg-dead__item" data-dead-letter=letter.id>
                                            <div class="dlg-dead__head">
                                                <time datetime=letter.created_at.to_rfc3339()>{at}</time>
                                                <span class="dlg-dead__reason">{letter.error}</span>
                                                <button
                                                    type="button"
                                                    class="dlg-button dlg-button--ghost"
                                                    data-replay=letter_id
                                                    on:click=move |_| replay(letter_id)
                                                >
                                                    {move || i18n.t("settings.dead.replay")}
                                                </button>
                                                <button
                                                    type="button"
                                                    class="dlg-button dlg-button--ghost"
                                                    on:click=move |_| dismiss(letter_id)
                                                >
                                                    {move || i18n.t("settings.dead.dismiss")}
                                                </button>
                                            </div>
                                            <pre class="dlg-dead__body">{letter.excerpt}</pre>
                                        </div>
                                    }
                                })
                                .collect_view()
                        })
                }}
            </Transition>
        </div>
    }
}

/// Connecting a Telegram bot: line, name, token; then how to point the bot's webhook here.
#[component]
fn ConnectTelegram(
    lines: Vec<LineSettings>,
    outcome: Outcome,
    version: RwSignal<u64>,
    /// The bot connected last, with its token, for the setWebhook command.
    connected: RwSignal<Option<(ConnectedTelegram, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let first = lines.iter().find_map(|l| l.id);
    let line = RwSignal::new(first);
    let name = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(line) = line.get_untracked() else {
            outcome.set(Some(("settings.error.no_line".into(), true)));
            return;
        };
        let (bot_name, bot_token) = (name.get_untracked(), token.get_untracked());
        spawn_local(async move {
            let result = connect_telegram(line, bot_name, bot_token.clone()).await;
            if let Ok(done) = &result {
                connected.set(Some((done.clone(), bot_token)));
                token.set(String::new());
            }
            report(outcome, version, result)
        });
    };
    let instructions = move || {
        connected.get().map(|(done, bot_token)| {
            let origin = window().location().origin().unwrap_or_default();
            let command = format!(
                "curl -F url={origin}{} -F secret_token={} https://api.telegram.org/bot{bot_token}/setWebhook",
                done.webhook_path, done.secret
            );
            view! {
                <div class="dlg-settings__connected" role="status">
                    <p>{i18n.t("settings.telegram_connected")}</p>
                    <code class="dlg-settings__code">{command}</code>
                </div>
            }
        })
    };
    view! {
        <section class="dlg-settings__section">
            <h2>{move || i18n.t("settings.connect_telegram")}</h2>
            <form class="dlg-settings__item" on:submit=connect>
                <select
                    class="dlg-input"
                    aria-label=move || i18n.t("settings.line")
                    on:change=move |ev| line.set(parse_line(&event_target_value(&ev)))
                >
                    {line_options(&lines, first, false)}
                </select>
                <input
                    class="dlg-input"
                    name="bot_name"
                    placeholder="@my_shop_bot"
                    aria-label=move || i18n.t("settings.bot_name")
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <input
                    class="dlg-input"
                    name="bot_token"
                    type="password"
                    autocomplete="off"
                    aria-label=move || i18n.t("settings.bot_token")
                    placeholder=move || i18n.t("settings.bot_token")
                    prop:value=token
                    on:input=move |ev| token.set(event_target_value(&ev))
                />
                <button type="submit" class="dlg-button dlg-button--primary">
                    {move || i18n.t("settings.connect")}
                </button>
            </form>
            {instructions}
        </section>
    }
}
