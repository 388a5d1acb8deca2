//! The payments list's filters: what the form sends (and links carry on), the form itself, and
//! the store's filter they make (search: a phone, else a merchant or operator reference).

use super::super::messages::{t, tf, M};
use crate::pages::format::masked_phone;
use crate::AppState;
use kumbu_core::{Currency, Face, Locale, Msisdn, Operator, Payment, PaymentStatus, Timestamp};
use kumbu_engine::PaymentFilter;
use maud::{html, Markup};

/// The list's filters as the form sends them (and the links carry them on).
#[derive(Debug, Default, Clone)]
pub(super) struct Filters {
    status: Option<PaymentStatus>,
    operator: Option<Operator>,
    currency: Option<Currency>,
    face: Option<Face>,
    from: Option<String>,
    to: Option<String>,
    min: Option<String>,
    max: Option<String>,
    pub(super) q: Option<String>,
}

impl Filters {
    pub(super) fn parse(query: Option<&str>) -> (Self, Option<String>) {
        let mut f = Filters::default();
        let mut after = None;
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let v = v.trim().to_owned();
            if v.is_empty() {
                continue;
            }
            match k.as_ref() {
                "status" => f.status = PaymentStatus::parse(&v),
                "operator" => f.operator = Operator::parse(&v),
                "currency" => f.currency = Currency::parse(&v).ok(),
                "face" => f.face = Face::parse(&v),
                "from" => f.from = Some(v),
                "to" => f.to = Some(v),
                "min" => f.min = Some(v),
                "max" => f.max = Some(v),
                "q" => f.q = Some(v),
                "after" => after = Some(v),
                _ => {}
            }
        }
        (f, after)
    }

    /// Whether any filter besides the search narrows the list (the filters are then shown open).
    fn is_narrowed(&self) -> bool {
        self.status.is_some()
            || self.operator.is_some()
            || self.currency.is_some()
            || self.face.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.min.is_some()
            || self.max.is_some()
    }

    /// The query string that keeps these filters.
    pub(super) fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("status", self.status.map(|s| s.as_str().to_owned())),
            ("operator", self.operator.map(|o| o.code().to_owned())),
            ("currency", self.currency.map(|c| c.code().to_owned())),
            ("face", self.face.map(|f| f.as_str().to_owned())),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("min", self.min.clone()),
            ("max", self.max.clone()),
            ("q", self.q.clone()),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }

    /// The store's filter, or what is wrong with the form (in the person's words).
    pub(super) fn to_filter(&self, locale: Locale) -> Result<PaymentFilter, String> {
        let day = |d: &str| -> Result<Timestamp, String> {
            Timestamp::parse_rfc3339(&format!("{d}T00:00:00Z"))
                .ok_or_else(|| tf(locale, M::BadDate, &[("date", d)]))
        };
        let money = |text: &str| -> Result<i64, String> {
            let c = self
                .currency
                .ok_or_else(|| t(locale, M::AmountNeedsCurrency).to_owned())?;
            c.parse_decimal(text)
                .map_err(|_| tf(locale, M::BadAmount, &[("amount", text)]))
        };
        let mut filter = PaymentFilter {
            status: self.status,
            operator: self.operator,
            currency: self.currency,
            face: self.face,
            created_gte: self.from.as_deref().map(day).transpose()?,
            created_lt: self
                .to
                .as_deref()
                .map(day)
                .transpose()?
                .map(|t| t.plus(std::time::Duration::from_secs(86_400))),
            amount_min: self.min.as_deref().map(money).transpose()?,
            amount_max: self.max.as_deref().map(money).transpose()?,
            ..PaymentFilter::default()
        };
        if let Some(q) = &self.q {
            // A phone (with or without +), else a merchant or operator reference.
            let digits: String = q
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.'))
                .collect();
            let plus = if digits.starts_with('+') {
                digits.clone()
            } else {
                format!("+{digits}")
            };
            match Msisdn::parse(&plus) {
                Ok(m)
                    if digits
                        .trim_start_matches('+')
                        .bytes()
                        .all(|b| b.is_ascii_digit()) =>
                {
                    filter.phone = Some(m.as_str().to_owned());
                }
                Ok(_) | Err(_) => filter.either_reference = Some(q.clone()),
            }
        }
        Ok(filter)
    }
}

pub(super) fn phone_shown(p: &Payment) -> String {
    p.payer_phone
        .as_ref()
        .map(|m| masked_phone(m, None))
        .unwrap_or_default()
}

/// A filter's `<select>`: "any", then each `(value, text, selected)`.
fn any_of<'a>(
    locale: Locale,
    name: &str,
    label: M,
    options: impl Iterator<Item = (&'a str, &'a str, bool)>,
) -> Markup {
    html! {
        div {
            label for=(name) { (t(locale, label)) }
            select id=(name) name=(name) {
                option value="" { (t(locale, M::Any)) }
                @for (value, text, selected) in options {
                    option value=(value) selected[selected] { (text) }
                }
            }
        }
    }
}

pub(super) fn filter_form(state: &AppState, locale: Locale, f: &Filters) -> Markup {
    let operators = state.engine.catalogue().all();
    html! {
        form.filters method="get" action="/dashboard/payments" role="search" {
            div {
                label for="q" { (t(locale, M::Search)) }
                input id="q" name="q" type="search" value=[f.q.as_deref()]
                    aria-describedby="q-hint";
                p.hint id="q-hint" { (t(locale, M::SearchHint)) }
            }
            details open[f.is_narrowed()] {
            summary { (t(locale, M::Filters)) }
            div.grid {
                (any_of(locale, "status", M::Status, PaymentStatus::ALL.iter().map(|s| {
                    (s.as_str(), t(locale, M::payment_status(*s)), f.status == Some(*s))
                })))
                (any_of(locale, "operator", M::Operator, operators.iter().map(|o| {
                    (o.operator.code(), o.name, f.operator == Some(o.operator))
                })))
                (any_of(locale, "currency", M::Currency, Currency::ALL.iter().map(|c| {
                    (c.code(), c.code(), f.currency == Some(*c))
                })))
                (any_of(locale, "face", M::Face, Face::ALL.iter().map(|x| {
                    (x.as_str(), x.name(), f.face == Some(*x))
                })))
                div {
                    label for="from" { (t(locale, M::DateFrom)) }
                    input id="from" name="from" type="date" value=[f.from.as_deref()];
                }
                div {
                    label for="to" { (t(locale, M::DateTo)) }
                    input id="to" name="to" type="date" value=[f.to.as_deref()];
                }
                div {
                    label for="min" { (t(locale, M::AmountMin)) }
                    input id="min" name="min" type="text" inputmode="decimal" value=[f.min.as_deref()];
                }
                div {
                    label for="max" { (t(locale, M::AmountMax)) }
                    input id="max" name="max" type="text" inputmode="decimal" value=[f.max.as_deref()];
                }
            }
            }
            button.primary type="submit" { (t(locale, M::Filter)) }
            " "
            a href="/dashboard/payments" { (t(locale, M::ClearFilters)) }
        }
    }
}
