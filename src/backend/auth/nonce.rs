use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use super::WINDOW;

/// Nonces seen within the last window. `insert` returns false for a replay.
#[derive(Default)]
pub struct NonceStore {
    seen: Mutex<HashMap<String, SystemTime>>,
}

impl NonceStore {
    pub fn insert(&self, nonce: &str, now: SystemTime) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, t| now.duration_since(*t).map(|d| d < WINDOW).unwrap_or(true));
        }
        if let Some(t) = seen.get(nonce) {
            if now.duration_since(*t).map(|d| d < WINDOW).unwrap_or(true) {
                return false;
            }
        }
        seen.insert(nonce.to_string(), now);
        true
    }
}
