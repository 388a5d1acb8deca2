//! InterBancos "MEPS" files (Ficheiro de Movimentos): what the Ponto24 network reports to a
//! biller at the close of clearing, one detail record per payment made to its entity.
//!
//! Fixed-width ASCII records of 107 characters: a header (`0`), details (`2`) and a trailer
//! (`9`), laid out as InterBancos' specification gives them (see
//! `../shared/reference/collections.md` §1.4). A file that does not add up is refused whole,
//! naming the line: the trailer's record count and total must equal its details'. Each file
//! names the one sent before it (`A007`), so a missing file shows as a gap.
//!
//! Over 500 lines with its tests (about 430 of code): the tests are the file format's examples.

use crate::erv::{Entity, ErvReference};

/// Characters in every record.
pub const RECORD_LEN: usize = 107;

/// Why a file was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MepsError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

/// A file's identity: its processing date (`AAAAMMDD`) and the day's sequence (`S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId {
    /// `AAAAMMDD` as a number (20121123).
    pub date: u32,
    /// The file's sequence within the day (0–9).
    pub seq: u8,
}

impl FileId {
    fn parse(text: &str) -> Option<Self> {
        let date = text.get(..8)?.parse().ok()?;
        let seq = text.get(8..9)?.parse().ok()?;
        Some(Self { date, seq })
    }

    /// `AAAAMMDDS`.
    pub fn as_text(self) -> String {
        format!("{:08}{}", self.date, self.seq)
    }
}

/// The header record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// A003: the institution sending (8 digits).
    pub origin: String,
    /// A004: the institution receiving (8 digits).
    pub destination: String,
    /// A005: this file.
    pub file: FileId,
    /// A007: the file sent before it; `None` (zeros) for the first.
    pub previous: Option<FileId>,
    /// A033: the biller's entity.
    pub entity: Entity,
    /// A006: 943 (MZN, as files carry it) or 508 (the old MZM code the specification names).
    pub currency: u16,
}

/// One payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// The line it was read from (1-based).
    pub line: usize,
    /// A008 and A014: InterBancos' log id and number (the payment's id at the source).
    pub log: String,
    /// A035: when the customer paid, `AAAAMMDDHHMM`.
    pub paid_at: String,
    /// A011: the amount paid, in cents.
    pub amount: i64,
    /// A032: the fee, in cents.
    pub fee: i64,
    /// A015 and A016: terminal type and id.
    pub terminal: String,
    /// A017: the transaction id at the terminal.
    pub transaction: String,
    /// A030: where the terminal is.
    pub locality: String,
    /// A034: the reference paid.
    pub reference: ErvReference,
}

impl Detail {
    /// The payment's id at its source, unique within the network: log id and number,
    /// terminal, transaction and time.
    pub fn external_id(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.log, self.terminal, self.transaction, self.paid_at
        )
    }
}

/// The trailer record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// A024: detail records.
    pub count: u64,
    /// A026: total amount, cents.
    pub total: i64,
    /// A027: total fees, cents.
    pub fees: i64,
    /// A023: VAT, cents.
    pub vat: i64,
}

/// A whole file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MepsFile {
    /// The header.
    pub header: Header,
    /// The payments, in file order.
    pub payments: Vec<Detail>,
    /// The trailer (equal to the payments' count and totals).
    pub trailer: Trailer,
}

/// Cuts a record into fields of the given widths, checking numeric ones.
struct Fields<'a> {
    line: usize,
    text: &'a str,
    at: usize,
}

impl<'a> Fields<'a> {
    fn err(&self, message: impl Into<String>) -> MepsError {
        MepsError {
            line: self.line,
            message: message.into(),
        }
    }

    fn text(&mut self, width: usize) -> &'a str {
        let s = &self.text[self.at..self.at + width];
        self.at += width;
        s
    }

    fn digits(&mut self, width: usize, name: &str) -> Result<&'a str, MepsError> {
        let s = self.text(width);
        if s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(s)
        } else {
            Err(self.err(format!("{name} must be {width} digits, not {s:?}")))
        }
    }

    /// A number whose field may end in spaces (the published sample writes the trailer's VAT
    /// with 11 digits and a space).
    fn number_trimmed(&mut self, width: usize, name: &str) -> Result<i64, MepsError> {
        let s = self.text(width).trim_end();
        if s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(s.parse().unwrap_or(0))
        } else {
            Err(self.err(format!("{name} must be digits, not {s:?}")))
        }
    }

    fn number(&mut self, width: usize, name: &str) -> Result<i64, MepsError> {
        let s = self.digits(width, name)?;
        s.parse()
            .map_err(|_| self.err(format!("{name} {s} is out of range")))
    }
}

