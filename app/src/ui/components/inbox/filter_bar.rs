//! The filter bar of the list (C5): smart filters one click away (Mine, Unassigned, Unread,
//! Waiting for our reply) and a panel with every other filter. Every change is a new URL,
//! so filters survive a reload, go into links and come back with Back.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::dialogs::filter_options;
use crate::domain::filter::{AssigneeFilter, DialogFilter, FilterOptions};
use crate::domain::{DialogStatus, LineId, Section, TagId, UserId};
use crate::i18n::use_i18n;
use crate::ui::pages::inbox::use_inbox;

/// The threshold the Waiting chip sets, in minutes, when none is chosen.
const DEFAULT_WAITING: u32 = 15;

/// Adds `item` to a sorted list or removes it.
fn toggle<T: Ord + Copy>(list: &[T], item: T) -> Vec<T> {
    let mut out: Vec<T> = list.iter().copied().filter(|x| *x != item).collect();
    if out.len() == list.len() {
        out.push(item);
        out.sort();
    }
    out
}

#[component]
pub fn FilterBar() -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let navigate = StoredValue::new(use_navigate());
    let go = move |f: DialogFilter| {
        let href = inbox.href(&f.canonical());
        navigate.with_value(|n| n(&href, Default::default()));
    };
    let panel = RwSignal::new(false);
    // Asked again each time the panel opens: a tag created in a dialog is offered at once.
    let options = LocalResource::new(move || {
        panel.track();
        filter_options()
    });

    // A chip is a link to the same list with one filter switched.
    let chip = move |key: &'static str,
                     name: &'static str,
                     on: fn(&DialogFilter) -> bool,
                     switch: fn(DialogFilter) -> DialogFilter| {
        let active = move || inbox.filter.with(on);
        view! {
            <a
                class=move || if active() { "dlg-fchip dlg-fchip--on" } else { "dlg-fchip" }
                href=move || inbox.href_tracked(&switch(inbox.filter.get()).canonical())
                aria-pressed=move || if active() { "true" } else { "false" }
                data-filter=name
            >
                {move || i18n.t(key)}
            </a>
        }
    };
    // How many filters beyond the chips are on, shown on the panel's button.
    let extra = move || {
        inbox.filter.with(|f| {
            [
                !f.statuses.is_empty(),
                !f.lines.is_empty(),
                !f.channels.is_empty(),
                matches!(f.assignee, Some(AssigneeFilter::User(_))),
                !f.tags.is_empty(),
                f.pinned,
                f.from.is_some() || f.to.is_some(),
            ]
            .into_iter()
            .filter(|on| *on)
            .count()
        })
    };

    view! {
        <div class="dlg-filters" role="toolbar" aria-label=move || i18n.t("filter.label")>
            {chip(
                "filter.mine",
                "mine",
                |f| f.assignee == Some(AssigneeFilter::Me),
                |f| DialogFilter {
                    assignee: (f.assignee != Some(AssigneeFilter::Me)).then_some(AssigneeFilter::Me),
                    ..f
                },
            )}
            {chip(
                "filter.unassigned",
                "unassigned",
                |f| f.assignee == Some(AssigneeFilter::Unassigned),
                |f| DialogFilter {
                    assignee: (f.assignee != Some(AssigneeFilter::Unassigned))
                        .then_some(AssigneeFilter::Unassigned),
                    ..f
                },
            )}
            {chip(
                "filter.unread",
                "unread",
                |f| f.unread,
                |f| DialogFilter { unread: !f.unread, ..f },
            )}
            <a
                class=move || {
                    if inbox.filter.with(|f| f.waiting.is_some()) {
                        "dlg-fchip dlg-fchip--on"
                    } else {
                        "dlg-fchip"
                    }
                }
                href=move || {
                    let f = inbox.filter.get();
                    let waiting = if f.waiting.is_some() { None } else { Some(DEFAULT_WAITING) };
                    inbox.href_tracked(&DialogFilter { waiting, ..f })
                }
                aria-pressed=move || if inbox.filter.with(|f| f.waiting.is_some()) { "true" } else { "false" }
                data-filter="waiting"
            >
                {move || {
                    let minutes = inbox.filter.with(|f| f.waiting).unwrap_or(DEFAULT_WAITING);
                    i18n.t_with("filter.waiting", &[("n", &minutes.to_string())])
                }}
            </a>
            <button
                type="button"
                class=move || if panel.get() { "dlg-fchip dlg-fchip--menu dlg-fchip--on" } else { "dlg-fchip dlg-fchip--menu" }
                aria-expanded=move || if panel.get() { "true" } else { "false" }
                aria-controls="dlg-filter-panel"
                on:click=move |_| panel.update(|p| *p = !*p)
                data-filter="more"
            >
                {move || i18n.t("filter.more")}
                {move || {
                    let n = extra();
                    (n > 0).then(|| view! { <span class="dlg-fchip__count">{n}</span> })
                }}
            </button>
            <Show when=move || inbox.filter.with(DialogFilter::narrows)>
                <a
                    class="dlg-fchip dlg-fchip--reset"
                    href=move || {
                        let f = inbox.filter.get();
                        inbox.href_tracked(&DialogFilter {
                            section: f.section,
                            closed: f.closed,
                            ..DialogFilter::default()
                        })
                    }
                    data-filter="reset"
                >
                    {move || i18n.t("filter.reset")}
                </a>
            </Show>
        </div>
        <Show when=move || inbox.filter_error.get().is_some()>
            <p class="dlg-filters__error" role="alert">
                {move || {
                    inbox
                        .filter_error
                        .get()
                        .map(|e| i18n.t_with(e.message, &[("key", &e.key)]))
                }}
                " "
                <a href="/dialogs">{move || i18n.t("filter.reset")}</a>
            </p>
        </Show>
        <Show when=move || panel.get()>
            <div class="dlg-filter-panel" id="dlg-filter-panel">
                <Transition fallback=move || {
                    view! { <p class="dlg-filter-panel__loading">{move || i18n.t("inbox.loading")}</p> }
                }>
                    {move || Suspend::new(async move {
                        let options = options.await.unwrap_or_default();
                        view! { <FilterPanel options go /> }
                    })}
                </Transition>
            </div>
        </Show>
    }
}

