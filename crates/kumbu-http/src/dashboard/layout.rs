//! The frame every dashboard page shares: the header (the merchant, who is signed in, sign-out),
//! the navigation (only what the person's role may use), the language switch; a bare frame for
//! the pages before sign-in; and the language of a request.

use super::messages::{t, tf, M};
use crate::pages::cookie;
use crate::pages::layout::page_response;
use crate::pages::layout::styled_document;
use crate::AppState;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, Locale, Mode};
use kumbu_engine::DashboardSession;
use maud::{html, Markup};

/// The cookie that keeps the language chosen with the switch.
const LANG_COOKIE: &str = "kumbu_lang";

/// The cookie that keeps which data the pages show: live (the default) or test.
const VIEW_COOKIE: &str = "kumbu_view";

/// Which data the request's pages show: the switch's choice, else live.
pub(crate) fn view_mode(headers: &HeaderMap) -> Mode {
    cookie(headers, VIEW_COOKIE)
        .and_then(Mode::parse)
        .unwrap_or(Mode::Live)
}

/// `GET /dashboard/view/{test|live}?next=/dashboard/…`: shows test or live data from now on
/// (a choice of view, like the language: it changes nothing) and goes back.
pub(super) async fn choose_view(Path(mode): Path<String>, RawQuery(query): RawQuery) -> Response {
    let chosen = Mode::parse(&mode).map(Mode::as_str);
    switched(VIEW_COOKIE, chosen, query.as_deref())
}

