//! `/dashboard/audit`: the merchant's audit log, newest first, a hundred lines a page; and its
//! export as CSV (`/dashboard/audit.csv`, for the roles that may export).

use super::error::Page;
use super::layout::locale_of;
use super::layout::{framed, Section};
use super::messages::{t, M};
use super::session::Signed;
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kumbu_core::Action;
use maud::html;

/// Lines per page.
const PAGE: u32 = 100;

/// Most lines in one export.
const EXPORT_MAX: u32 = 1000;

/// `GET /dashboard/audit[?before=<seq>]`.
pub(super) async fn show(
    State(state): State<AppState>,
    Signed(s): Signed,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let before = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let lines = state
        .engine
        .audit_log(&s.actor.person.merchant_id, before, PAGE)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let older = (lines.len() == PAGE as usize)
        .then(|| lines.last().map(|l| l.seq))
        .flatten();
    let body = html! {
        @if s.actor.person.role.may(Action::Export) {
            p { a href="/dashboard/audit.csv" download { (t(locale, M::ExportCsv)) } }
        }
        table.audit {
            thead {
                tr {
                    th scope="col" { (t(locale, M::When)) }
                    th scope="col" { (t(locale, M::Who)) }
                    th scope="col" { (t(locale, M::What)) }
                    th scope="col" { (t(locale, M::From)) }
                }
            }
            tbody {
                @for l in &lines {
                    tr {
                        td { (receipt_time(l.at)) }
                        td { (l.actor) }
                        td { code { (l.action) } @if !l.detail.is_empty() { " " (l.detail) } }
                        td { (l.source.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        @if let Some(seq) = older {
            p { a href={ "/dashboard/audit?before=" (seq) } { (t(locale, M::Older)) } }
        }
    };
    Ok(framed(
        &state,
        &s,
        locale,
        Section::Audit,
        StatusCode::OK,
        body,
    ))
}

/// A CSV field: quoted when it must be, and a leading `=`, `+`, `-` or `@` defused, so that a
/// spreadsheet never runs what someone typed as a formula.
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// `GET /dashboard/audit.csv`: the last thousand lines.
pub(super) async fn export(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    s.actor
        .require(Action::Export)
        .map_err(|_| Page::NotPermitted(locale, s.actor.person.role))?;
    let lines = state
        .engine
        .audit_log(&s.actor.person.merchant_id, None, EXPORT_MAX)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let mut csv = String::from("at,actor,action,subject,detail,source\r\n");
    for l in &lines {
        let row = [
            l.at.to_rfc3339(),
            l.actor.clone(),
            l.action.clone(),
            l.subject.clone().unwrap_or_default(),
            l.detail.clone(),
            l.source.clone().unwrap_or_default(),
        ];
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        csv,
    )
        .into_response();
    crate::pages::secure(&mut resp, None);
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kumbu-audit.csv\""),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1"), "'-1");
    }
}