/// Parses and checks a MEPS file (CRLF or LF line ends; trailing blank lines ignored).
pub fn parse(text: &str) -> Result<MepsFile, MepsError> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let last = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .ok_or(MepsError {
            line: 1,
            message: "the file is empty".into(),
        })?;
    let mut header = None;
    let mut payments = Vec::new();
    let mut trailer = None;
    for (i, raw) in lines[..=last].iter().enumerate() {
        let line = i + 1;
        if !raw.is_ascii() {
            return Err(MepsError {
                line,
                message: "a MEPS file is ASCII".into(),
            });
        }
        if raw.len() > RECORD_LEN {
            return Err(MepsError {
                line,
                message: format!("a record has {RECORD_LEN} characters, not {}", raw.len()),
            });
        }
        // The filler at the end may have been trimmed by a text editor.
        let padded = format!("{raw:<RECORD_LEN$}");
        let mut f = Fields {
            line,
            text: &padded,
            at: 1,
        };
        if trailer.is_some() {
            return Err(f.err("a record after the trailer"));
        }
        match (raw.as_bytes().first(), line) {
            (Some(b'0'), 1) => header = Some(read_header(&mut f)?),
            (Some(b'0'), _) => return Err(f.err("a second header")),
            (Some(_), 1) => return Err(f.err("the file must start with its header (type 0)")),
            (Some(b'2'), _) => payments.push(read_detail(&mut f)?),
            (Some(b'9'), _) => trailer = Some(read_trailer(&mut f)?),
            (Some(other), _) => {
                return Err(f.err(format!(
                    "unknown record type {:?} (0, 2 or 9)",
                    char::from(*other)
                )))
            }
            (None, _) => return Err(f.err("an empty line inside the file")),
        }
    }
    let trailer_line = last + 1;
    let header = header.ok_or(MepsError {
        line: 1,
        message: "no header".into(),
    })?;
    let trailer = trailer.ok_or(MepsError {
        line: trailer_line,
        message: "the file ends without its trailer (type 9)".into(),
    })?;
    let total: i64 = payments.iter().map(|p| p.amount).sum();
    let fees: i64 = payments.iter().map(|p| p.fee).sum();
    let bad = |message: String| MepsError {
        line: trailer_line,
        message,
    };
    if trailer.count != payments.len() as u64 {
        return Err(bad(format!(
            "the trailer counts {} payments; the file has {}",
            trailer.count,
            payments.len()
        )));
    }
    if trailer.total != total {
        return Err(bad(format!(
            "the trailer's total is {} cents; the payments add up to {total}",
            trailer.total
        )));
    }
    if trailer.fees != fees {
        return Err(bad(format!(
            "the trailer's fees are {} cents; the payments' add up to {fees}",
            trailer.fees
        )));
    }
    Ok(MepsFile {
        header,
        payments,
        trailer,
    })
}

fn read_header(f: &mut Fields<'_>) -> Result<Header, MepsError> {
    if f.text(4) != "MEPS" {
        return Err(f.err("the file type (A002) must be MEPS"));
    }
    let origin = f.digits(8, "the origin (A003)")?.to_owned();
    let destination = f.digits(8, "the destination (A004)")?.to_owned();
    let file = f.digits(9, "the processing date (A005)")?;
    let file = FileId::parse(file).ok_or_else(|| f.err("A005 is not AAAAMMDDS"))?;
    let previous = f.digits(9, "the previous file (A007)")?;
    let previous = if previous.bytes().all(|b| b == b'0') {
        None
    } else {
        Some(FileId::parse(previous).ok_or_else(|| f.err("A007 is not AAAAMMDDS"))?)
    };
    let entity =
        Entity::parse(f.digits(5, "the entity (A033)")?).map_err(|e| f.err(e.to_string()))?;
    let currency = f.number(3, "the currency (A006)")?;
    let currency = match currency {
        943 | 508 => currency as u16,
        other => {
            return Err(f.err(format!(
                "the currency (A006) must be 943 (MZN) or 508, not {other:03}"
            )))
        }
    };
    Ok(Header {
        origin,
        destination,
        file,
        previous,
        entity,
        currency,
    })
}

