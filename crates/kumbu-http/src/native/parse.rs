//! Body values the native handlers share: amounts in minor units and operator codes.

use crate::error::{invalid, NativeError};
use kumbu_core::{ErrorCode, Operator};

/// Integer minor units from a JSON number. Anything written with a decimal point or an
/// exponent is refused, even `150.00`: a client that writes 150.00 most likely means 150 units,
/// not 150 minor units, and Kumbu never guesses with money.
pub(crate) fn minor_units(n: &serde_json::Number) -> Result<i64, NativeError> {
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    if n.as_u64().is_some() {
        return Err(invalid(
            ErrorCode::AmountOutOfRange,
            "amount",
            "amount is too large",
        ));
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    let code = if f.fract() == 0.0 {
        ErrorCode::ParameterInvalid
    } else {
        ErrorCode::AmountTooPrecise
    };
    Err(invalid(
        code,
        "amount",
        format!(
            "amount is a whole number of the currency's minor unit, without a decimal point: \
             15000 for 150.00 CVE, 5000 for 5,000 XOF (got {n})"
        ),
    ))
}

/// An operator code from a body, refused naming `field` and listing the codes.
pub(crate) fn parse_operator(code: &str, field: &str) -> Result<Operator, NativeError> {
    Operator::parse(code).ok_or_else(|| {
        let codes: Vec<&str> = Operator::ALL.iter().map(|o| o.code()).collect();
        invalid(
            ErrorCode::OperatorUnknown,
            field,
            format!("unknown operator `{code}`; one of: {}", codes.join(", ")),
        )
    })
}
