//! M-Pesa's `INS-…` codes, and what each means for Kumbu: done, an outcome we cannot know yet
//! (ask the query API), a duplicate (an earlier try got through), our credentials turned away,
//! or a failure with our code. The raw code is always kept as the payment's `operator_code`.

use kumbu_core::FailureCode;

/// What an answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// `INS-0`: done.
    Done,
    /// The outcome is not known: a timeout (`INS-9`), an internal error (`INS-1`), an overload
    /// (`INS-16`), or an answer we cannot read. The query API decides.
    Undecided,
    /// `INS-10`: a request with this third-party reference exists: an earlier try got through.
    Duplicate,
    /// Our API key refused (`INS-2`, `INS-4`).
    Credentials,
    /// It did not happen, and will not: our code.
    Failed(FailureCode),
}

/// What `code` means; `http` decides for a code M-Pesa did not document (or none at all).
pub fn meaning(code: Option<&str>, http: u16) -> Meaning {
    let Some(code) = code else {
        return by_status(http);
    };
    match code {
        "INS-0" => Meaning::Done,
        "INS-1" | "INS-9" | "INS-16" | "INS-23" => Meaning::Undecided,
        "INS-10" => Meaning::Duplicate,
        "INS-2" | "INS-4" => Meaning::Credentials,
        "INS-5" => Meaning::Failed(FailureCode::PaymentDeclined),
        "INS-2006" => Meaning::Failed(FailureCode::InsufficientBalance),
        "INS-2051" | "INS-2002" => Meaning::Failed(FailureCode::PayerNotFound),
        "INS-996" | "INS-997" => Meaning::Failed(FailureCode::AccountNotAllowed),
        // The merchant's initiator or short code: nothing was done, and it is theirs to fix.
        "INS-13" | "INS-24" | "INS-25" | "INS-26" | "INS-2001" => {
            Meaning::Failed(FailureCode::ProviderUnavailable)
        }
        "INS-6" | "INS-14" | "INS-15" | "INS-17" | "INS-18" | "INS-19" | "INS-20" | "INS-21"
        | "INS-22" | "INS-993" | "INS-994" | "INS-995" | "INS-998" | "INS-2057" => {
            Meaning::Failed(FailureCode::ProviderError)
        }
        _ => by_status(http),
    }
}

/// What an answer with no code we know means, by its HTTP status.
fn by_status(http: u16) -> Meaning {
    match http {
        200..=299 => Meaning::Undecided,
        401 | 403 => Meaning::Credentials,
        408 | 425 | 429 | 500..=599 => Meaning::Undecided,
        _ => Meaning::Failed(FailureCode::ProviderError),
    }
}

/// The HTTP status M-Pesa answers each code with (the simulator's table, and the one M-Pesa's
/// documentation gives).
pub fn http_status(code: &str) -> u16 {
    match code {
        "INS-0" => 201,
        "INS-1" => 500,
        "INS-2" | "INS-4" | "INS-5" | "INS-6" | "INS-26" | "INS-2001" => 401,
        "INS-9" => 408,
        "INS-10" => 409,
        "INS-16" => 503,
        "INS-2006" => 422,
        _ => 400,
    }
}

/// The description M-Pesa gives with each code.
pub fn description(code: &str) -> &'static str {
    match code {
        "INS-0" => "Request processed successfully",
        "INS-1" => "Internal Error",
        "INS-2" => "Invalid API Key",
        "INS-4" => "User is not active",
        "INS-5" => "Transaction cancelled by customer",
        "INS-6" => "Transaction Failed",
        "INS-9" => "Request timeout",
        "INS-10" => "Duplicate Transaction",
        "INS-13" => "Invalid Shortcode Used",
        "INS-14" => "Invalid Reference Used",
        "INS-15" => "Invalid Amount Used",
        "INS-16" => "Unable to handle the request due to a temporary overloading",
        "INS-17" => "Invalid Transaction Reference. Length Should Be Between 1 and 20.",
        "INS-18" => "Invalid TransactionID Used",
        "INS-19" => "Invalid ThirdPartyReference Used",
        "INS-20" => "Not All Parameters Provided. Please try again.",
        "INS-21" => "Parameter validations failed. Please try again.",
        "INS-22" => "Invalid Operation Type",
        "INS-23" => "Unknown Status. Contact M-Pesa Support",
        "INS-24" => "Invalid InitiatorIdentifier Used",
        "INS-25" => "Invalid SecurityCredential Used",
        "INS-26" => "Not authorized",
        "INS-2001" => "Initiator authentication error.",
        "INS-2002" => "Receiver invalid.",
        "INS-2006" => "Insufficient balance",
        "INS-2051" => "MSISDN invalid.",
        "INS-2057" => "Language code invalid.",
        _ => "Unknown error",
    }
}

/// Every code the simulator may answer, for tests.
pub const ALL: &[&str] = &[
    "INS-0", "INS-1", "INS-2", "INS-4", "INS-5", "INS-6", "INS-9", "INS-10", "INS-13", "INS-14",
    "INS-15", "INS-16", "INS-17", "INS-18", "INS-19", "INS-20", "INS-21", "INS-22", "INS-23",
    "INS-24", "INS-25", "INS-26", "INS-2001", "INS-2002", "INS-2006", "INS-2051", "INS-2057",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_meaning_a_status_and_words() {
        for code in ALL {
            let m = meaning(Some(code), http_status(code));
            assert_ne!(description(code), "Unknown error", "{code}");
            if *code != "INS-0" {
                assert_ne!(m, Meaning::Done, "{code}");
            }
        }
        assert_eq!(meaning(Some("INS-9"), 408), Meaning::Undecided);
        assert_eq!(meaning(Some("INS-10"), 409), Meaning::Duplicate);
        assert_eq!(meaning(Some("INS-999"), 503), Meaning::Undecided);
        assert_eq!(meaning(None, 502), Meaning::Undecided);
        assert_eq!(
            meaning(Some("INS-999"), 400),
            Meaning::Failed(FailureCode::ProviderError)
        );
    }
}
