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
    /// The totals of the steps before this one (`next_step`): a job of several backups (a SQL
    /// Server job's databases) counts them all.
    earlier_bytes: AtomicU64,
    earlier_items: AtomicU64,
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
        self.bytes_total.store(self.earlier_bytes.load(Ordering::Relaxed) + bytes, Ordering::Relaxed);
        self.items_total.store(self.earlier_items.load(Ordering::Relaxed) + items, Ordering::Relaxed);
    }

    /// The step whose totals were set is over: the next one's add to them.
    pub fn next_step(&self) {
        self.earlier_bytes.store(self.bytes_total.load(Ordering::Relaxed), Ordering::Relaxed);
        self.earlier_items.store(self.items_total.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}
