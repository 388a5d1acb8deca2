//! The checkout page's HTML, one function per view, all in one layout. Escaping is maud's:
//! everything interpolated is escaped, so merchant text (names, descriptions, items) cannot
//! inject markup.

use crate::pages::format::{amount, masked_phone, receipt_time, time_left};
use crate::pages::layout::document;
use crate::pages::messages::{t, tf, Msg};
use kumbu_core::{Attempt, CheckoutStatus, FailureCode, Locale, Mode, Operator};
use kumbu_engine::CheckoutPage;
use maud::{html, Markup, PreEscaped};

/// Where the page is in the customer's journey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Choose an operator and a number (after a failed attempt, with why it failed).
    Form { failed: Option<FailureCode> },
    /// A prompt is on the customer's phone.
    Waiting(Box<Attempt>),
    /// Paid: the receipt.
    Paid,
    /// Nobody paid in time.
    Expired,
    /// The customer cancelled.
    Cancelled,
}

/// The page's heading: what the customer is doing, or did.
fn heading(view: &View) -> Msg {
    match view {
        View::Form { .. } | View::Waiting(_) => Msg::PayTo,
        View::Paid => Msg::PaidTo,
        View::Expired | View::Cancelled => Msg::PaymentTo,
    }
}

impl View {
    /// The view for the session as it is now.
    pub fn of(page: &CheckoutPage) -> Self {
        let s = &page.session;
        match s.status {
            CheckoutStatus::Completed => View::Paid,
            CheckoutStatus::Cancelled => View::Cancelled,
            CheckoutStatus::Expired => View::Expired,
            // An attempt in flight is shown until the worker ends it, even past the deadline
            // (the worker may lag): the page then shows how it ended.
            CheckoutStatus::Open => match s.attempt_in_flight() {
                Some(a) => View::Waiting(Box::new(a.clone())),
                None if page.now >= s.expires_at => View::Expired,
                None => View::Form {
                    failed: s.attempt.as_ref().and_then(|a| a.failure_code),
                },
            },
        }
    }

    /// A short name for the view and its attempt, which changes whenever the page would show
    /// something else (the script reloads when it does).
    pub fn version(&self, page: &CheckoutPage) -> String {
        let attempt = page
            .session
            .attempt
            .as_ref()
            .map(|a| format!("{}:{}", a.payment_id, a.status.as_str()))
            .unwrap_or_default();
        let name = match self {
            View::Form { .. } => "form",
            View::Waiting(_) => "waiting",
            View::Paid => "paid",
            View::Expired => "expired",
            View::Cancelled => "cancelled",
        };
        format!("{name}/{attempt}")
    }
}

/// An error to show on the form, beside its field when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// `phone`, `operator`, or `None` for the whole form.
    pub field: Option<&'static str>,
    /// In words, in the page's language.
    pub text: String,
}

/// What every view needs besides the session.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The page's language.
    pub locale: Locale,
    /// Whether the customer chose it with the switch (kept across forms).
    pub chosen: bool,
    /// This page's path, `/pay/<token>`.
    pub path: String,
    /// The form's CSRF token.
    pub csrf: String,
    /// Nonce of the one `<style>` element (the brand colour).
    pub nonce: String,
    /// The session and merchant.
    pub page: &'a CheckoutPage,
    /// What the customer typed, to show again after an error.
    pub phone: Option<String>,
    /// The operator to pre-select.
    pub operator: Option<Operator>,
    /// The error to show.
    pub error: Option<FormError>,
}

impl Ctx<'_> {
    fn tr(&self, m: Msg) -> &'static str {
        t(self.locale, m)
    }

    fn trf(&self, m: Msg, args: &[(&str, &str)]) -> String {
        tf(self.locale, m, args)
    }

    fn merchant(&self) -> &str {
        &self.page.branding.name
    }

    fn total(&self) -> String {
        let s = &self.page.session;
        amount(self.locale, s.currency, s.amount)
    }

    /// `path` plus the language when the customer chose it.
    fn href(&self, suffix: &str) -> String {
        if self.chosen {
            format!("{}{suffix}?lang={}", self.path, self.locale.as_str())
        } else {
            format!("{}{suffix}", self.path)
        }
    }

    fn hidden_fields(&self) -> Markup {
        html! {
            input type="hidden" name="csrf" value=(self.csrf);
            @if self.chosen { input type="hidden" name="lang" value=(self.locale.as_str()); }
        }
    }
}

