//! The rail catalogue: which operators exist, where, in which currencies, within which limits and
//! at which fee. It is data: defaults are compiled in, fees can be overridden by configuration.
//!
//! Over 500 lines with its tests (under 490 of code); the compiled-in table of operators is the
//! bulk.

use crate::fees::FeeSchedule;
use crate::money::Currency;
use crate::phone::Msisdn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A country Kumbu operates in, with its phone numbering plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    /// Cabo Verde (+238, 7-digit numbers).
    #[serde(rename = "CV")]
    CaboVerde,
    /// Angola (+244, 9 digits).
    #[serde(rename = "AO")]
    Angola,
    /// Mozambique (+258, 9 digits).
    #[serde(rename = "MZ")]
    Mozambique,
    /// Côte d'Ivoire (+225, 10 digits; the pre-2021 8-digit form is still accepted).
    #[serde(rename = "CI")]
    CoteDIvoire,
    /// Cameroon (+237, 9 digits).
    #[serde(rename = "CM")]
    Cameroon,
}

impl Country {
    /// Every country.
    pub const ALL: [Country; 5] = [
        Country::CaboVerde,
        Country::Angola,
        Country::Mozambique,
        Country::CoteDIvoire,
        Country::Cameroon,
    ];

    /// ISO 3166-1 alpha-2 code.
    pub const fn code(self) -> &'static str {
        match self {
            Country::CaboVerde => "CV",
            Country::Angola => "AO",
            Country::Mozambique => "MZ",
            Country::CoteDIvoire => "CI",
            Country::Cameroon => "CM",
        }
    }

    /// International dialling code, without `+`.
    pub const fn dial_code(self) -> &'static str {
        match self {
            Country::CaboVerde => "238",
            Country::Angola => "244",
            Country::Mozambique => "258",
            Country::CoteDIvoire => "225",
            Country::Cameroon => "237",
        }
    }

    /// Allowed lengths of the national number (after the dialling code).
    pub const fn national_lengths(self) -> &'static [usize] {
        match self {
            Country::CaboVerde => &[7],
            Country::Angola | Country::Mozambique | Country::Cameroon => &[9],
            Country::CoteDIvoire => &[10, 8],
        }
    }

    /// `true` when `phone` is a number of this country.
    pub fn owns(self, phone: &Msisdn) -> bool {
        match phone.digits().strip_prefix(self.dial_code()) {
            Some(national) => self.national_lengths().contains(&national.len()),
            None => false,
        }
    }

    /// A human-readable example of a valid number, for error messages.
    pub const fn example_phone(self) -> &'static str {
        match self {
            Country::CaboVerde => "+2389001234",
            Country::Angola => "+244923000789",
            Country::Mozambique => "+258841000789",
            Country::CoteDIvoire => "+2250700000789",
            Country::Cameroon => "+237670000789",
        }
    }
}

/// How money moves on a rail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RailKind {
    /// A USSD/PIN prompt pushed to the payer's phone.
    MobileMoneyPush,
    /// The payer pays a bank reference (Multicaixa); not created through `/v1/payments`.
    BankReference,
    /// Money that moved outside Kumbu and is recorded here: a merchant's payment record or a
    /// payment ingested from a bank. Kumbu prompts no one and refunds nothing on this rail.
    External,
}

/// A mobile-money or bank operator Kumbu can collect through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// CVMOVEL (Cabo Verde).
    Cvmovel,
    /// Unitel T+ (Cabo Verde).
    UnitelTmais,
    /// Multicaixa references (Angola).
    Multicaixa,
    /// M-Pesa (Mozambique).
    MpesaMz,
    /// e-Mola (Mozambique).
    Emola,
    /// Orange Money (Côte d'Ivoire).
    OrangeCi,
    /// MTN MoMo (Côte d'Ivoire).
    MtnCi,
    /// Moov Money (Côte d'Ivoire).
    MoovCi,
    /// Wave (Côte d'Ivoire).
    WaveCi,
    /// Orange Money (Cameroon).
    OrangeCm,
    /// MTN MoMo (Cameroon).
    MtnCm,
    /// A test-only operator accepting any country and currency.
    Mock,
    /// Payments recorded from outside Kumbu (payment records, bank ingests, MEPS files).
    External,
}

