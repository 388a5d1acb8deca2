//! Periods of the books: a calendar month (`2026-11`) or a run of days (`2026-11-01` to
//! `2026-11-30`, both included), in UTC. Each is a half-open span of timestamps `[from, to)`, so
//! consecutive periods never share or miss a transaction.

use crate::clock::Timestamp;
use time::{Date, Month as CalendarMonth};

/// A half-open span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First instant in it.
    pub from: Timestamp,
    /// First instant after it.
    pub to: Timestamp,
}

fn midnight(d: Date) -> Timestamp {
    let secs = d.midnight().assume_utc().unix_timestamp();
    Timestamp::from_micros(secs.saturating_mul(1_000_000))
}

/// Parses `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..].parse().ok()?;
    Date::from_calendar_date(year, CalendarMonth::try_from(month).ok()?, day).ok()
}

/// The day an instant falls on (UTC).
pub fn day_of(t: Timestamp) -> Date {
    time::OffsetDateTime::from_unix_timestamp(t.unix_seconds())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date()
}

/// The span of the days `first` to `last`, both included; `None` when `last` is before `first`.
pub fn days(first: Date, last: Date) -> Option<Span> {
    (last >= first).then(|| Span {
        from: midnight(first),
        to: midnight(last.next_day().unwrap_or(last)),
    })
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: CalendarMonth,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        let month: u8 = s[5..].parse().ok()?;
        Some(Self {
            year,
            month: CalendarMonth::try_from(month).ok()?,
        })
    }

    /// The month an instant falls in (UTC).
    pub fn of(t: Timestamp) -> Self {
        let d = day_of(t);
        Self {
            year: d.year(),
            month: d.month(),
        }
    }

    /// Its span.
    pub fn span(self) -> Span {
        let first = Date::from_calendar_date(self.year, self.month, 1).unwrap_or(Date::MIN);
        let (year, month) = if self.month == CalendarMonth::December {
            (self.year + 1, CalendarMonth::January)
        } else {
            (self.year, self.month.next())
        };
        let next = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MAX);
        Span {
            from: midnight(first),
            to: midnight(next),
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_meet_without_a_gap() {
        let nov = Month::parse("2026-11").unwrap();
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(nov.span().to, dec.span().from);
        assert_eq!(dec.span().to, Month::parse("2027-01").unwrap().span().from);
        assert_eq!(nov.span().from.to_rfc3339(), "2026-11-01T00:00:00.000Z");
        assert_eq!(nov.to_string(), "2026-11");
        assert_eq!(Month::of(nov.span().from), nov);
        assert_eq!(
            Month::of(nov.span().to.minus(std::time::Duration::from_micros(1))),
            nov
        );
        for bad in [
            "2026-13", "2026-00", "26-11", "2026/11", "2026-1", "2026-+1", "+026-11",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_include_both_ends() {
        let s = days(
            parse_day("2026-11-01").unwrap(),
            parse_day("2026-11-30").unwrap(),
        )
        .unwrap();
        assert_eq!(s, Month::parse("2026-11").unwrap().span());
        assert!(days(
            parse_day("2026-11-02").unwrap(),
            parse_day("2026-11-01").unwrap()
        )
        .is_none());
        for bad in [
            "2026-02-30",
            "2026-11-1",
            "x026-11-01",
            "2026-11-01T00",
            "+026-11-01",
            "2026-+1-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
