//! The merchant's live connectors: for each operator Kumbu moves live money through, whether
//! credentials are set and what may be shown of them (environment, products, API users, when;
//! never a secret), a check that asks the operator for a token with them, and for owners:
//! set them (the connector's own JSON, as `kumbu connector set` takes; docs/operators/) and
//! remove them. Live money only: test mode needs none.

use super::super::error::{refused_or, Page};
use super::super::layout::{framed, locale_of, Section};
use super::super::messages::{t, M};
use super::super::session::{session_form, Signed};
use super::settings_tabs;
use crate::pages::format::receipt_time;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Action, ErrorCode, Field, Locale, Mode, Operator, Rejection};
use kumbu_engine::{ConnectorCheck, DashboardSession, EngineError};
use maud::{html, Markup};

async fn page(
    state: &AppState,
    s: &DashboardSession,
    locale: Locale,
    status: StatusCode,
    shown: Option<Markup>,
) -> Result<Response, Page> {
    let set = state
        .engine
        .connectors(&s.actor.auth(Mode::Live), None)
        .await
        .map_err(|e| Page::from_engine(e, locale))?;
    let may = s.actor.person.role.may(Action::ManageSettings);
    let csrf = state.engine.session_form_token(s);
    let operators = state.engine.connector_operators();
    let body = html! {
        (settings_tabs(locale, "/dashboard/settings/connectors"))
        @if let Some(m) = shown { (m) }
        p { (t(locale, M::ConnectorsHelp)) }
        div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
            thead { tr {
                th scope="col" { (t(locale, M::Operator)) }
                th scope="col" { (t(locale, M::Status)) }
                th scope="col" { (t(locale, M::Actions)) }
            } }
            tbody {
                @for op in &operators {
                    @let summary = set.iter().find(|c| c.operator == *op);
                    tr {
                        th scope="row" { (op.code()) }
                        td {
                            @match summary {
                                Some(c) => {
                                    strong { (t(locale, M::ConnectorSet)) } br;
                                    small {
                                        (c.target_environment) " · " (c.products.join(", "))
                                        @if !c.api_users.is_empty() { " · " (c.api_users.join(", ")) }
                                        @if let Some(at) = c.updated_at { br; (receipt_time(at)) }
                                    }
                                }
                                None => (t(locale, M::ConnectorNotSet)),
                            }
                        }
                        td {
                            @if may && summary.is_some() {
                                form.inline method="post" action={ "/dashboard/settings/connectors/" (op.code()) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" name="do" value="check" { (t(locale, M::Check)) }
                                    button type="submit" name="do" value="remove" { (t(locale, M::Remove)) }
                                }
                            }
                        }
                    }
                }
            }
        } }
        @if may {
            section aria-labelledby="set-connector" {
                h2 id="set-connector" { (t(locale, M::SetConnector)) }
                form method="post" action="/dashboard/settings/connectors" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="connector-operator" { (t(locale, M::Operator)) }
                    select id="connector-operator" name="operator" {
                        @for op in &operators { option value=(op.code()) { (op.code()) } }
                    }
                    label for="connector-settings" { (t(locale, M::ConnectorSettings)) }
                    textarea id="connector-settings" name="settings" rows="6" required
                        spellcheck="false" autocomplete="off" aria-describedby="connector-settings-hint" {}
                    p.hint id="connector-settings-hint" { (t(locale, M::ConnectorSettingsHint)) }
                    button.primary type="submit" { (t(locale, M::Save)) }
                }
            }
        }
    };
    Ok(framed(state, s, locale, Section::Settings, status, body))
}

/// `GET /dashboard/settings/connectors`.
pub(in crate::dashboard) async fn connectors(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
) -> Result<Response, Page> {
    page(&state, &s, locale_of(&headers), StatusCode::OK, None).await
}

fn operator_of(code: &str) -> Result<Operator, EngineError> {
    Operator::parse(code).ok_or_else(|| {
        EngineError::field(
            ErrorCode::ParameterInvalid,
            Field::Operator,
            format!("unknown operator `{code}`"),
        )
    })
}

/// `POST /dashboard/settings/connectors`: `operator`, `settings` (JSON). Needs a session signed
/// in with the second factor (these move live money).
pub(in crate::dashboard) async fn set_connector(
    State(state): State<AppState>,
    Signed(s): Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let done = async {
        s.actor.require(Action::ManageSettings)?;
        s.actor.require_money(Mode::Live)?;
        let op = operator_of(form.get("operator").unwrap_or_default())?;
        let settings: serde_json::Value =
            serde_json::from_str(form.get("settings").unwrap_or_default()).map_err(|e| {
                EngineError::Rejected(Rejection::new(
                    ErrorCode::ParameterInvalid,
                    format!("settings are not JSON: {e}"),
                ))
            })?;
        let auth = s
            .actor
            .acting(Mode::Live, "connector.set", op.code(), String::new());
        state.engine.set_connector(&auth, op, settings).await
    }
    .await;
    match refused_or(done, locale)? {
        Ok(_) => Ok(Redirect::to("/dashboard/settings/connectors").into_response()),
        Err((status, notice)) => page(&state, &s, locale, status, Some(notice)).await,
    }
}

/// What a check found, in words.
fn checked(locale: Locale, found: &[ConnectorCheck]) -> Markup {
    html! {
        div role="status" {
            ul {
                @for c in found {
                    li {
                        (c.operator.code()) " · " (c.product) " · "
                        @match &c.problem {
                            None => strong { (t(locale, M::ConnectorWorks)) },
                            Some(p) => span.error { (p) },
                        }
                    }
                }
            }
        }
    }
}

/// `POST /dashboard/settings/connectors/{operator}`: `do` = `check` or `remove`.
pub(in crate::dashboard) async fn change_connector(
    State(state): State<AppState>,
    Signed(s): Signed,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Page> {
    let locale = locale_of(&headers);
    let form = session_form(&state.engine, &s, &headers, &body)?;
    let remove = form.get("do") == Some("remove");
    let done = async {
        s.actor.require(Action::ManageSettings)?;
        let op = operator_of(&code)?;
        if remove {
            s.actor.require_money(Mode::Live)?;
            let auth = s
                .actor
                .acting(Mode::Live, "connector.removed", op.code(), String::new());
            state.engine.remove_connector(&auth, op).await?;
            Ok(None)
        } else {
            let found = state
                .engine
                .check_connectors(Some(&s.actor.person.merchant_id))
                .await?
                .into_iter()
                .filter(|c| c.operator == op)
                .collect::<Vec<_>>();
            Ok(Some(found))
        }
    }
    .await;
    match refused_or(done, locale)? {
        Ok(None) => Ok(Redirect::to("/dashboard/settings/connectors").into_response()),
        Ok(Some(found)) => {
            page(
                &state,
                &s,
                locale,
                StatusCode::OK,
                Some(checked(locale, &found)),
            )
            .await
        }
        Err((status, notice)) => page(&state, &s, locale, status, Some(notice)).await,
    }
}
