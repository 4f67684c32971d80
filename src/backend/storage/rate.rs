//! Byte-rate limits: the token bucket replication's copies and backups share (`RateLimiter`),
//! and a backup's `SpeedLimit` — hour-of-day windows, each with its own rate (`SpeedLimit`,
//! applied by `WindowedLimiter`).
//!
//! `SpeedLimit` is written `{startHour}|{endHour}|{KiB/s}` (or with `:` between the fields);
//! several windows are separated by `,`, or by `|` when the fields use `:` (the SDKs' form
//! `0:8:1024|18:24:2048`). Hours are 0..=24 in the backend host's local time; a window with
//! `start > end` wraps midnight (`22|6|512`); windows may not overlap. Outside every window a
//! backup is unlimited; a rate of 0 means unlimited too.
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shared byte-rate limiter (0 = unlimited): `reserve(n)` books `n` bytes and says how long
/// to wait so that the bytes booked since creation do not exceed `rate` per second.
pub(crate) struct RateLimiter {
    pub(crate) rate: u64,
    state: Mutex<(Instant, u64)>,
}

impl RateLimiter {
    pub(crate) fn new(rate: u64) -> Self {
        RateLimiter { rate, state: Mutex::new((Instant::now(), 0)) }
    }

    /// Books `n` bytes; the wait before they may be used.
    pub(crate) fn reserve(&self, n: u64) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.1 += n;
        let due = Duration::from_secs_f64(st.1 as f64 / self.rate as f64);
        due.saturating_sub(st.0.elapsed())
    }

    pub(crate) async fn take(&self, n: u64) {
        let wait = self.reserve(n);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// One window of a `SpeedLimit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeedWindow {
    pub start_hour: u8,
    pub end_hour: u8,
    pub kib_per_sec: u64,
}

impl SpeedWindow {
    fn contains(&self, hour: u8) -> bool {
        if self.start_hour <= self.end_hour {
            (self.start_hour..self.end_hour).contains(&hour)
        } else {
            hour >= self.start_hour || hour < self.end_hour
        }
    }
}

/// A backup's read-rate limit by hour of day (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpeedLimit {
    pub windows: Vec<SpeedWindow>,
}

impl SpeedLimit {
    /// Parses the wire form; the message says what is wrong.
    pub fn parse(s: &str) -> Result<SpeedLimit, String> {
        let s = s.trim();
        let windows: Vec<Vec<&str>> = if s.contains(':') {
            s.split([',', '|']).map(|w| w.split(':').collect()).collect()
        } else if s.contains(',') {
            s.split(',').map(|w| w.split('|').collect()).collect()
        } else {
            let f: Vec<&str> = s.split('|').collect();
            if !f.len().is_multiple_of(3) {
                return Err(format!("{s:?} is not {{startHour}}|{{endHour}}|{{KiB/s}}"));
            }
            f.chunks(3).map(|c| c.to_vec()).collect()
        };
        let mut out = Vec::new();
        for w in windows {
            let text = w.join("|");
            let [a, b, c] = w.as_slice() else { return Err(format!("{text:?} is not {{startHour}}|{{endHour}}|{{KiB/s}}")) };
            let hour = |v: &str| v.trim().parse::<u8>().ok().filter(|h| *h <= 24).ok_or_else(|| format!("{v:?} in {text:?} is not an hour from 0 to 24"));
            let (start_hour, end_hour) = (hour(a)?, hour(b)?);
            if start_hour == end_hour || start_hour == 24 {
                return Err(format!("{text:?}: a window runs from a start hour (0..=23) to a different end hour"));
            }
            let kib_per_sec = c.trim().parse::<u64>().ok().filter(|k| *k <= 1 << 30).ok_or_else(|| format!("{c:?} in {text:?} is not a rate in KiB/s"))?;
            let w = SpeedWindow { start_hour, end_hour, kib_per_sec };
            if let Some(o) = out.iter().find(|o: &&SpeedWindow| (0..24).any(|h| o.contains(h) && w.contains(h))) {
                return Err(format!("the windows {}-{} and {start_hour}-{end_hour} overlap", o.start_hour, o.end_hour));
            }
            out.push(w);
        }
        Ok(SpeedLimit { windows: out })
    }

