//! What the dashboard's lists share: a query's parameters, and a table of rows newest first
//! with its headings, its words when empty, and the link to the page of older rows.

use super::messages::{t, M};
use kumbu_core::Locale;
use maud::{html, Markup};

/// The query's `name`, if given and not empty.
pub(super) fn param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// A column's heading; `Num` for amounts and counts (aligned right).
#[derive(Debug, Clone, Copy)]
pub(super) enum Col {
    Text(M),
    Num(M),
}

/// A table of `rows` (each a `tr`, its first cell a row heading) under `cols`; `empty` when
/// there is none; a link to `older` (the next page's address) when there are more.
pub(super) fn listing(
    locale: Locale,
    cols: &[Col],
    rows: &[Markup],
    empty: M,
    older: Option<String>,
) -> Markup {
    html! {
        @if rows.is_empty() {
            p { (t(locale, empty)) }
        } @else {
            div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                thead {
                    tr {
                        @for c in cols {
                            @match c {
                                Col::Text(m) => th scope="col" { (t(locale, *m)) },
                                Col::Num(m) => th.num scope="col" { (t(locale, *m)) },
                            }
                        }
                    }
                }
                tbody { @for r in rows { (r) } }
            } }
            @if let Some(href) = older {
                p { a href=(href) { (t(locale, M::Older)) } }
            }
        }
    }
}

/// The address of the page after `rows` (whose last row's cursor is `cursor`) at `base`
/// (ending in `?` or `&`), when the list said there are more.
pub(super) fn older<T>(
    base: &str,
    rows: &[T],
    has_more: bool,
    cursor: impl Fn(&T) -> String,
) -> Option<String> {
    rows.last()
        .filter(|_| has_more)
        .map(|last| format!("{base}after={}", cursor(last)))
}

/// A list's page from the engine: a cursor that is not this list's (a hand-edited address)
/// shows an empty page; a failure is a page of its own.
pub(super) fn page_or_empty<T>(
    listed: Result<(Vec<T>, bool), kumbu_engine::EngineError>,
    locale: Locale,
) -> Result<(Vec<T>, bool), super::error::Page> {
    match listed {
        Ok(page) => Ok(page),
        Err(kumbu_engine::EngineError::Rejected(_)) => Ok((Vec::new(), false)),
        Err(e) => Err(super::error::Page::from_engine(e, locale)),
    }
}

/// A list's filter on one field: a form to `action` with a `<select>` named `name` (labelled
/// `label`) of `options`, `chosen` selected, "any" first.
pub(super) fn choice_filter(
    locale: Locale,
    action: &str,
    (name, label): (&str, M),
    options: &[&str],
    chosen: Option<&str>,
) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            label for=(name) { (t(locale, label)) }
            select id=(name) name=(name) {
                option value="" { (t(locale, M::Any)) }
                @for st in options {
                    option value=(st) selected[chosen == Some(*st)] { (st) }
                }
            }
            button type="submit" { (t(locale, M::Filter)) }
        }
    }
}