/// Goes back where a switch was used (see [`back_to`]), keeping `chosen` in `cookie` (a
/// year, this browser only).
fn switched(cookie: &str, chosen: Option<&str>, query: Option<&str>) -> Response {
    let mut resp = Redirect::to(&back_to(query)).into_response();
    if let Some(value) = chosen {
        let v =
            format!("{cookie}={value}; Path=/dashboard; Max-Age=31536000; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// Where a switch goes back to: `next` if it is a dashboard page, else the home page.
fn back_to(query: Option<&str>) -> String {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .filter(|n| {
            n.starts_with("/dashboard")
                && !n.contains("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic())
        })
        .unwrap_or_else(|| "/dashboard".to_owned())
}

/// The request's language: the switch's choice (a cookie), else the browser's, else English.
pub(crate) fn locale_of(headers: &HeaderMap) -> Locale {
    let chosen = cookie(headers, LANG_COOKIE).and_then(Locale::parse);
    crate::pages::locale_for(chosen, None, headers)
}

/// `GET /dashboard/lang/{code}?next=/dashboard/…`: keeps the language chosen and goes back
/// (only ever to a dashboard page).
pub(super) async fn choose_language(
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let chosen = Locale::parse(&code).map(Locale::as_str);
    switched(LANG_COOKIE, chosen, query.as_deref())
}

/// The language switch, coming back to `here`.
fn language_switch(locale: Locale, here: &str) -> Markup {
    html! {
        nav.languages aria-label=(t(locale, M::Language)) {
            @for l in [Locale::Fr, Locale::Pt, Locale::En] {
                @if l == locale {
                    span lang=(l.as_str()) aria-current="true" { (l.as_str().to_uppercase()) }
                } @else {
                    a lang=(l.as_str()) href={ "/dashboard/lang/" (l.as_str()) "?next=" (here) } { (l.as_str().to_uppercase()) }
                }
            }
        }
    }
}

/// A page before sign-in (or a notice): the product's name, `body`, the language switch.
pub(super) fn bare(locale: Locale, title: &str, here: &str, body: Markup) -> Markup {
    let page = html! {
        body.bare {
            header { p.brand { "Kumbu" } }
            main id="main" {
                h1 { (title) }
                (body)
            }
            footer { (language_switch(locale, here)) }
        }
    };
    styled_document(
        locale,
        title,
        "/dashboard/assets/dashboard.css",
        html! {},
        page,
    )
}

/// A refusal or failure as a page of its own.
pub(super) fn notice(status: StatusCode, locale: Locale, text: &str) -> Response {
    let body =
        html! { p role="alert" { (text) } p { a href="/dashboard" { (t(locale, M::Dashboard)) } } };
    respond(
        status,
        bare(locale, t(locale, M::Dashboard), "/dashboard", body),
    )
}

/// An HTML page with the pages' protections (the dashboard has no inline style: no nonce).
pub(super) fn respond(status: StatusCode, markup: Markup) -> Response {
    page_response(status, markup)
}

/// The second-factor code's field with its hint (and `error`, tying them together for screen
/// readers).
pub(super) fn code_field(locale: Locale, error: Option<&str>) -> Markup {
    code_field_named(locale, "code", error, M::Verify)
}

/// [`code_field`] with the input's `id` and the button's words `button` (a form that asks the
/// code again at the moment it acts).
pub(super) fn code_field_named(locale: Locale, id: &str, error: Option<&str>, button: M) -> Markup {
    let hint = format!("{id}-hint");
    html! {
        @if let Some(e) = error {
            p.error role="alert" id={ (id) "-error" } { (e) }
        }
        label for=(id) { (t(locale, M::Code)) }
        input id=(id) name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
            required autofocus[id == "code"] aria-describedby=(hint)
            aria-invalid=[error.map(|_| "true")];
        p.hint id=(hint) { (t(locale, M::CodeHint)) }
        button.primary type="submit" { (t(locale, button)) }
    }
}

/// A signed-in page in `section`, titled after it.
pub(super) fn framed(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    section: Section,
    status: StatusCode,
    body: Markup,
) -> Response {
    let title = t(locale, section.title());
    respond(
        status,
        frame(state, s, (locale, None), section, title, body),
    )
}

/// [`framed`] for a page of one mode's data: it says which, unmissably, with the switch; titled
/// `title`, or after the section.
pub(super) fn framed_in(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    (section, title): (Section, Option<&str>),
    status: StatusCode,
    body: Markup,
) -> Response {
    let title = title.unwrap_or_else(|| t(locale, section.title()));
    respond(
        status,
        frame(state, s, (locale, Some(mode)), section, title, body),
    )
}

/// The page of an object that is not in the data shown (another mode's, another merchant's,
/// or none): `missing` in words and the way `back` (address, words) to its list; a refusal
/// met on the way (`notice`) is still said above it, with its status, else 404.
pub(super) fn not_here(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Mode),
    section: Section,
    (status, notice): (StatusCode, Option<Markup>),
    (missing, back): (M, (&str, M)),
) -> Response {
    let status = if notice.is_some() {
        status
    } else {
        StatusCode::NOT_FOUND
    };
    let body = html! {
        @if let Some(n) = notice { (n) }
        p { (t(locale, missing)) }
        p { a href=(back.0) { (t(locale, back.1)) } }
    };
    framed_in(state, s, (locale, mode), (section, None), status, body)
}

/// Which data a page shows, and the way to the other.
fn mode_switch(locale: Locale, mode: Mode, here: &str) -> Markup {
    let (other, label) = match mode {
        Mode::Live => ("test", M::ShowTest),
        Mode::Test => ("live", M::ShowLive),
    };
    html! {
        @if mode == Mode::Test {
            p.test-banner role="note" { (t(locale, M::TestBanner)) " " a href={ "/dashboard/view/" (other) "?next=" (here) } { (t(locale, label)) } }
        } @else {
            p.live-banner { (t(locale, M::LiveData)) " · " a href={ "/dashboard/view/" (other) "?next=" (here) } { (t(locale, label)) } }
        }
    }
}

/// Where a signed-in page is, for the navigation's `aria-current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Home,
    Payments,
    Collections,
    People,
    Developers,
    Settings,
    Audit,
    Security,
}

impl Section {
    /// Every section, in the navigation's order.
    const ALL: [Section; 8] = [
        Section::Home,
        Section::Payments,
        Section::Collections,
        Section::People,
        Section::Developers,
        Section::Settings,
        Section::Audit,
        Section::Security,
    ];

    /// The page's title (and its link's text).
    const fn title(self) -> M {
        match self {
            Section::Home => M::Home,
            Section::Payments => M::Payments,
            Section::Collections => M::Collections,
            Section::People => M::People,
            Section::Developers => M::Developers,
            Section::Settings => M::Settings,
            Section::Audit => M::Audit,
            Section::Security => M::Security,
        }
    }

    /// Its address.
    const fn path(self) -> &'static str {
        match self {
            Section::Home => "/dashboard",
            Section::Payments => "/dashboard/payments",
            Section::Collections => "/dashboard/collections",
            Section::People => "/dashboard/people",
            Section::Developers => "/dashboard/developers/keys",
            Section::Settings => "/dashboard/settings/connectors",
            Section::Audit => "/dashboard/audit",
            Section::Security => "/dashboard/security",
        }
    }
}

/// A section's own pages (`pages`: address and name), as a row of tabs under its title,
/// `here` marked as the current one.
pub(super) fn tabs(locale: Locale, pages: &[(&str, M)], here: &str) -> Markup {
    html! {
        nav.tabs aria-label=(t(locale, M::InThisSection)) {
            ul {
                @for (path, name) in pages {
                    li { a href=(path) aria-current=[(*path == here).then_some("page")] { (t(locale, *name)) } }
                }
            }
        }
    }
}

/// A signed-in page: the header, the navigation, `body`.
fn frame(
    state: &AppState,
    s: &DashboardSession,
    (locale, mode): (Locale, Option<Mode>),
    section: Section,
    title: &str,
    body: Markup,
) -> Markup {
    let person = &s.actor.person;
    let role = t(locale, M::role(person.role));
    let here = section.path();
    let links: Vec<Section> = Section::ALL
        .into_iter()
        .filter(|sec| *sec != Section::People || person.role.may(Action::ManagePeople))
        .collect();
    let csrf = state.engine.session_form_token(s);
    let page = html! {
        body {
            a.skip href="#main" { (t(locale, M::Dashboard)) }
            header {
                p.brand { "Kumbu" }
                p.who { (tf(locale, M::SignedInAs, &[("email", &person.email), ("role", role)])) }
                form method="post" action="/dashboard/logout" {
                    input type="hidden" name="csrf" value=(csrf);
                    button.link type="submit" { (t(locale, M::SignOut)) }
                }
                nav aria-label=(t(locale, M::Dashboard)) {
                    ul {
                        @for sec in &links {
                            li {
                                a href=(sec.path()) aria-current=[(*sec == section).then_some("page")] {
                                    (t(locale, sec.title()))
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(m) = mode { (mode_switch(locale, m, here)) }
            main id="main" {
                h1 { (title) }
                (body)
            }
            footer { (language_switch(locale, here)) }
        }
    };
    styled_document(
        locale,
        &format!("{title} · Kumbu"),
        "/dashboard/assets/dashboard.css",
        html! {},
        page,
    )
}