fn read_detail(f: &mut Fields<'_>) -> Result<Detail, MepsError> {
    let code = f.digits(2, "the processing code (A009)")?;
    if code != "04" {
        return Err(f.err(format!("the processing code (A009) must be 04, not {code}")));
    }
    let log = format!(
        "{}{}",
        f.digits(4, "the log id (A008)")?,
        f.digits(8, "the log number (A014)")?
    );
    let paid_at = f.digits(12, "the date and time (A035)")?.to_owned();
    let amount = f.number(13, "the amount (A011)")?;
    if amount == 0 {
        return Err(f.err("the amount (A011) is zero"));
    }
    let fee = f.number(9, "the fee (A032)")?;
    let terminal = format!("{}{}", f.text(2).trim(), f.text(10).trim());
    let transaction = f.text(5).trim().to_owned();
    let locality = f.text(15).trim().to_owned();
    let reference = ErvReference::parse(f.digits(11, "the reference (A034)")?)
        .map_err(|e| f.err(e.to_string()))?;
    Ok(Detail {
        line: f.line,
        log,
        paid_at,
        amount,
        fee,
        terminal,
        transaction,
        locality,
        reference,
    })
}

fn read_trailer(f: &mut Fields<'_>) -> Result<Trailer, MepsError> {
    let count = f.number(8, "the record count (A024)")?;
    Ok(Trailer {
        count: u64::try_from(count).unwrap_or(0),
        total: f.number(17, "the total (A026)")?,
        fees: f.number(12, "the total fees (A027)")?,
        vat: f.number_trimmed(12, "the VAT (A023)")?,
    })
}

/// Whether `file` follows the last file seen: `None` when it does, or the id of the file it
/// names as its predecessor when one is missing in between.
pub fn gap(last_seen: Option<FileId>, file: &Header) -> Option<Option<FileId>> {
    (file.previous != last_seen).then_some(file.previous)
}

impl MepsFile {
    /// A well-formed file for `entity` of `payments` (reference, amount in cents, payment time
    /// `AAAAMMDDHHMM`), with log ids, terminals and transactions numbered from 1, a fee of
    /// 1.00 each and the trailer that adds them up; for tests, benchmarks and the sandbox.
    pub fn build(
        entity: Entity,
        file: FileId,
        previous: Option<FileId>,
        payments: &[(ErvReference, i64, String)],
    ) -> Self {
        let payments: Vec<Detail> = payments
            .iter()
            .enumerate()
            .map(|(i, (reference, amount, paid_at))| Detail {
                line: i + 2,
                log: format!("{:012}", i + 1),
                paid_at: paid_at.clone(),
                amount: *amount,
                fee: 100,
                terminal: format!("AT{:010}", i % 1000 + 1),
                transaction: format!("{}", i % 100_000),
                locality: "MAPUTO".into(),
                reference: reference.clone(),
            })
            .collect();
        let destination = format!("000{}", entity.as_str());
        MepsFile {
            header: Header {
                origin: "00000008".into(),
                destination,
                file,
                previous,
                entity,
                currency: 943,
            },
            trailer: Trailer {
                count: payments.len() as u64,
                total: payments.iter().map(|p| p.amount).sum(),
                fees: payments.iter().map(|p| p.fee).sum(),
                vat: 0,
            },
            payments,
        }
    }

