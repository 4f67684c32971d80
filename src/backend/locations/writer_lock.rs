//! One backend writes a location: the object `locks/writer` in each location names the backend
//! that writes it (instance id, host, pid, data dir) and when it last said so (`heartbeat`).
//!
//! - At start, `serve` takes the lock of every region's location. A lock held by another
//!   backend (another host or another data dir) whose heartbeat is younger than [`STALE_AFTER`]
//!   makes the start fail with [`LockError::Held`], which names the holder. A lock of this data
//!   dir on this host is taken over when the process that wrote it is gone (a restart, also
//!   after a crash) — not while it still runs (a second `serve` on the same data dir) — and a
//!   stale lock is taken over always.
//! - While running, the heartbeat is rewritten every [`HEARTBEAT_INTERVAL`] (one GET and one PUT
//!   per location; nothing per request). A clean shutdown deletes the lock.
//! - A location that cannot be reached at start does not stop the start (as before: its vaults
//!   report it unavailable); the heartbeat takes the lock once it answers. During an outage drill
//!   (`SetRegionOutage`) the heartbeat of that location pauses.
//!
//! The lock is advisory and best effort: the object store has no compare-and-swap here, so two
//! backends starting within the same second could both believe they won; the read-back after the
//! write narrows that window, it does not close it.
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backend::catalog::now;
use crate::backend::storage::{Location, StorageError};

/// The lock object's key, relative to the location root.
pub const LOCK_KEY: &str = "locks/writer";
/// How often a running backend rewrites its heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);
/// A lock whose heartbeat is older than this is stale: its backend is gone, it may be taken over.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

/// The content of `locks/writer` (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterLock {
    pub version: u32,
    /// Random per process start.
    pub instance_id: String,
    pub host: String,
    pub pid: u32,
    pub data_dir: String,
    /// Unix seconds of the last heartbeat.
    pub heartbeat: i64,
}

impl WriterLock {
    /// Same backend (host and data dir) and not another live process of it: a restart, also
    /// after a crash, may take over; a second `serve` started on the same data dir while the
    /// first still runs may not.
    /// `self` is the lock found in the location, `me` this process's.
    fn same_backend(&self, me: &WriterLock) -> bool {
        let holder_still_runs = self.pid != me.pid && crate::platform::process_alive(self.pid);
        self.host == me.host && self.data_dir == me.data_dir && !holder_still_runs
    }

    fn age_secs(&self) -> i64 {
        (now() - self.heartbeat).max(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the storage location {location} is in use by another backend (host {}, data dir {}, pid {}, instance {}, last heartbeat {age_secs} s ago): \
         one backend writes a location. Stop that backend, give this one its own location in config.toml, or, if that backend is gone, \
         start again once its lock is older than {} s",
        holder.host, holder.data_dir, holder.pid, holder.instance_id, STALE_AFTER.as_secs()
    )]
    Held { location: String, holder: WriterLock, age_secs: i64 },
    #[error("the writer lock of {location}: {source}")]
    Storage { location: String, source: StorageError },
}

/// The writer locks this backend holds, one per location.
pub struct LocationLocks {
    me: WriterLock,
    locations: Mutex<Vec<Location>>,
}

/// This host's name (also `DescribeBackupClients`' `Hostname`: the clients run in the backend).
pub fn host_name() -> String {
    crate::platform::host_name()
}

impl LocationLocks {
    pub fn new(data_dir: &Path) -> LocationLocks {
        let data_dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        LocationLocks {
            me: WriterLock {
                version: 1,
                instance_id: uuid::Uuid::new_v4().to_string(),
                host: host_name(),
                pid: std::process::id(),
                data_dir: data_dir.display().to_string(),
                heartbeat: 0,
            },
            locations: Mutex::new(Vec::new()),
        }
    }

    /// This backend's identity as written into the locks.
    pub fn holder(&self) -> &WriterLock {
        &self.me
    }

