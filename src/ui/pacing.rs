//! How often the console asks the backend for news and draws a frame when nothing happens.
//! Polls start fast (`FAST_POLL`) and back off, doubling up to `SLOW_POLL`, while nothing runs;
//! a running job or sync, a user action or an input event brings them back to fast. Frames are
//! drawn only when something changed, a poll is due, or a visible label changes by itself (the
//! widgets that show a countdown or an "x ago" ask for their own next frame).
use std::time::Duration;

/// The poll interval while something runs or right after the user acted.
pub const FAST_POLL: Duration = Duration::from_secs(2);
/// The longest poll interval, reached after a few polls in which nothing ran.
pub const SLOW_POLL: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Pacing {
    interval: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing { interval: FAST_POLL }
    }
}

impl Pacing {
    /// How old polled values may get before they are fetched again.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Something runs or the user acted: poll fast again.
    pub fn hurry(&mut self) {
        self.interval = FAST_POLL;
    }

    /// A poll came back with nothing running: wait twice as long next time (at most `SLOW_POLL`).
    pub fn relax(&mut self) {
        self.relax_until(None);
    }

    /// As `relax`, but poll again by `next_event` (a countdown on screen that ends then: the
    /// sync it announces starts, and its progress should show at once), never faster than
    /// `FAST_POLL`.
    pub fn relax_until(&mut self, next_event: Option<Duration>) {
        let relaxed = (self.interval * 2).min(SLOW_POLL);
        self.interval = match next_event {
            Some(d) => relaxed.min(d.max(FAST_POLL)),
            None => relaxed,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_to_the_slow_interval_and_hurries_back() {
        let mut p = Pacing::default();
        assert_eq!(p.interval(), FAST_POLL);
        for _ in 0..10 {
            p.relax();
        }
        assert_eq!(p.interval(), SLOW_POLL);
        p.hurry();
        assert_eq!(p.interval(), FAST_POLL);
    }

    #[test]
    fn a_countdown_ending_soon_keeps_polls_close() {
        let mut p = Pacing::default();
        for _ in 0..10 {
            p.relax_until(Some(Duration::from_secs(7)));
        }
        assert_eq!(p.interval(), Duration::from_secs(7));
        p.relax_until(Some(Duration::ZERO));
        assert_eq!(p.interval(), FAST_POLL, "never faster than FAST_POLL");
        p.relax_until(Some(Duration::from_secs(3600)));
        assert_eq!(p.interval(), FAST_POLL * 2, "a far event does not slow the back-off");
    }
}
