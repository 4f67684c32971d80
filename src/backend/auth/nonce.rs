use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::SystemTime;

use super::WINDOW;

/// Nonces seen within the last window. `insert` returns false for a replay.
///
/// Expired nonces are dropped from the front of an insertion-ordered queue, O(1) amortised per
/// request. (It used to scan the whole map on every request once it held 100,000 nonces, which
/// made each request O(n) under sustained load: more than ~110 requests/s for 15 minutes.)
#[derive(Default)]
pub struct NonceStore {
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    by_nonce: HashMap<String, SystemTime>,
    order: VecDeque<(SystemTime, String)>,
}

fn fresh(t: SystemTime, now: SystemTime) -> bool {
    now.duration_since(t).map(|d| d < WINDOW).unwrap_or(true)
}

impl NonceStore {
    pub fn insert(&self, nonce: &str, now: SystemTime) -> bool {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((t, _)) = s.order.front() {
            if fresh(*t, now) {
                break;
            }
            let (t, n) = s.order.pop_front().expect("front exists");
            // only forget it if it was not seen again later
            if s.by_nonce.get(&n) == Some(&t) {
                s.by_nonce.remove(&n);
            }
        }
        if let Some(t) = s.by_nonce.get(nonce) {
            if fresh(*t, now) {
                return false;
            }
        }
        s.by_nonce.insert(nonce.to_string(), now);
        s.order.push_back((now, nonce.to_string()));
        true
    }

    /// Nonces currently remembered.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).by_nonce.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn replays_within_the_window_are_refused_and_old_nonces_expire() {
        let s = NonceStore::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(s.insert("a", t0));
        assert!(!s.insert("a", t0 + Duration::from_secs(60)));
        for i in 0..1000 {
            assert!(s.insert(&format!("n{i}"), t0 + Duration::from_millis(i)));
        }
        let later = t0 + WINDOW + Duration::from_secs(2);
        assert!(s.insert("a", later), "an expired nonce may be used again");
        assert_eq!(s.len(), 1, "expired nonces are forgotten");
        assert!(!s.insert("a", later + Duration::from_secs(1)));
    }
}
