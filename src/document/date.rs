//! Disclosure dates: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, Beijing time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A calendar date with an optional time of day, as disclosure pages give it.
///
/// Ordering is chronological; a date without a time sorts before the same date with one.
/// Twelve bytes (a site holds three for each of its documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DisclosureDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub time: Option<(u8, u8, u8)>,
}

impl DisclosureDate {
    pub fn ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        chrono::NaiveDate::from_ymd_opt(year, month, day)?;
        Some(DisclosureDate {
            year,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
            time: None,
        })
    }

    pub fn with_time(self, h: u32, m: u32, s: u32) -> Option<Self> {
        chrono::NaiveTime::from_hms_opt(h, m, s)?;
        let small = |n: u32| u8::try_from(n).ok();
        Some(DisclosureDate {
            time: Some((small(h)?, small(m)?, small(s)?)),
            ..self
        })
    }

    /// `YYYY-MM-DD`, the form shown in lists.
    pub fn date_string(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// RFC 3339 in Beijing time, for Atom feeds and sitemaps.
    pub fn rfc3339(&self) -> String {
        let (h, m, s) = self.time.unwrap_or((0, 0, 0));
        format!("{}T{h:02}:{m:02}:{s:02}+08:00", self.date_string())
    }
}

impl fmt::Display for DisclosureDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.date_string())?;
        if let Some((h, m, s)) = self.time {
            write!(f, " {h:02}:{m:02}:{s:02}")?;
        }
        Ok(())
    }
}

/// Why a date string was refused; the message tells the user the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(pub String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DisclosureDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            DateError(format!(
                "`{s}` is not a date; write YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (Beijing time)"
            ))
        };
        let s = s.trim();
        let (date, time) = match s.split_once([' ', 'T']) {
            Some((d, t)) => (d, Some(t.trim())),
            None => (s, None),
        };
        let mut parts = date.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
        let out = DisclosureDate::ymd(num(y)? as i32, num(m)?, num(d)?)
            .ok_or_else(|| DateError(format!("`{s}` is not a day of the calendar")))?;
        let Some(time) = time else { return Ok(out) };
        let fields: Vec<&str> = time.split(':').collect();
        if !(fields.len() == 2 || fields.len() == 3) || fields.iter().any(|f| f.len() != 2) {
            return Err(bad());
        }
        let h = num(fields[0])?;
        let mi = num(fields[1])?;
        let sec = if fields.len() == 3 {
            num(fields[2])?
        } else {
            0
        };
        out.with_time(h, mi, sec)
            .ok_or_else(|| DateError(format!("`{s}` has no such time of day")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_twelve_bytes_with_or_without_its_option() {
        assert_eq!(size_of::<Option<DisclosureDate>>(), 12);
    }

    #[test]
    fn parses_both_forms() {
        let d: DisclosureDate = "2021-01-12".parse().unwrap();
        assert_eq!(d.to_string(), "2021-01-12");
        let d: DisclosureDate = "2021-01-12 16:15:50".parse().unwrap();
        assert_eq!(d.to_string(), "2021-01-12 16:15:50");
        assert_eq!(d.rfc3339(), "2021-01-12T16:15:50+08:00");
        // Portals often give minutes only.
        let d: DisclosureDate = "2022-06-26 11:20".parse().unwrap();
        assert_eq!(d.to_string(), "2022-06-26 11:20:00");
    }

    #[test]
    fn refuses_bad_dates() {
        for s in [
            "2021-13-01",
            "2021-02-30",
            "21-01-01",
            "2021/01/01",
            "昨天",
            "2021-01-01 25:00",
        ] {
            assert!(s.parse::<DisclosureDate>().is_err(), "{s}");
        }
    }

    #[test]
    fn orders_chronologically() {
        let a: DisclosureDate = "2021-01-12".parse().unwrap();
        let b: DisclosureDate = "2021-01-12 08:00:00".parse().unwrap();
        let c: DisclosureDate = "2021-02-01".parse().unwrap();
        assert!(a < b && b < c);
    }
}