impl Operator {
    /// Whether money paid through this operator reaches an account Kumbu holds (every rail
    /// but `external`, whose money a bank or the merchant holds: it is only reported here).
    pub fn held_by_kumbu(self) -> bool {
        match self.defaults().kind {
            RailKind::MobileMoneyPush | RailKind::BankReference => true,
            RailKind::External => false,
        }
    }

    /// Every operator, in catalogue order.
    pub const ALL: [Operator; 13] = [
        Operator::Cvmovel,
        Operator::UnitelTmais,
        Operator::Multicaixa,
        Operator::MpesaMz,
        Operator::Emola,
        Operator::OrangeCi,
        Operator::MtnCi,
        Operator::MoovCi,
        Operator::WaveCi,
        Operator::OrangeCm,
        Operator::MtnCm,
        Operator::Mock,
        Operator::External,
    ];

    /// The stable code used in the native API and the database.
    pub const fn code(self) -> &'static str {
        match self {
            Operator::Cvmovel => "cvmovel",
            Operator::UnitelTmais => "unitel_tmais",
            Operator::Multicaixa => "multicaixa",
            Operator::MpesaMz => "mpesa_mz",
            Operator::Emola => "emola",
            Operator::OrangeCi => "orange_ci",
            Operator::MtnCi => "mtn_ci",
            Operator::MoovCi => "moov_ci",
            Operator::WaveCi => "wave_ci",
            Operator::OrangeCm => "orange_cm",
            Operator::MtnCm => "mtn_cm",
            Operator::Mock => "mock",
            Operator::External => "external",
        }
    }

    /// Parses a code as returned by [`Operator::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Operator::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The national-number prefixes (after the country code) this operator's SIMs start
    /// with; empty when any number of its country can pay through it (Wave, which is not a
    /// network, and bank references). Used to suggest an operator, never to refuse one: a
    /// number ported to another network keeps its prefix.
    pub const fn prefixes(self) -> &'static [&'static str] {
        match self {
            Operator::Cvmovel => &["9"],
            Operator::UnitelTmais => &["5"],
            Operator::MpesaMz => &["84", "85"],
            Operator::Emola => &["86", "87"],
            // Côte d'Ivoire's ten-digit plan (2021): 07 Orange, 05 MTN, 01 Moov.
            Operator::OrangeCi => &["07"],
            Operator::MtnCi => &["05"],
            Operator::MoovCi => &["01"],
            Operator::OrangeCm => &["69", "655", "656", "657", "658", "659", "640"],
            Operator::MtnCm => &[
                "67", "650", "651", "652", "653", "654", "680", "681", "682", "683",
            ],
            Operator::WaveCi | Operator::Multicaixa | Operator::Mock | Operator::External => &[],
        }
    }

    /// Built-in catalogue entry: name, country, currencies, limits and default fees.
    pub fn defaults(self) -> OperatorInfo {
        let push = RailKind::MobileMoneyPush;
        let (name, country, currencies, kind, min, max, fee): (
            &str,
            Option<Country>,
            &[Currency],
            RailKind,
            i64,
            i64,
            FeeSchedule,
        ) = match self {
            Operator::Cvmovel => (
                "CVMOVEL",
                Some(Country::CaboVerde),
                &[Currency::Cve],
                push,
                1,
                100_000_000,
                bps(200),
            ),
            Operator::UnitelTmais => (
                "Unitel T+",
                Some(Country::CaboVerde),
                &[Currency::Cve],
                push,
                1,
                100_000_000,
                bps(200),
            ),
            Operator::Multicaixa => (
                "Multicaixa",
                Some(Country::Angola),
                &[Currency::Aoa],
                RailKind::BankReference,
                1,
                9_999_999_999,
                FeeSchedule {
                    percent_bps: 50,
                    fixed: 0,
                    min: 5_000,
                    max: None,
                },
            ),
            Operator::MpesaMz => (
                "M-Pesa",
                Some(Country::Mozambique),
                &[Currency::Mzn],
                push,
                100,
                25_000_000,
                bps(150),
            ),
            Operator::Emola => (
                "e-Mola",
                Some(Country::Mozambique),
                &[Currency::Mzn],
                push,
                100,
                25_000_000,
                bps(150),
            ),
            Operator::OrangeCi => (
                "Orange Money",
                Some(Country::CoteDIvoire),
                &[Currency::Xof],
                push,
                100,
                2_000_000,
                bps(50),
            ),
            Operator::MtnCi => (
                "MTN MoMo",
                Some(Country::CoteDIvoire),
                &[Currency::Xof],
                push,
                100,
                2_000_000,
                bps(50),
            ),
            Operator::MoovCi => (
                "Moov Money",
                Some(Country::CoteDIvoire),
                &[Currency::Xof],
                push,
                100,
                2_000_000,
                bps(50),
            ),
            Operator::WaveCi => (
                "Wave",
                Some(Country::CoteDIvoire),
                &[Currency::Xof],
                push,
                100,
                2_000_000,
                bps(100),
            ),
            Operator::OrangeCm => (
                "Orange Money",
                Some(Country::Cameroon),
                &[Currency::Xaf],
                push,
                100,
                1_000_000,
                bps(150),
            ),
            Operator::MtnCm => (
                "MTN MoMo",
                Some(Country::Cameroon),
                &[Currency::Xaf],
                push,
                100,
                1_000_000,
                bps(150),
            ),
            Operator::Mock => (
                "Mock operator (test mode only)",
                None,
                &Currency::ALL,
                push,
                1,
                100_000_000,
                bps(200),
            ),
            Operator::External => (
                "Recorded from outside Kumbu",
                None,
                &Currency::ALL,
                RailKind::External,
                1,
                MAX_EXTERNAL_AMOUNT,
                bps(0),
            ),
        };
        OperatorInfo {
            operator: self,
            name,
            country,
            currencies: currencies.to_vec(),
            kind,
            min_amount: min,
            max_amount: max,
            fee,
            test_only: matches!(self, Operator::Mock),
        }
    }
}

