//! What a payment may be: the rail checks of a push (the operator in this mode, its currency,
//! a number of its country, an amount within its limits) and of a create command (texts,
//! metadata, expiry). Payments, checkout and payouts call them.

use super::{CreatePayment, EXPIRES_IN_RANGE};
use crate::validate::{check_metadata, plain_text};
use crate::Engine;
use kumbu_core::{Currency, ErrorCode, Field, Mode, Msisdn, Operator, RailKind, Rejection};
use std::time::Duration;

fn text_limit(
    field: Field,
    value: &Option<String>,
    max: usize,
    name: &str,
) -> Result<(), Rejection> {
    match value {
        Some(v) if v.chars().count() > max => Err(Rejection::field(
            ErrorCode::ParameterInvalid,
            field,
            format!("{name} must be at most {max} characters"),
        )),
        Some(_) | None => Ok(()),
    }
}

impl Engine {
    /// Whether `op` can take payments in `mode` on this gateway: in test mode every operator
    /// (the sandbox); in live mode those a connector carries (whether the merchant has
    /// credentials is checked by [`Engine::require_connector`]).
    pub(crate) fn check_mode(&self, mode: Mode, op: Operator) -> Result<(), Rejection> {
        match mode {
            Mode::Test => Ok(()),
            Mode::Live if self.catalogue().get(op).test_only => Err(Rejection::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                "the mock operator exists only in test mode",
            )),
            Mode::Live if self.connector_for(op).is_some() => Ok(()),
            Mode::Live => Err(Rejection::field(
                ErrorCode::OperatorNotAvailable,
                Field::Operator,
                format!("Kumbu has no live connector for {} yet (it has one for {}); use a test key (sk_test_…) to try it in the sandbox", op.code(), self.live_operators()),
            )),
        }
    }

    /// Refuses an amount outside `op`'s limits (naming `amount`).
    pub(crate) fn check_amount(
        &self,
        op: Operator,
        currency: Currency,
        amount: i64,
    ) -> Result<(), Rejection> {
        let info = self.catalogue().get(op);
        if amount < info.min_amount || amount > info.max_amount {
            return Err(Rejection::field(
                ErrorCode::AmountOutOfRange,
                Field::Amount,
                format!(
                    "amount must be between {} and {} {} minor units for {}",
                    info.min_amount,
                    info.max_amount,
                    currency,
                    op.code()
                ),
            ));
        }
        Ok(())
    }

    /// Checks a push through `op` in `mode`: a phone-prompt rail, its currency, a number of its
    /// country (`phone_field` names it), an amount within its limits.
    pub(crate) fn check_push_rail(
        &self,
        mode: Mode,
        op: Operator,
        currency: Currency,
        phone: &Msisdn,
        phone_field: Field,
        amount: i64,
    ) -> Result<(), Rejection> {
        let info = self.catalogue().get(op);
        match info.kind {
            RailKind::MobileMoneyPush => {}
            RailKind::BankReference => {
                return Err(Rejection::field(
                    ErrorCode::OperatorNotAvailable,
                    Field::Operator,
                    format!("{} is paid by bank reference, not by a phone prompt; it cannot be used for a push payment", op.code()),
                ))
            }
            RailKind::External => {
                return Err(Rejection::field(
                    ErrorCode::OperatorNotAvailable,
                    Field::Operator,
                    "external payments happened outside Kumbu: record them as payment records or ingest them, they cannot be pushed",
                ))
            }
        }
        self.check_mode(mode, op)?;
        if !info.currencies.contains(&currency) {
            let list: Vec<&str> = info.currencies.iter().map(|c| c.code()).collect();
            return Err(Rejection::field(
                ErrorCode::CurrencyNotSupported,
                Field::Currency,
                format!(
                    "{} collects {}, not {}",
                    op.code(),
                    list.join(", "),
                    currency
                ),
            ));
        }
        if let Some(country) = info.country {
            if !country.owns(phone) {
                return Err(Rejection::field(
                    ErrorCode::PhoneInvalid,
                    phone_field,
                    format!(
                        "{} is not a {} number for {}: expected +{} and {} digits, e.g. {}",
                        phone,
                        country.code(),
                        op.code(),
                        country.dial_code(),
                        country
                            .national_lengths()
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(" or "),
                        country.example_phone()
                    ),
                ));
            }
        }
        if let Some(why) = self
            .connector_for(op)
            .filter(|_| mode == Mode::Live)
            .and_then(|c| c.payer_problem(op, phone))
        {
            return Err(Rejection::field(ErrorCode::PhoneInvalid, phone_field, why));
        }
        self.check_amount(op, currency, amount)?;
        Ok(())
    }

    /// Checks a create command against the catalogue and the limits.
    pub(crate) fn validate_create(
        &self,
        mode: Mode,
        cmd: &CreatePayment,
    ) -> Result<Duration, Rejection> {
        self.check_push_rail(
            mode,
            cmd.operator,
            cmd.currency,
            &cmd.payer_phone,
            Field::PayerPhone,
            cmd.amount,
        )?;
        check_metadata(&cmd.metadata)?;
        if let Some(r) = &cmd.reference {
            if r.is_empty() || r.chars().count() > 128 {
                return Err(Rejection::field(
                    ErrorCode::ParameterInvalid,
                    Field::Reference,
                    "reference must be 1 to 128 characters",
                ));
            }
        }
        for (field, value, name) in [
            (Field::Reference, &cmd.reference, "reference"),
            (Field::Description, &cmd.description, "description"),
            (Field::CustomerName, &cmd.customer.name, "customer name"),
            (Field::CustomerEmail, &cmd.customer.email, "customer email"),
        ] {
            if let Some(v) = value {
                plain_text(field, v, name)?;
            }
        }

        text_limit(Field::Description, &cmd.description, 500, "description")?;
        text_limit(
            Field::StatementDescriptor,
            &cmd.statement_descriptor,
            100,
            "statement descriptor",
        )?;
        if let Some(d) = &cmd.statement_descriptor {
            plain_text(Field::StatementDescriptor, d, "statement descriptor")?;
        }
        text_limit(
            Field::CustomerName,
            &cmd.customer.name,
            200,
            "customer name",
        )?;
        text_limit(
            Field::CustomerEmail,
            &cmd.customer.email,
            254,
            "customer email",
        )?;
        let expires_in = cmd.expires_in.unwrap_or(self.config().default_expires_in);
        let (lo, hi) = EXPIRES_IN_RANGE;
        if !(lo..=hi).contains(&expires_in.as_secs()) {
            return Err(Rejection::field(
                ErrorCode::ParameterInvalid,
                Field::ExpiresIn,
                format!("expires_in must be between {lo} and {hi} seconds"),
            ));
        }
        Ok(expires_in)
    }
}
