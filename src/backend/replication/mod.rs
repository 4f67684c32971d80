//! Mirror replication. One worker pass per mirror: snapshots committed in the source after the
//! mirror exists are copied at once (real time, woken by every commit); older ones wait until
//! the mirror's historical start time. A copy moves only the packs the mirror lacks, manifest
//! last; a failing location pauses the mirror with its reason and retries with backoff.
//!
//! - `scheduler.rs`: the worker loop, one pass per wake-up or second, backoff of failing mirrors;
//! - `sync.rs`: one mirror's sync: what is due (real time, historical), pending bytes and lag,
//!   then the copies (the copy engine itself is `storage/copy.rs`);
//! - `stats.rs`: throughput per mirror and the ETA derived from it.
//!
//! In-process locking: `lock_mirror` (one async mutex per mirror) is held by a sync and by
//! whatever deletes or repairs from a mirror; `busy` keeps two passes from syncing one mirror.
mod scheduler;
mod stats;
mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{Mutex as AsyncMutex, Notify, OwnedMutexGuard};

#[derive(Default)]
pub struct Replicator {
    wake: Notify,
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    busy: Mutex<HashSet<String>>,
    /// Per mirror: consecutive failures and when to try again.
    backoff: Mutex<HashMap<String, (u32, Instant)>>,
    /// Per mirror: recent copy throughput in bytes/s, for the ETA.
    throughput: Mutex<HashMap<String, f64>>,
    /// Mirrors a pass skipped because their sync was running: a commit may have woken that pass,
    /// so the running sync triggers another pass when it ends (else it waits for the 1 s tick).
    rerun: Mutex<HashSet<String>>,
}

impl Replicator {
    /// Runs a pass now (after a commit, a new mirror, a settings change).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Forgets every backoff and runs a pass now (a region came back).
    pub fn retry_now(&self) {
        self.backoff.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.wake();
    }

    /// Held while a mirror is copied to or deleted, so a delete never races a copy.
    pub async fn lock_mirror(&self, vault_id: &str) -> OwnedMutexGuard<()> {
        let lock = self.locks.lock().unwrap_or_else(|p| p.into_inner()).entry(vault_id.to_string()).or_default().clone();
        lock.lock_owned().await
    }
}