/// The largest amount a payment record or an ingested payment may carry, in minor units: what
/// a MEPS amount field holds (13 digits), and far below where a JSON double stops being exact.
pub const MAX_EXTERNAL_AMOUNT: i64 = 9_999_999_999_999;

const fn bps(percent_bps: u32) -> FeeSchedule {
    FeeSchedule {
        percent_bps,
        fixed: 0,
        min: 0,
        max: None,
    }
}

/// One rail of the catalogue, as `GET /v1/operators` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorInfo {
    /// The operator.
    pub operator: Operator,
    /// Its commercial name.
    pub name: &'static str,
    /// Its country; `None` for the mock operator, which takes any.
    pub country: Option<Country>,
    /// Currencies it collects.
    pub currencies: Vec<Currency>,
    /// How money moves.
    pub kind: RailKind,
    /// Smallest payment, in minor units.
    pub min_amount: i64,
    /// Largest payment, in minor units.
    pub max_amount: i64,
    /// Fee schedule applied at creation.
    pub fee: FeeSchedule,
    /// Only usable with test keys.
    pub test_only: bool,
}

impl OperatorInfo {
    /// A number this operator prompts, for hints on a page that offers it (the first of its
    /// prefixes, then zeros, ending `789`: success in the sandbox); its country's example when
    /// it takes any number of the country (Wave); `None` for operators of no country.
    pub fn example_phone(&self) -> Option<String> {
        let country = self.country?;
        let Some(prefix) = self.operator.prefixes().first() else {
            return Some(country.example_phone().to_owned());
        };
        let len = country.national_lengths()[0];
        let zeros = len.saturating_sub(prefix.len() + 3);
        Some(format!(
            "+{}{prefix}{}789",
            country.dial_code(),
            "0".repeat(zeros)
        ))
    }
}

