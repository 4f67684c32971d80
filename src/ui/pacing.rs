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
        self.interval = (self.interval * 2).min(SLOW_POLL);
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
}