    fn held(&self) -> Vec<Location> {
        self.locations.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Takes the lock of `location` (see the module doc). An unreachable location is remembered
    /// and locked by a later heartbeat.
    pub async fn acquire(&self, location: &Location) -> Result<(), LockError> {
        let result = self.write(location).await;
        match result {
            Err(LockError::Storage { source: StorageError::Unavailable(ref m), .. }) => {
                tracing::warn!(location = %location.describe(), %m, "cannot take the location's writer lock now; the heartbeat takes it when the location answers");
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let mut held = self.locations.lock().unwrap_or_else(|p| p.into_inner());
        if !held.iter().any(|l| l.describe() == location.describe()) {
            held.push(location.clone());
        }
        Ok(())
    }

    async fn read(&self, location: &Location) -> Result<Option<WriterLock>, LockError> {
        let storage = |source| LockError::Storage { location: location.describe(), source };
        match location.get(LOCK_KEY).await {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()), // unreadable = no valid lock
            Err(StorageError::NotFound { .. }) => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    /// Writes this backend's lock unless a live lock of another backend is there.
    async fn write(&self, location: &Location) -> Result<(), LockError> {
        let storage = |source| LockError::Storage { location: location.describe(), source };
        let held_by_other = |holder: WriterLock| {
            let age_secs = holder.age_secs();
            (!holder.same_backend(&self.me) && age_secs < STALE_AFTER.as_secs() as i64).then(|| LockError::Held { location: location.describe(), holder, age_secs })
        };
        if let Some(e) = self.read(location).await?.and_then(held_by_other) {
            return Err(e);
        }
        let mine = WriterLock { heartbeat: now(), ..self.me.clone() };
        let bytes = serde_json::to_vec_pretty(&mine).map_err(|e| storage(StorageError::Internal(e.to_string())))?;
        location.put(LOCK_KEY, bytes.into()).await.map_err(storage)?;
        // Read back: of two backends writing at once, the one whose write landed last wins.
        match self.read(location).await? {
            Some(back) if back.instance_id == self.me.instance_id => Ok(()),
            Some(other) => Err(held_by_other(other.clone()).unwrap_or(LockError::Held { location: location.describe(), age_secs: other.age_secs(), holder: other })),
            None => Err(storage(StorageError::Unavailable("the writer lock vanished right after it was written".into()))),
        }
    }

    /// Rewrites the heartbeat of every held location. A location taken over meanwhile by another
    /// backend (this one stalled longer than `STALE_AFTER`) is logged as an error each time.
    pub async fn heartbeat(&self) {
        for location in self.held() {
            if location.is_offline() {
                continue; // outage drill: the location refuses every operation
            }
            match self.write(&location).await {
                Ok(()) => {}
                Err(e @ LockError::Held { .. }) => tracing::error!(%e, "writer lock lost"),
                Err(e) => tracing::warn!(%e, "cannot refresh the writer lock"),
            }
        }
    }

    /// Refreshes the heartbeats until the task is aborted.
    pub async fn run_heartbeat(locks: std::sync::Arc<LocationLocks>) {
        loop {
            tokio::time::sleep(HEARTBEAT_INTERVAL).await;
            locks.heartbeat().await;
        }
    }

    /// Deletes this backend's locks (clean shutdown). A lock of another backend is left alone.
    pub async fn release(&self) {
        for location in self.held() {
            match self.read(&location).await {
                Ok(Some(l)) if l.instance_id == self.me.instance_id => {
                    if let Err(e) = location.delete(LOCK_KEY).await {
                        tracing::warn!(location = %location.describe(), %e, "cannot release the writer lock; it goes stale in {} s", STALE_AFTER.as_secs());
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(%e, "cannot release the writer lock; it goes stale in {} s", STALE_AFTER.as_secs()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::storage::LocationConfig;

    fn local(dir: &Path) -> Location {
        Location::open(&LocationConfig::Local { path: dir.to_path_buf() }).unwrap()
    }

    #[tokio::test]
    async fn a_second_backend_is_refused_a_stale_lock_is_taken_over() {
        let loc_dir = tempfile::tempdir().unwrap();
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let loc = local(loc_dir.path());
        let a = LocationLocks::new(a_dir.path());
        a.acquire(&loc).await.unwrap();
        let b = LocationLocks::new(b_dir.path());
        let err = b.acquire(&loc).await.unwrap_err();
        assert!(matches!(&err, LockError::Held { holder, .. } if holder.instance_id == a.holder().instance_id), "{err}");
        assert!(err.to_string().contains("in use by another backend"), "{err}");

        // a restart of A (same host and data dir, new instance) takes over at once
        let a2 = LocationLocks::new(a_dir.path());
        a2.acquire(&loc).await.unwrap();

        // a stale lock is taken over
        let mut stale = a2.holder().clone();
        stale.heartbeat = now() - STALE_AFTER.as_secs() as i64 - 1;
        loc.put(LOCK_KEY, serde_json::to_vec(&stale).unwrap().into()).await.unwrap();
        b.acquire(&loc).await.unwrap();
        a2.heartbeat().await; // A2 finds B's live lock: logged, B keeps it
        let back: WriterLock = serde_json::from_slice(&loc.get(LOCK_KEY).await.unwrap()).unwrap();
        assert_eq!(back.instance_id, b.holder().instance_id);

        // a clean shutdown releases it
        b.release().await;
        assert!(matches!(loc.get(LOCK_KEY).await, Err(StorageError::NotFound { .. })));
        a.acquire(&loc).await.unwrap();
    }

    #[tokio::test]
    async fn a_live_process_of_the_same_data_dir_keeps_its_lock_a_dead_one_does_not() {
        let loc_dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let loc = local(loc_dir.path());
        let me = LocationLocks::new(data.path());
        // Another process on this host, same data dir, fresh heartbeat.
        let mut other = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let theirs = WriterLock { pid: other.id(), instance_id: "other-process".into(), heartbeat: now(), ..me.holder().clone() };
        loc.put(LOCK_KEY, serde_json::to_vec(&theirs).unwrap().into()).await.unwrap();
        let err = me.acquire(&loc).await.unwrap_err();
        assert!(matches!(&err, LockError::Held { holder, .. } if holder.instance_id == "other-process"), "{err}");
        // Once it is gone (a crash), the same data dir takes over at once.
        other.kill().unwrap();
        other.wait().unwrap();
        me.acquire(&loc).await.unwrap();
        let back: WriterLock = serde_json::from_slice(&loc.get(LOCK_KEY).await.unwrap()).unwrap();
        assert_eq!(back.instance_id, me.holder().instance_id);
    }

    fn opts(dir: &Path) -> crate::backend::ServeOptions {
        crate::backend::ServeOptions {
            data_dir: dir.to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            historical_sync_delay: Duration::from_secs(3600),
            demo: false,
            credentials: Some(crate::backend::Credentials { access_key_id: "LTAItest".into(), access_key_secret: "secret".into() }),
        }
    }

    /// Two `serve`s, different data dirs, one location: the second refuses to start and says
    /// why; once the first stopped cleanly, it starts.
    #[tokio::test]
    async fn a_second_serve_on_the_same_location_refuses_to_start() {
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = crate::backend::start(opts(a_dir.path()), None).await.unwrap();
        let shared = a_dir.path().join("regions").join("cn-hangzhou");
        let config = format!("[[regions]]\nregion_id = \"cn-hangzhou\"\nlocation = {{ type = \"local\", path = {:?} }}\n", shared.display().to_string());
        std::fs::write(b_dir.path().join("config.toml"), config).unwrap();
        let err = match crate::backend::start(opts(b_dir.path()), None).await {
            Ok(_) => panic!("a second backend started on a location the first one writes"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("in use by another backend") && err.contains(&a_dir.path().canonicalize().unwrap().display().to_string()), "{err}");
        assert!(!b_dir.path().join("catalog.sqlite").exists(), "the refused backend created no catalog");

        // a restart of A on its own data dir is not refused
        a.shutdown().await;
        let a = crate::backend::start(opts(a_dir.path()), None).await.unwrap();
        a.shutdown().await;
        let b = crate::backend::start(opts(b_dir.path()), None).await.expect("the location is free after a clean shutdown");
        b.shutdown().await;
    }
}