/// The operators Kumbu knows, with fees possibly overridden by configuration.
#[derive(Debug, Clone)]
pub struct Catalogue {
    entries: Vec<OperatorInfo>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self {
            entries: Operator::ALL.into_iter().map(Operator::defaults).collect(),
        }
    }
}

impl Catalogue {
    /// The defaults with the given fee schedules replacing the built-in ones.
    pub fn with_fee_overrides(overrides: &BTreeMap<Operator, FeeSchedule>) -> Self {
        let mut c = Self::default();
        for e in &mut c.entries {
            if let Some(f) = overrides.get(&e.operator) {
                e.fee = *f;
            }
        }
        c
    }

    /// The entry for one operator.
    pub fn get(&self, op: Operator) -> &OperatorInfo {
        // Every operator has an entry: the catalogue is built from Operator::ALL.
        self.entries
            .iter()
            .find(|e| e.operator == op)
            .unwrap_or_else(|| unreachable!("catalogue built from Operator::ALL"))
    }

    /// The push operators that serve `phone`: those of its country whose prefixes match it,
    /// plus the country's operators that take any number (Wave). `Err` says why Kumbu cannot
    /// prompt this number. The mock operator is never suggested.
    pub fn predict(&self, phone: &Msisdn) -> Result<(Country, Vec<Operator>), String> {
        let country = Country::ALL
            .into_iter()
            .find(|c| phone.digits().starts_with(c.dial_code()))
            .ok_or_else(|| {
                format!(
                    "{phone} is not a number of a country Kumbu serves ({})",
                    Country::ALL
                        .iter()
                        .map(|c| format!("+{} {}", c.dial_code(), c.code()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        if !country.owns(phone) {
            return Err(format!(
                "{phone} is not a {} number: expected +{} and {} digits, e.g. {}",
                country.code(),
                country.dial_code(),
                country
                    .national_lengths()
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                country.example_phone()
            ));
        }
        let national = &phone.digits()[country.dial_code().len()..];
        let ops: Vec<Operator> = self
            .entries
            .iter()
            .filter(|e| e.kind == RailKind::MobileMoneyPush && e.country == Some(country))
            .filter(|e| {
                let p = e.operator.prefixes();
                p.is_empty() || p.iter().any(|x| national.starts_with(x))
            })
            .map(|e| e.operator)
            .collect();
        if ops.is_empty() {
            return Err(format!(
                "no mobile-money operator Kumbu serves prompts {phone} (its prefix belongs to another network)"
            ));
        }
        Ok((country, ops))
    }

    /// The push operators that collect `currency`, the mock operator aside: the operators a
    /// checkout session offers unless the merchant narrows them.
    pub fn push_operators_for(&self, currency: Currency) -> Vec<Operator> {
        self.entries
            .iter()
            .filter(|e| e.kind == RailKind::MobileMoneyPush && e.currencies.contains(&currency))
            .filter(|e| !e.test_only)
            .map(|e| e.operator)
            .collect()
    }

    /// All entries, in catalogue order.
    pub fn all(&self) -> &[OperatorInfo] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for op in Operator::ALL {
            assert_eq!(Operator::parse(op.code()), Some(op));
        }
        assert_eq!(Operator::parse("ORANGE_CI"), None);
    }

    #[test]
    fn countries_own_their_numbers() {
        let ci = Msisdn::parse("+2250700000789").unwrap();
        assert!(Country::CoteDIvoire.owns(&ci));
        assert!(Country::CoteDIvoire.owns(&Msisdn::parse("+22507987654").unwrap()));
        assert!(!Country::Cameroon.owns(&ci));
        assert!(Country::CaboVerde.owns(&Msisdn::parse("+2389001234").unwrap()));
        for c in [
            Country::CaboVerde,
            Country::Angola,
            Country::Mozambique,
            Country::CoteDIvoire,
            Country::Cameroon,
        ] {
            assert!(c.owns(&Msisdn::parse(c.example_phone()).unwrap()), "{c:?}");
        }
    }

    #[test]
    fn prediction_follows_country_and_prefix() {
        let c = Catalogue::default();
        let p = |s: &str| c.predict(&Msisdn::parse(s).unwrap());
        assert_eq!(
            p("+2250700000789"),
            Ok((
                Country::CoteDIvoire,
                vec![Operator::OrangeCi, Operator::WaveCi]
            ))
        );
        assert_eq!(
            p("+2250500000789").unwrap().1,
            vec![Operator::MtnCi, Operator::WaveCi]
        );
        assert_eq!(p("+237670000789").unwrap().1, vec![Operator::MtnCm]);
        assert_eq!(p("+237690000789").unwrap().1, vec![Operator::OrangeCm]);
        assert_eq!(p("+237655000789").unwrap().1, vec![Operator::OrangeCm]);
        assert_eq!(p("+258841000789").unwrap().1, vec![Operator::MpesaMz]);
        assert_eq!(p("+258861000789").unwrap().1, vec![Operator::Emola]);
        assert_eq!(p("+2389001234").unwrap().1, vec![Operator::Cvmovel]);
        assert!(p("+244923000789")
            .unwrap_err()
            .contains("no mobile-money operator"));
        assert!(p("+258821000789").unwrap_err().contains("another network"));
        assert!(p("+33612345678")
            .unwrap_err()
            .contains("not a number of a country"));
        assert!(p("+23767000078")
            .unwrap_err()
            .contains("expected +237 and 9 digits"));
        for op in Operator::ALL {
            let info = c.get(op);
            if let (Some(country), RailKind::MobileMoneyPush) = (info.country, info.kind) {
                let example = Msisdn::parse(country.example_phone()).unwrap();
                // Every operator's prefixes are numbers of its own country's length.
                for pre in op.prefixes() {
                    assert!(pre.len() < country.national_lengths()[0], "{op:?} {pre}");
                }
                assert!(c.predict(&example).is_ok(), "{country:?}");
            }
        }
    }

    #[test]
    fn each_operator_example_is_its_own_number() {
        let c = Catalogue::default();
        for op in Operator::ALL {
            let info = c.get(op);
            let Some(example) = info.example_phone() else {
                assert!(info.country.is_none(), "{op:?}");
                continue;
            };
            let phone = Msisdn::parse(&example).unwrap();
            if info.kind == RailKind::MobileMoneyPush {
                let (_, suggested) = c.predict(&phone).unwrap();
                assert!(suggested.contains(&op), "{op:?} {example} {suggested:?}");
                if !op.prefixes().is_empty() {
                    assert_eq!(suggested[0], op, "{example}");
                }
            }
        }
        assert_eq!(
            c.get(Operator::MtnCi).example_phone().as_deref(),
            Some("+2250500000789")
        );
        assert_eq!(
            c.get(Operator::OrangeCm).example_phone().as_deref(),
            Some("+237690000789")
        );
    }

    #[test]
    fn fee_overrides_apply() {
        let mut o = BTreeMap::new();
        o.insert(
            Operator::OrangeCi,
            FeeSchedule {
                percent_bps: 0,
                fixed: 7,
                min: 0,
                max: None,
            },
        );
        let c = Catalogue::with_fee_overrides(&o);
        assert_eq!(c.get(Operator::OrangeCi).fee.fee_for(1000), 7);
        assert_eq!(c.get(Operator::MtnCi).fee.fee_for(1000), 5);
    }
}
