//! A plan's `Schedule`: `I|{startUnixSeconds}|{ISO 8601 duration}`, e.g. `I|1631685600|P1D`.
//!
//! The interval is an ISO 8601 duration (parsed by the `iso8601` crate) of weeks, days, hours,
//! minutes and seconds (`P1W`, `P1D`, `PT12H`, `PT1M`, `P1DT6H`), at least one second. Years
//! and months are refused: their length varies, and a fixed-interval schedule cannot honour
//! them (write `P30D` or `P365D` for a fixed period instead). Slots are
//! `start + k * interval` for k ≥ 0.

/// Longest interval accepted: 10 years of seconds.
const MAX_INTERVAL_SECS: i64 = 10 * 366 * 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub start: i64,
    pub interval_secs: i64,
}

impl Schedule {
    /// Parses the wire form; the message says what is wrong.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let parts: Vec<&str> = s.trim().split('|').collect();
        let [kind, start, interval] = parts.as_slice() else {
            return Err(format!("{s:?} is not I|{{startUnixSeconds}}|{{ISO 8601 duration}}, e.g. I|1631685600|P1D"));
        };
        if !kind.trim().eq_ignore_ascii_case("I") {
            return Err(format!("{kind:?}: only interval schedules (I|...) are supported"));
        }
        let start: i64 = start.trim().parse().ok().filter(|t| *t >= 0).ok_or_else(|| format!("{start:?} is not a start time in UNIX seconds"))?;
        Ok(Schedule { start, interval_secs: interval_secs(interval.trim())? })
    }

    /// The first slot at or after `t`.
    pub fn next_at_or_after(&self, t: i64) -> i64 {
        if t <= self.start {
            return self.start;
        }
        let k = (t - self.start + self.interval_secs - 1) / self.interval_secs;
        self.start.saturating_add(k.saturating_mul(self.interval_secs))
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: i64) -> i64 {
        self.next_at_or_after(t.saturating_add(1))
    }

    /// In words, for the console: "every day from <start>".
    pub fn every(&self) -> String {
        every(self.interval_secs)
    }
}

/// "every 2 hours", "every day", "every 90 seconds".
pub fn every(secs: i64) -> String {
    const UNITS: [(i64, &str); 5] = [(604_800, "week"), (86_400, "day"), (3600, "hour"), (60, "minute"), (1, "second")];
    for (n, name) in UNITS {
        if secs % n == 0 {
            return match secs / n {
                1 => format!("every {name}"),
                k => format!("every {k} {name}s"),
            };
        }
    }
    format!("every {secs} seconds")
}

/// Seconds of an ISO 8601 duration without years or months.
fn interval_secs(d: &str) -> Result<i64, String> {
    let bad = || format!("{d:?} is not an ISO 8601 duration such as P1D, PT1H or PT1M");
    let parsed = match iso8601::parsers::parse_duration(d.as_bytes()) {
        Ok(([], parsed)) => parsed,
        _ => return Err(bad()),
    };
    let secs: i64 = match parsed {
        iso8601::Duration::Weeks(w) => i64::from(w) * 604_800,
        iso8601::Duration::YMDHMS { year, month, day, hour, minute, second, millisecond } => {
            if year != 0 || month != 0 {
                return Err(format!("{d:?}: years and months vary in length and are not supported; use days (P30D, P365D)"));
            }
            if millisecond != 0 {
                return Err(format!("{d:?}: fractions of a second are not supported"));
            }
            i64::from(day) * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
        }
    };
    if !(1..=MAX_INTERVAL_SECS).contains(&secs) {
        return Err(format!("{d:?}: the interval must be from one second to ten years"));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_refuse_what_cannot_be_honoured() {
        assert_eq!(Schedule::parse("I|1631685600|P1D").unwrap(), Schedule { start: 1_631_685_600, interval_secs: 86_400 });
        assert_eq!(Schedule::parse("I|0|PT1H").unwrap().interval_secs, 3600);
        assert_eq!(Schedule::parse("I|0|PT1M").unwrap().interval_secs, 60);
        assert_eq!(Schedule::parse("I|0|P1W").unwrap().interval_secs, 604_800);
        assert_eq!(Schedule::parse("I|0|P1DT6H30M5S").unwrap().interval_secs, 86_400 + 6 * 3600 + 30 * 60 + 5);
        for bad in ["", "I|0", "C|0|P1D", "I|-5|P1D", "I|x|P1D", "I|0|P1M", "I|0|P1Y", "I|0|PT0S", "I|0|1D", "I|0|P1Dxyz", "I|0|PT0.5S", "I|0|P20Y"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slots_are_start_plus_whole_intervals() {
        let s = Schedule { start: 1000, interval_secs: 60 };
        assert_eq!(s.next_at_or_after(0), 1000);
        assert_eq!(s.next_at_or_after(1000), 1000);
        assert_eq!(s.next_after(1000), 1060);
        assert_eq!(s.next_at_or_after(1001), 1060);
        assert_eq!(s.next_after(1059), 1060);
        // after a long downtime the next slot in the future counts
        assert_eq!(s.next_after(1000 + 60 * 1000 + 7), 1000 + 60 * 1001);
        assert_eq!((every(86_400), every(7200), every(90), every(60)), ("every day".into(), "every 2 hours".into(), "every 90 seconds".into(), "every minute".into()));
    }
}
