//! `/dashboard/audit`: the merchant's audit log, newest first, a hundred lines a page; and its
//! export as CSV (`/dashboard/audit.csv`, for the roles that may export).

use super::error::Page;
use super::layout::locale_of;
use super::layout::{framed, Section};
use super::messages::{t, M};
use super::session::Signed;
use crate::csv::{csv_field, csv_response};
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
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
        div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table.audit {
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
                        td {
                            code { (l.action) }
                            @if let Some(on) = l.subject.as_deref().filter(|o| !o.is_empty()) { " " code { (on) } }
                            @if !l.detail.is_empty() { " " (l.detail) }
                        }
                        td { (l.source.as_deref().unwrap_or("")) }
                    }
                }
            }
        } }
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
    Ok(csv_response("kumbu-audit.csv", csv))
}
