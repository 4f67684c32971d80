//! Progress counters shared between a running storage operation and job tracking.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::error::StorageError;

/// Live counters of one operation; set `cancel` to stop it (it then returns `Canceled`).
#[derive(Default, Debug)]
pub struct Progress {
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub items_total: AtomicU64,
    pub items_done: AtomicU64,
    pub cancel: AtomicBool,
    /// When the work itself began, if not when the job's task did (a remote agent's job: when
    /// the agent claimed it), for the speed.
    pub started: std::sync::OnceLock<std::time::Instant>,
}

impl Progress {
    /// `Err(Canceled)` once cancellation was requested.
    pub fn check_cancel(&self) -> Result<(), StorageError> {
        if self.cancel.load(Ordering::Relaxed) {
            Err(StorageError::Canceled)
        } else {
            Ok(())
        }
    }

    pub(crate) fn add_bytes(&self, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_items(&self, n: u64) {
        self.items_done.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn set_totals(&self, bytes: u64, items: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
        self.items_total.store(items, Ordering::Relaxed);
    }
}
