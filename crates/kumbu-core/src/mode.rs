//! Test and live mode: fixed by the API key, carried by every object.

use serde::{Deserialize, Serialize};

/// Which world an object lives in. Test and live objects never see each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Sandbox: payments go to the simulator; no real money moves.
    Test,
    /// Production: real money through real operators.
    Live,
}

impl Mode {
    /// The stored and displayed name (`test` / `live`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    /// Parses `test` or `live`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Mode::Test),
            "live" => Some(Mode::Live),
            _ => None,
        }
    }

    /// `true` for live mode (the `livemode` field of every object).
    pub const fn is_live(self) -> bool {
        matches!(self, Mode::Live)
    }
}
