//! The APIs a request can come through: Kumbu's own, and the five services whose wire formats it
//! speaks. A payment is the engine's, whichever face made it; the face it came through is kept
//! so that a merchant moving from one integration to another can tell their payments apart.

use serde::{Deserialize, Serialize};

/// An API of the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Face {
    /// Kumbu's native API (`/v1/…`).
    Native,
    /// PlexosPay's (`/compat/plexospay/…`).
    Plexospay,
    /// Adullam's (`/compat/adullam/…`).
    Adullam,
    /// Simiz's (`/compat/simiz/…`).
    Simiz,
    /// Kulpay's, the Mozambican collections Payment Service (`/compat/kulpay/…`).
    Kulpay,
    /// ProxyPay's (`/compat/proxypay/…`, or the root of `--proxypay-listen`).
    Proxypay,
}

impl Face {
    /// Every face, the native API first.
    pub const ALL: [Face; 6] = [
        Face::Native,
        Face::Plexospay,
        Face::Adullam,
        Face::Simiz,
        Face::Kulpay,
        Face::Proxypay,
    ];

    /// The stored and URL form: `native`, `plexospay`…
    pub const fn as_str(self) -> &'static str {
        match self {
            Face::Native => "native",
            Face::Plexospay => "plexospay",
            Face::Adullam => "adullam",
            Face::Simiz => "simiz",
            Face::Kulpay => "kulpay",
            Face::Proxypay => "proxypay",
        }
    }

    /// Its name for people.
    pub const fn name(self) -> &'static str {
        match self {
            Face::Native => "Kumbu API",
            Face::Plexospay => "PlexosPay",
            Face::Adullam => "Adullam",
            Face::Simiz => "Simiz",
            Face::Kulpay => "Kulpay",
            Face::Proxypay => "ProxyPay",
        }
    }

    /// The face named `s` ([`Face::as_str`]).
    pub fn parse(s: &str) -> Option<Face> {
        Face::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Face::ALL {
            assert_eq!(Face::parse(f.as_str()), Some(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert_eq!(Face::parse("stripe"), None);
    }
}
