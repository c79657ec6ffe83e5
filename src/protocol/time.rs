//! Timestamps as FTP sends them: MDTM/MLSD `YYYYMMDDHHMMSS[.fff]` in UTC (RFC 3659).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC date and time as sent by the server, to the second plus optional fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanosecond: u32,
}

impl Timestamp {
    /// Parses `YYYYMMDDHHMMSS` with an optional `.fraction` (any number of digits).
    pub fn parse_mdtm(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let (main, frac) = match text.split_once('.') {
            Some((m, f)) => (m, Some(f)),
            None => (text, None),
        };
        if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| main[r].parse::<u32>().ok();
        let nanosecond = match frac {
            None => 0,
            Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
                let digits: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
                digits.parse().ok()?
            }
            Some(_) => return None,
        };
        Timestamp::new(
            num(0..4)? as i32,
            num(4..6)? as u8,
            num(6..8)? as u8,
            num(8..10)? as u8,
            num(10..12)? as u8,
            num(12..14)? as u8,
        )
        .map(|t| Timestamp { nanosecond, ..t })
    }

    /// A checked timestamp; `None` when a field is out of range (a leap second is accepted).
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second <= 60;
        valid.then_some(Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond: 0,
        })
    }

    /// Seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The same instant as a `SystemTime`.
    pub fn to_system_time(&self) -> SystemTime {
        let secs = self.unix_seconds();
        let nanos = Duration::from_nanos(u64::from(self.nanosecond));
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64) + nanos
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos
        }
    }

    /// The UTC timestamp of an instant, to the second.
    pub fn from_system_time(time: SystemTime) -> Timestamp {
        let secs = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        Timestamp::from_unix_seconds(secs)
    }

    /// The UTC timestamp of a Unix time.
    pub fn from_unix_seconds(secs: i64) -> Timestamp {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Timestamp {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            nanosecond: 0,
        }
    }

    /// The `YYYYMMDDHHMMSS` form used by MFMT and MDTM.
    pub fn to_mdtm(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl fmt::Display for Timestamp {
    /// ISO 8601 in UTC: `2024-01-31T12:34:56Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mdtm() {
        let t = Timestamp::parse_mdtm("20240229123456").unwrap();
        assert_eq!((t.year, t.month, t.day), (2024, 2, 29));
        assert_eq!((t.hour, t.minute, t.second), (12, 34, 56));
        assert_eq!(t.to_mdtm(), "20240229123456");
        assert_eq!(t.to_string(), "2024-02-29T12:34:56Z");
        let t = Timestamp::parse_mdtm("19700101000001.5").unwrap();
        assert_eq!(t.unix_seconds(), 1);
        assert_eq!(t.nanosecond, 500_000_000);
    }

    #[test]
    fn rejects_bad_mdtm() {
        for bad in [
            "",
            "2024022912345",
            "20230229123456",
            "20241301000000",
            "20240101250000",
            "2024010100000x",
            "20240101000000.",
            "20240101000000.x",
        ] {
            assert_eq!(Timestamp::parse_mdtm(bad), None, "{bad}");
        }
    }

    #[test]
    fn unix_round_trip() {
        for secs in [0i64, 1, 86_399, 951_782_400, 1_700_000_000, -1, -86_401] {
            let t = Timestamp::from_unix_seconds(secs);
            assert_eq!(t.unix_seconds(), secs, "{t}");
        }
        let t = Timestamp::parse_mdtm("20000301000000").unwrap();
        assert_eq!(t.unix_seconds(), 951_868_800);
    }
}