/// Every filter, grouped; each change applies at once.
#[component]
fn FilterPanel(
    options: FilterOptions,
    go: impl Fn(DialogFilter) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let inbox = use_inbox();
    let f = move || inbox.filter.get();

    let statuses = move || {
        let section = inbox.section.get();
        section.statuses(section == Section::All)
    };
    let status_box = move |status: DialogStatus| {
        let key = format!("status.{}", status.as_str());
        view! {
            <label class="dlg-check">
                <input
                    type="checkbox"
                    data-status=status.as_str()
                    prop:checked=move || inbox.filter.with(|f| f.statuses.contains(&status))
                    on:change=move |_| {
                        let f = f();
                        go(DialogFilter { statuses: toggle(&f.statuses, status), ..f })
                    }
                />
                <span>{move || i18n.t(&key)}</span>
            </label>
        }
    };
    let line_box = move |(id, name): (LineId, String)| {
        view! {
            <label class="dlg-check">
                <input
                    type="checkbox"
                    data-line=id.0
                    prop:checked=move || inbox.filter.with(|f| f.lines.contains(&id))
                    on:change=move |_| {
                        let f = f();
                        go(DialogFilter { lines: toggle(&f.lines, id), ..f })
                    }
                />
                <span>{name}</span>
            </label>
        }
    };
    let channel_box = move |kind: crate::domain::ChannelKind| {
        view! {
            <label class="dlg-check">
                <input
                    type="checkbox"
                    data-channel=kind.as_str()
                    prop:checked=move || inbox.filter.with(|f| f.channels.contains(&kind))
                    on:change=move |_| {
                        let f = f();
                        go(DialogFilter { channels: toggle(&f.channels, kind), ..f })
                    }
                />
                <span
                    class=format!("dlg-channel-icon dlg-channel-icon--{}", kind.as_str())
                    aria-hidden="true"
                ></span>
                <span>{kind.label()}</span>
            </label>
        }
    };
    let tag_box = move |tag: crate::domain::tag::Tag| {
        let id: TagId = tag.id;
        view! {
            <label class="dlg-check">
                <input
                    type="checkbox"
                    data-tag=id.0
                    prop:checked=move || inbox.filter.with(|f| f.tags.contains(&id))
                    on:change=move |_| {
                        let f = f();
                        go(DialogFilter { tags: toggle(&f.tags, id), ..f })
                    }
                />
                <span class="dlg-tag-dot" style=format!("background:{}", tag.color)></span>
                <span>{tag.name}</span>
            </label>
        }
    };
    let assignee_value = move || match inbox.filter.with(|f| f.assignee) {
        None => String::new(),
        Some(AssigneeFilter::Me) => "me".into(),
        Some(AssigneeFilter::Unassigned) => "none".into(),
        Some(AssigneeFilter::User(id)) => id.0.to_string(),
    };
    let on_assignee = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        let assignee = match value.as_str() {
            "me" => Some(AssigneeFilter::Me),
            "none" => Some(AssigneeFilter::Unassigned),
            other => other
                .parse::<i64>()
                .ok()
                .map(|id| AssigneeFilter::User(UserId(id))),
        };
        go(DialogFilter { assignee, ..f() })
    };
    let on_date = move |from: bool| {
        move |ev: leptos::ev::Event| {
            let day = chrono::NaiveDate::parse_from_str(&event_target_value(&ev), "%Y-%m-%d").ok();
            let mut next = f();
            if from {
                next.from = day;
            } else {
                next.to = day;
            }
            // A period that ends before it starts is taken as the one day chosen last.
            if let (Some(a), Some(b)) = (next.from, next.to)
                && a > b
            {
                next.from = day;
                next.to = day;
            }
            go(next)
        }
    };
    let on_waiting = move |ev: leptos::ev::Event| {
        let minutes = event_target_value(&ev)
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=crate::domain::filter::MAX_WAITING_MINUTES).contains(m));
        go(DialogFilter {
            waiting: minutes,
            ..f()
        })
    };
    let day = |d: Option<chrono::NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let FilterOptions {
        lines,
        channels,
        users,
        tags,
    } = options;
    let has_lines = lines.len() > 1;
    let has_channels = channels.len() > 1;
    let has_tags = !tags.is_empty();

    view! {
        <fieldset class="dlg-filter-panel__group">
            <legend>{move || i18n.t("filter.status")}</legend>
            {move || statuses().into_iter().map(status_box).collect_view()}
            <Show when=move || inbox.section.get() == Section::All>
                <label class="dlg-check">
                    <input
                        type="checkbox"
                        data-filter="closed"
                        prop:checked=move || inbox.include_closed.get()
                        on:change=move |_| {
                            let f = f();
                            go(DialogFilter { closed: !f.closed, statuses: Vec::new(), ..f })
                        }
                    />
                    <span>{move || i18n.t("inbox.include_closed")}</span>
                </label>
            </Show>
        </fieldset>
        <Show when=move || has_lines>
            <fieldset class="dlg-filter-panel__group">
                <legend>{move || i18n.t("filter.line")}</legend>
                {lines.clone().into_iter().map(line_box).collect_view()}
            </fieldset>
        </Show>
        <Show when=move || has_channels>
            <fieldset class="dlg-filter-panel__group">
                <legend>{move || i18n.t("filter.channel")}</legend>
                {channels.clone().into_iter().map(channel_box).collect_view()}
            </fieldset>
        </Show>
        <fieldset class="dlg-filter-panel__group">
            <legend>{move || i18n.t("filter.assignee")}</legend>
            <select class="dlg-input" data-filter="assignee" prop:value=assignee_value on:change=on_assignee>
                <option value="">{move || i18n.t("filter.anyone")}</option>
                <option value="me">{move || i18n.t("filter.mine")}</option>
                <option value="none">{move || i18n.t("filter.unassigned")}</option>
                {users
                    .into_iter()
                    .map(|(id, name)| view! { <option value=id.0.to_string()>{name}</option> })
                    .collect_view()}
            </select>
        </fieldset>
        <Show when=move || has_tags>
            <fieldset class="dlg-filter-panel__group">
                <legend>{move || i18n.t("filter.tag")}</legend>
                {tags.clone().into_iter().map(tag_box).collect_view()}
            </fieldset>
        </Show>
        <fieldset class="dlg-filter-panel__group dlg-filter-panel__group--row">
            <legend>{move || i18n.t("filter.period")}</legend>
            <label class="dlg-filter-panel__field">
                <span>{move || i18n.t("filter.from")}</span>
                <input
                    type="date"
                    class="dlg-input"
                    data-filter="from"
                    min="2000-01-01"
                    max="2100-12-31"
                    prop:value=move || day(inbox.filter.with(|f| f.from))
                    on:change=on_date(true)
                />
            </label>
            <label class="dlg-filter-panel__field">
                <span>{move || i18n.t("filter.to")}</span>
                <input
                    type="date"
                    class="dlg-input"
                    data-filter="to"
                    min="2000-01-01"
                    max="2100-12-31"
                    prop:value=move || day(inbox.filter.with(|f| f.to))
                    on:change=on_date(false)
                />
            </label>
        </fieldset>
        <fieldset class="dlg-filter-panel__group dlg-filter-panel__group--row">
            <legend>{move || i18n.t("filter.other")}</legend>
            <label class="dlg-check">
                <input
                    type="checkbox"
                    data-filter="pinned"
                    prop:checked=move || inbox.filter.with(|f| f.pinned)
                    on:change=move |_| {
                        let f = f();
                        go(DialogFilter { pinned: !f.pinned, ..f })
                    }
                />
                <span>{move || i18n.t("filter.pinned")}</span>
            </label>
            <label class="dlg-filter-panel__field">
                <span>{move || i18n.t("filter.waiting_minutes")}</span>
                <input
                    type="number"
                    class="dlg-input dlg-input--narrow"
                    data-filter="waiting-minutes"
                    min="1"
                    max=crate::domain::filter::MAX_WAITING_MINUTES
                    prop:value=move || inbox.filter.with(|f| f.waiting.map(|w| w.to_string()).unwrap_or_default())
                    on:change=on_waiting
                />
            </label>
        </fieldset>
    }
}