    /// The file as InterBancos writes it (CRLF line ends), for tests and benchmarks.
    pub fn to_text(&self) -> String {
        let h = &self.header;
        let mut out = format!(
            "{:<107}\r\n",
            format!(
                "0MEPS{}{}{}{}{}{:03}XX0000",
                h.origin,
                h.destination,
                h.file.as_text(),
                h.previous.map_or_else(|| "0".repeat(9), FileId::as_text),
                h.entity,
                h.currency
            )
        );
        for p in &self.payments {
            out.push_str(&format!(
                "{:<107}\r\n",
                format!(
                    "204{:0>12}{}{:013}{:09}{:<12}{:>5}{:<15}{}000{:>12}",
                    p.log,
                    p.paid_at,
                    p.amount,
                    p.fee,
                    p.terminal,
                    p.transaction,
                    p.locality,
                    p.reference,
                    ""
                )
            ));
        }
        let t = &self.trailer;
        out.push_str(&format!(
            "{:<107}\r\n",
            format!("9{:08}{:017}{:012}{:012}", t.count, t.total, t.fees, t.vat)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published sample's references and amounts (see erv.rs), in a file rebuilt with the
    /// specification's layout: the same header fields (origin 8, destination 90002, file
    /// 2012-11-23 #0 after 2012-11-22 #0, entity 90002, currency 943).
    fn sample() -> MepsFile {
        let entity = Entity::parse("90002").unwrap();
        let pairs = [
            ("00548781108", 300_000),
            ("00604600879", 300_000),
            ("00604610946", 300_000),
            ("00604621032", 275_000),
            ("00616121136", 300_000),
            ("00620400869", 744_000),
            ("00620400869", 744_000),
            ("00620410936", 744_000),
            ("00620421003", 744_000),
            ("00620441239", 620_000),
            ("00623420704", 61_000),
        ];
        let payments: Vec<Detail> = pairs
            .iter()
            .enumerate()
            .map(|(i, (r, a))| Detail {
                line: i + 2,
                log: format!("{:012}", i + 1),
                paid_at: format!("20121122{:04}", 900 + i),
                amount: *a,
                fee: 100,
                terminal: format!("AT{:010}", 7 + i),
                transaction: format!("{}", 100 + i),
                locality: "MAPUTO".into(),
                reference: ErvReference::parse(r).unwrap(),
            })
            .collect();
        MepsFile {
            header: Header {
                origin: "00000008".into(),
                destination: "00090002".into(),
                file: FileId {
                    date: 20_121_123,
                    seq: 0,
                },
                previous: Some(FileId {
                    date: 20_121_122,
                    seq: 0,
                }),
                entity,
                currency: 943,
            },
            trailer: Trailer {
                count: 11,
                total: payments.iter().map(|p| p.amount).sum(),
                fees: 1100,
                vat: 0,
            },
            payments,
        }
    }

    #[test]
    fn a_file_reads_back_as_written_and_its_totals_hold() {
        let file = sample();
        let text = file.to_text();
        for l in text.lines() {
            assert_eq!(l.trim_end_matches('\r').len(), RECORD_LEN, "{l:?}");
        }
        // The specification's positions: the amount in columns 28-40, the reference in 82-92.
        let second = text.lines().nth(1).unwrap();
        assert_eq!(&second[27..40], "0000000300000");
        assert_eq!(&second[81..92], "00548781108");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed, file);
        // 51,320.00 MZN in 11 payments, as the published trailer says.
        assert_eq!(
            (parsed.trailer.count, parsed.trailer.total),
            (11, 5_132_000)
        );
        for p in &parsed.payments {
            assert!(p.reference.verify(&parsed.header.entity, Some(p.amount)));
        }
        // LF line ends and trimmed fillers read the same.
        let lf: String = text
            .lines()
            .map(|l| format!("{}\n", l.trim_end()))
            .collect();
        assert_eq!(parse(&lf).unwrap(), file);
    }

    #[test]
    fn a_file_that_does_not_add_up_is_refused_naming_the_line() {
        let good = sample().to_text();
        let lines: Vec<&str> = good.lines().collect();
        let with = |i: usize, replacement: &str| -> String {
            let mut l = lines.clone();
            l[i] = replacement;
            l.iter().map(|x| format!("{x}\n")).collect()
        };
        let mut bad_total = lines[12].to_owned();
        bad_total.replace_range(9..26, "00000000005132001");
        let e = parse(&with(12, &bad_total)).unwrap_err();
        assert_eq!(e.line, 13);
        assert!(e.message.contains("total"), "{e}");
        let mut bad_amount = lines[3].to_owned();
        bad_amount.replace_range(27..40, "00000003000x0");
        let e = parse(&with(3, &bad_amount)).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("A011"), "{e}");
        let mut bad_currency = lines[0].to_owned();
        bad_currency.replace_range(44..47, "840");
        assert!(parse(&with(0, &bad_currency))
            .unwrap_err()
            .message
            .contains("943"));
        let no_trailer: String = lines[..12].iter().map(|x| format!("{x}\n")).collect();
        assert!(parse(&no_trailer).unwrap_err().message.contains("trailer"));
        let mut fewer = lines.clone();
        fewer.remove(5);
        let fewer: String = fewer.iter().map(|x| format!("{x}\n")).collect();
        assert!(parse(&fewer).unwrap_err().message.contains("counts 11"));
        assert_eq!(parse("").unwrap_err().line, 1);
        assert!(parse(&with(1, "7"))
            .unwrap_err()
            .message
            .contains("unknown record type"));
        // The published sample writes the trailer's VAT with 11 digits and a space: accepted.
        let mut short_vat = lines[12].to_owned();
        short_vat.replace_range(38..50, "00000000000 ");
        assert_eq!(parse(&with(12, &short_vat)).unwrap().trailer.vat, 0);
    }

    #[test]
    fn a_missing_file_shows_as_a_gap() {
        let h = sample().header;
        let day_before = Some(FileId {
            date: 20_121_122,
            seq: 0,
        });
        assert_eq!(gap(day_before, &h), None);
        // The last file seen is older than the one this file names: one went missing.
        let older = Some(FileId {
            date: 20_121_121,
            seq: 0,
        });
        assert_eq!(gap(older, &h), Some(day_before));
        let mut first = h.clone();
        first.previous = None;
        assert_eq!(gap(None, &first), None);
    }
}
