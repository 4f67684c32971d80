//! Snapshot retention: the policy a snapshot carries (`policy.rs`), the retention a snapshot
//! gets when it is catalogued (`catalogue.rs`), expiry and removal (`expiry.rs`), and WORM
//! (`worm.rs`).
//!
//! `Retention` (on `AppState`) holds the retention clock and serialises removals. The clock is
//! the system time plus an offset that only tests set (`set_clock_offset`): expiry, WORM checks
//! and `DeleteVault`'s WORM refusal all read `Retention::now`, so a test moves them days ahead
//! without backdating catalog rows.
mod catalogue;
mod expiry;
pub mod policy;
pub mod worm;

use std::sync::atomic::{AtomicI64, Ordering};

pub use catalogue::retention_of;
pub use expiry::{expire_all, expire_vault, remove_snapshot, run, EXPIRY_INTERVAL};
pub use policy::{RetentionPolicy, RetentionRule};

#[derive(Default)]
pub struct Retention {
    clock_offset: AtomicI64,
    /// Held while a snapshot is removed (DeleteSnapshot, expiry): one removal at a time.
    removing: tokio::sync::Mutex<()>,
}

impl Retention {
    /// The retention clock: UNIX seconds.
    pub fn now(&self) -> i64 {
        crate::backend::catalog::now() + self.clock_offset.load(Ordering::Relaxed)
    }

    /// Held while snapshots are removed or their retention changes.
    pub async fn removal_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.removing.lock().await
    }

    /// Test clock knob: the retention clock runs `seconds` ahead of the system clock.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }
}