/// `url` with `checkout_session_id=<id>` added to its query (before any fragment).
pub fn with_session_id(url: &str, id: &str) -> String {
    let (base, frag) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    match frag {
        Some(f) => format!("{base}{sep}checkout_session_id={id}#{f}"),
        None => format!("{base}{sep}checkout_session_id={id}"),
    }
}

/// Black or white, whichever reads better on `#rrggbb` (WCAG relative luminance).
fn text_on(color: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&color[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if l > 0.179 {
        "#000"
    } else {
        "#fff"
    }
}

/// Whether `c` is `#rrggbb`.
pub fn is_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn layout(ctx: &Ctx<'_>, view: &View, head_extra: Markup, body: Markup) -> Markup {
    let b = &ctx.page.branding;
    let brand = b.brand_color.as_deref().filter(|c| is_color(c));
    let title = format!("{} · {}", ctx.tr(Msg::Title), ctx.merchant());
    let head = html! {
        @if let Some(c) = brand {
            style nonce=(ctx.nonce) {
                (PreEscaped(format!(":root{{--brand:{c};--on-brand:{}}}", text_on(c))))
            }
        }
        (head_extra)
        script src="/pay/assets/checkout.js" defer {}
    };
    let body = html! {
        body data-view=(view.version(ctx.page)) {
            @if ctx.page.session.mode == Mode::Test {
                p class="sandbox" { (ctx.tr(Msg::Sandbox)) }
            }
            header {
                @if let Some(logo) = b.logo.as_deref() {
                    img class="logo" src=(logo) alt=(ctx.merchant());
                }
                h1 { (ctx.trf(heading(view), &[("merchant", ctx.merchant())])) }
                p class="total" { (ctx.total()) }
                @if let Some(d) = &ctx.page.session.description { p class="description" { (d) } }
                @if !ctx.page.session.items.is_empty() {
                    table class="items" {
                        @for it in &ctx.page.session.items {
                            tr {
                                td { (it.quantity) " × " (it.name) }
                                td class="num" {
                                    (amount(ctx.locale, ctx.page.session.currency, it.total().unwrap_or(0)))
                                }
                            }
                        }
                        tr class="sum" { td { (ctx.tr(Msg::Total)) } td class="num" { (ctx.total()) } }
                    }
                }
            }
            main { (body) }
            footer {
                nav aria-label=(ctx.tr(Msg::Language)) {
                    @for l in Locale::ALL {
                        @if l == ctx.locale {
                            span aria-current="true" { (l.as_str().to_uppercase()) }
                        } @else {
                            a href=(format!("{}?lang={}", ctx.path, l.as_str())) hreflang=(l.as_str()) lang=(l.as_str()) {
                                (l.as_str().to_uppercase())
                            }
                        }
                        " "
                    }
                }
            }
        }
    };
    document(ctx.locale, &title, head, body)
}

fn error_box(ctx: &Ctx<'_>, field: Option<&'static str>) -> Markup {
    html! {
        @if let Some(e) = ctx.error.as_ref().filter(|e| e.field == field) {
            p class="error" id=(format!("err-{}", field.unwrap_or("form"))) role="alert" { (e.text) }
        }
    }
}

fn form(ctx: &Ctx<'_>, failed: Option<FailureCode>) -> Markup {
    let s = &ctx.page.session;
    let catalogue = kumbu_core::Catalogue::default();
    let example = &super::example_phone(&catalogue, &s.operators);
    // What the customer just typed, else the phone the merchant gave; never the number of an
    // earlier attempt, which a forwarded link would otherwise show in full.
    let phone_value = ctx
        .phone
        .clone()
        .or_else(|| s.customer_phone.as_ref().map(ToString::to_string))
        .unwrap_or_default();
    let chosen = ctx
        .operator
        .or_else(|| s.attempt.as_ref().map(|a| a.operator))
        .or_else(|| (s.operators.len() == 1).then(|| s.operators[0]));
    let phone_err = ctx.error.as_ref().is_some_and(|e| e.field == Some("phone"));
    let op_err = ctx
        .error
        .as_ref()
        .is_some_and(|e| e.field == Some("operator"));
    html! {
        div role="status" aria-live="polite" {
            @if let Some(code) = failed {
                div class="failed" {
                    h2 { (ctx.tr(Msg::Failed)) }
                    p { (ctx.tr(Msg::reason(code))) " " (ctx.tr(Msg::TryAgain)) }
                }
            }
        }
        (error_box(ctx, None))
        form method="post" action=(ctx.path) class="pay" data-predict=(format!("{}/predict", ctx.path)) {
            (ctx.hidden_fields())
            fieldset aria-describedby=[op_err.then_some("err-operator")] {
                legend { (ctx.tr(Msg::ChooseOperator)) }
                @for op in &s.operators {
                    label class="operator" {
                        input type="radio" name="operator" value=(op.code()) checked[chosen == Some(*op)];
                        span { (catalogue.get(*op).name) }
                    }
                }
                (error_box(ctx, Some("operator")))
            }
            label for="phone" { (ctx.tr(Msg::Phone)) }
            input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required
                value=(phone_value) placeholder=(example)
                aria-invalid=[phone_err.then_some("true")]
                aria-describedby=(if phone_err { "err-phone phone-hint" } else { "phone-hint" });
            p id="phone-hint" class="hint" { (ctx.trf(Msg::PhoneHint, &[("example", example)])) }
            (error_box(ctx, Some("phone")))
            button type="submit" class="primary" { (ctx.trf(Msg::Pay, &[("amount", &ctx.total())])) }
        }
        (cancel_form(ctx))
    }
}

fn cancel_form(ctx: &Ctx<'_>) -> Markup {
    html! {
        form method="post" action=(format!("{}/cancel", ctx.path)) class="cancel" {
            (ctx.hidden_fields())
            button type="submit" class="link" { (ctx.tr(Msg::CancelPayment)) }
        }
    }
}

fn waiting(ctx: &Ctx<'_>, a: &Attempt) -> Markup {
    let catalogue = kumbu_core::Catalogue::default();
    let info = catalogue.get(a.operator);
    let phone = a
        .payer_phone
        .as_ref()
        .map(|p| masked_phone(p, info.country.map(|c| c.dial_code())))
        .unwrap_or_default();
    let sandbox_person = ctx.page.session.mode == Mode::Test
        && a.payer_phone.as_ref().is_some_and(|p| p.suffix3() == "009");
    if let Some(h) = &a.handover {
        return on_operator_page(ctx, a, h, info.name);
    }
    html! {
        div id="status" role="status" aria-live="polite"
            data-status-url=(format!("{}/status", ctx.path)) data-version=(View::Waiting(Box::new(a.clone())).version(ctx.page)) {
            h2 { (ctx.tr(Msg::Approve)) }
            p {
                (ctx.trf(Msg::ApproveHelp, &[
                    ("amount", &ctx.total()),
                    ("phone", &phone),
                    ("operator", info.name),
                ]))
            }
            p class="countdown" {
                (ctx.tr(Msg::TimeLeft).split("{time}").next().unwrap_or(""))
                span data-deadline=(a.expires_at.unix_seconds()) data-now=(ctx.page.now.unix_seconds()) {
                    (time_left(ctx.page.now, a.expires_at))
                }
                (ctx.tr(Msg::TimeLeft).split("{time}").nth(1).unwrap_or(""))
            }
        }
        (error_box(ctx, None))
        p { a class="button" href=(ctx.href("")) { (ctx.tr(Msg::CheckNow)) } }
        @if sandbox_person {
            form method="post" action=(format!("{}/sandbox", ctx.path)) class="sandbox-phone" {
                (ctx.hidden_fields())
                button type="submit" name="answer" value="confirm" { (ctx.tr(Msg::SandboxApprove)) }
                button type="submit" name="answer" value="decline" { (ctx.tr(Msg::SandboxRefuse)) }
            }
        }
        p class="hint" { (ctx.tr(Msg::CancelOnPhone)) }
    }
}

/// An attempt the payer pays on the operator's own page: the way back to it.
fn on_operator_page(ctx: &Ctx<'_>, a: &Attempt, handover: &str, operator: &str) -> Markup {
    let args = [("operator", operator), ("amount", &ctx.total())];
    let go = if ctx.chosen {
        format!("/pay/go/{handover}?lang={}", ctx.locale.as_str())
    } else {
        format!("/pay/go/{handover}")
    };
    html! {
        div id="status" role="status" aria-live="polite"
            data-status-url=(format!("{}/status", ctx.path)) data-version=(View::Waiting(Box::new(a.clone())).version(ctx.page)) {
            h2 { (ctx.trf(Msg::OnOperatorPage, &args)) }
            p { (ctx.trf(Msg::OnOperatorPageHelp, &args)) }
        }
        (error_box(ctx, None))
        p { a class="button primary" id="go-to-operator" href=(go) { (ctx.trf(Msg::GoToOperator, &args)) } }
    }
}

fn paid(ctx: &Ctx<'_>) -> Markup {
    let s = &ctx.page.session;
    let catalogue = kumbu_core::Catalogue::default();
    let back = with_session_id(&s.return_url, &s.id);
    html! {
        div role="status" aria-live="polite" class="paid" {
            h2 { (ctx.tr(Msg::Paid)) }
        }
        section aria-labelledby="receipt" {
            h3 id="receipt" { (ctx.tr(Msg::Receipt)) }
            dl {
                dt { (ctx.tr(Msg::Merchant)) } dd { (ctx.merchant()) }
                dt { (ctx.tr(Msg::Amount)) } dd { (ctx.total()) }
                @if let Some(p) = &s.payment_id { dt { (ctx.tr(Msg::Reference)) } dd { code { (p) } } }
                @if let Some(a) = &s.attempt {
                    dt { (ctx.tr(Msg::PaidWith)) } dd { (catalogue.get(a.operator).name) }
                    @if let Some(r) = &a.operator_reference { dt { (ctx.tr(Msg::OperatorReference)) } dd { code { (r) } } }
                }
                @if let Some(t) = s.completed_at { dt { (ctx.tr(Msg::Date)) } dd { (receipt_time(t)) } }
            }
        }
        p { a class="button primary" href=(back) { (ctx.trf(Msg::Continue, &[("merchant", ctx.merchant())])) } }
        p class="hint" { (ctx.tr(Msg::RedirectSoon)) }
    }
}

fn closed(ctx: &Ctx<'_>, title: Msg, help: Msg) -> Markup {
    let s = &ctx.page.session;
    html! {
        div role="status" aria-live="polite" {
            h2 { (ctx.tr(title)) }
            p { (ctx.tr(help)) }
        }
        @if let Some(u) = &s.cancel_url {
            p { a class="button" href=(with_session_id(u, &s.id)) { (ctx.trf(Msg::BackToMerchant, &[("merchant", ctx.merchant())])) } }
        }
    }
}

/// The whole page for `view`.
pub fn page(ctx: &Ctx<'_>, view: &View) -> Markup {
    let s = &ctx.page.session;
    let (head, body) = match view {
        View::Form { failed } => (html! {}, form(ctx, *failed)),
        View::Waiting(a) => (
            // Without JavaScript the page refreshes itself; with it, the script polls instead.
            html! { noscript { meta http-equiv="refresh" content="5"; } },
            waiting(ctx, a),
        ),
        View::Paid => (
            html! { meta http-equiv="refresh" content=(format!("10;url={}", with_session_id(&s.return_url, &s.id))); },
            paid(ctx),
        ),
        View::Expired => (html! {}, closed(ctx, Msg::Expired, Msg::ExpiredHelp)),
        View::Cancelled => (html! {}, closed(ctx, Msg::Cancelled, Msg::CancelledHelp)),
    };
    layout(ctx, view, head, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_get_only_the_session_id() {
        assert_eq!(
            with_session_id("https://m.example/ok", "cs_1"),
            "https://m.example/ok?checkout_session_id=cs_1"
        );
        assert_eq!(
            with_session_id("https://m.example/ok?o=9#top", "cs_1"),
            "https://m.example/ok?o=9&checkout_session_id=cs_1#top"
        );
    }

    #[test]
    fn brand_text_is_readable() {
        assert_eq!(text_on("#ffffff"), "#000");
        assert_eq!(text_on("#003366"), "#fff");
        assert!(is_color("#0a7f3c"));
        assert!(!is_color("red"));
        assert!(!is_color("#0a7f3c;}"));
    }
}