    /// Without any window that limits.
    pub fn is_unlimited(&self) -> bool {
        self.windows.iter().all(|w| w.kib_per_sec == 0)
    }

    /// The normalised text: `start|end|KiB/s` windows joined by `,`.
    pub fn to_wire(&self) -> String {
        self.windows.iter().map(|w| format!("{}|{}|{}", w.start_hour, w.end_hour, w.kib_per_sec)).collect::<Vec<_>>().join(",")
    }

    /// Bytes per second at `hour` (0 = unlimited).
    pub fn rate_at(&self, hour: u8) -> u64 {
        self.windows.iter().find(|w| w.contains(hour)).map_or(0, |w| w.kib_per_sec * 1024)
    }
}

/// The hour of day (0..=23) on the backend host's local clock.
pub fn local_hour() -> u8 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    #[cfg(unix)]
    {
        let tt = t as libc::time_t;
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: localtime_r writes into `tm`, which outlives the call; `tt` is a valid time_t.
        if !unsafe { libc::localtime_r(&tt, &mut tm) }.is_null() {
            return tm.tm_hour.clamp(0, 23) as u8;
        }
    }
    ((t.rem_euclid(86_400)) / 3600) as u8
}

/// A `SpeedLimit` applied: a `RateLimiter` at the rate of the current hour's window, renewed
/// when the hour moves into another window.
pub(crate) struct WindowedLimiter {
    limit: SpeedLimit,
    current: Mutex<Option<(u64, std::sync::Arc<RateLimiter>)>>,
}

impl WindowedLimiter {
    pub(crate) fn new(limit: SpeedLimit) -> Self {
        WindowedLimiter { limit, current: Mutex::new(None) }
    }

    /// Books `n` bytes read now; the wait before reading on.
    pub(crate) fn reserve(&self, n: u64) -> Duration {
        let rate = self.limit.rate_at(local_hour());
        let limiter = {
            let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
            match &*cur {
                Some((r, l)) if *r == rate => l.clone(),
                _ => {
                    let l = std::sync::Arc::new(RateLimiter::new(rate));
                    *cur = Some((rate, l.clone()));
                    l
                }
            }
        };
        limiter.reserve(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_limits_parse_in_every_spelling_and_refuse_nonsense() {
        let one = SpeedLimit::parse("0|24|1024").unwrap();
        assert_eq!(one.windows, [SpeedWindow { start_hour: 0, end_hour: 24, kib_per_sec: 1024 }]);
        assert_eq!(one.rate_at(13), 1024 * 1024);
        assert_eq!(SpeedLimit::parse("0:24:1024").unwrap(), one);
        let two = SpeedLimit::parse("0:8:100|18:24:200").unwrap();
        assert_eq!(two, SpeedLimit::parse("0|8|100,18|24|200").unwrap());
        assert_eq!(two, SpeedLimit::parse("0|8|100|18|24|200").unwrap());
        assert_eq!((two.rate_at(7), two.rate_at(8), two.rate_at(23)), (100 * 1024, 0, 200 * 1024));
        assert_eq!(two.to_wire(), "0|8|100,18|24|200");
        let wrap = SpeedLimit::parse("22|6|50").unwrap();
        assert_eq!((wrap.rate_at(23), wrap.rate_at(3), wrap.rate_at(6)), (50 * 1024, 50 * 1024, 0));
        for bad in ["", "1|2", "0|25|10", "5|5|10", "a|b|c", "0|8|-1", "0|10|5,8|12|5", "22|6|1,5|7|1", "24|2|1"] {
            assert!(SpeedLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_limiter_books_bytes_at_its_rate() {
        let l = RateLimiter::new(1000);
        assert!(l.reserve(500) > Duration::from_millis(400));
        assert!(l.reserve(500) > Duration::from_millis(900));
        assert_eq!(RateLimiter::new(0).reserve(1 << 30), Duration::ZERO);
    }
}
