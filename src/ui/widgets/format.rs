//! Human formats: bytes, durations, times and speeds.
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the UNIX epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `1.5 GiB`, `320 KiB`, `12 B`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let n = n.max(0) as f64;
    let mut value = n;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", n as i64)
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `4.2 MiB/s`.
pub fn speed(bytes_per_second: i64) -> String {
    format!("{}/s", bytes(bytes_per_second))
}

/// `2m 41s`, `1h 05m`, `3d 4h`, `12s`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else {
        format!("{sec}s")
    }
}

/// A short relative time: `just now`, `5m ago`, `3h ago`, `2d ago`, `never`.
pub fn ago(unix: i64, now: i64) -> String {
    if unix <= 0 {
        return "never".into();
    }
    let d = now - unix;
    if d < 10 {
        "just now".into()
    } else if d < 60 {
        format!("{d}s ago")
    } else if d < 3600 {
        format!("{}m ago", d / 60)
    } else if d < 86_400 {
        format!("{}h ago", d / 3600)
    } else {
        format!("{}d ago", d / 86_400)
    }
}

/// When the text of `ago(unix, now)` next changes: every second under a minute, else every minute.
pub fn ago_changes_in(unix: i64, now: i64) -> std::time::Duration {
    let d = now - unix;
    if unix <= 0 {
        // "never" never changes by itself; an hour is a safe "not soon".
        std::time::Duration::from_secs(3600)
    } else if d < 10 {
        std::time::Duration::from_secs((10 - d).max(1) as u64)
    } else if d < 60 {
        std::time::Duration::from_secs(1)
    } else {
        std::time::Duration::from_secs(60 - (d % 60) as u64)
    }
}

/// When the text of `duration(seconds)` of a countdown next changes: every second while it shows
/// seconds (under an hour), else every minute.
pub fn countdown_changes_in(seconds: i64) -> std::time::Duration {
    if seconds < 3600 {
        std::time::Duration::from_secs(1)
    } else {
        std::time::Duration::from_secs((seconds % 60).max(1) as u64)
    }
}

/// `2026-11-03 14:05:09` (UTC).
pub fn datetime(unix: i64) -> String {
    if unix <= 0 {
        return "—".into();
    }
    let t = UNIX_EPOCH + std::time::Duration::from_secs(unix as u64);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    // 2026-11-03T14:05:09Z → 2026-11-03 14:05:09 UTC
    format!("{} UTC", s.trim_end_matches('Z').replacen('T', " ", 1))
}

/// A fractional lag in seconds: `0.4 s`, `12 s`, `3m 10s`.
pub fn lag(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else {
        duration(seconds.round() as i64)
    }
}

/// Count and noun: `1 snapshot`, `3 snapshots`.
pub fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(50 * 1024 * 1024), "50 MiB");
        assert_eq!(duration(161), "2m 41s");
        assert_eq!(duration(3900), "1h 05m");
        assert_eq!(duration(7), "7s");
        assert_eq!(ago(0, 100), "never");
        assert_eq!(ago(1000, 1300), "5m ago");
        assert_eq!(datetime(0), "—");
        assert_eq!(datetime(86_400), "1970-01-02 00:00:00 UTC");
        assert_eq!(plural(1, "snapshot"), "1 snapshot");
        assert_eq!(lag(0.44), "0.4 s");
    }

    #[test]
    fn labels_say_when_their_text_changes() {
        use std::time::Duration;
        assert_eq!(ago_changes_in(1000, 1003), Duration::from_secs(7), "'just now' turns into '10s ago'");
        assert_eq!(ago_changes_in(1000, 1030), Duration::from_secs(1));
        assert_eq!(ago_changes_in(1000, 1000 + 125), Duration::from_secs(55), "'2m ago' turns into '3m ago'");
        assert_eq!(countdown_changes_in(59 * 60), Duration::from_secs(1), "under an hour the countdown shows seconds");
        assert_eq!(countdown_changes_in(2 * 3600 + 30), Duration::from_secs(30));
    }
}
