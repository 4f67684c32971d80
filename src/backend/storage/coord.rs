//! How prune shares a vault with the operations running beside it (docs/design.md, "Prune and
//! what runs beside it"): the pin sets of in-flight writers, the reader tokens prune waits for
//! before it deletes a rewritten pack, the gate a copy into the vault takes, and the flag that
//! keeps a second prune of the same vault out. One `Coord` per vault in the process, shared by
//! every `Repo` opened on it (the hub reopens a vault after verify or repair while other jobs may
//! still hold the old one): prune's decision drops chunks from the chunk index of each.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use super::index::ChunkIndex;
use std::time::Duration;

use super::error::StorageError;
use super::ids::Id;
use super::progress::Progress;

/// A pinned chunk is kept by the 8 first bytes of its id: a collision only keeps a garbage
/// chunk one prune longer, and a pin costs a quarter of the memory.
pub(crate) fn pin_key(id: &Id) -> u64 {
    u64::from_le_bytes(id[..8].try_into().expect("ids are 32 bytes"))
}

#[derive(Default)]
pub(crate) struct PinState {
    next: u64,
    sets: HashMap<u64, HashSet<u64>>,
    /// Set while a prune is between its start and its decision: pins released meanwhile are
    /// kept in `retired`, so a snapshot committed after prune listed the manifests stays live.
    prune_active: bool,
    retired: HashSet<u64>,
}

impl PinState {
    /// Pins of running writers plus those retired since the prune started.
    pub(crate) fn all_pins(&self) -> HashSet<u64> {
        let mut out = self.retired.clone();
        for s in self.sets.values() {
            out.extend(s.iter().copied());
        }
        out
    }

    pub(crate) fn pin(&mut self, set: u64, id: &Id) {
        if let Some(s) = self.sets.get_mut(&set) {
            s.insert(pin_key(id));
        }
    }
}

#[derive(Default)]
struct Readers {
    next: u64,
    active: BTreeSet<u64>,
}

#[derive(Default)]
pub(crate) struct Coord {
    /// Taken briefly by every dedup lookup of a writer and by prune's decision phase. Lock
    /// order: this, then the chunk index.
    pins: Mutex<PinState>,
    readers: Arc<Mutex<Readers>>,
    /// Copies into the vault (replication, repair) read-lock it; prune write-locks it.
    pub gate: tokio::sync::RwLock<()>,
    /// Held by the running prune.
    pub pruning: tokio::sync::Mutex<()>,
    /// The chunk indexes of the repos open on this vault.
    indexes: Mutex<Vec<Weak<RwLock<ChunkIndex>>>>,
}

/// location description + vault id -> its coordinator (while any repo of it is open).
static REGISTRY: Mutex<Option<HashMap<String, Weak<Coord>>>> = Mutex::new(None);

/// A writer's pin set; dropping it releases the pins (into `retired` while a prune runs).
pub(crate) struct PinGuard {
    coord: Arc<Coord>,
    pub(crate) set: u64,
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        let mut st = self.coord.lock_pins();
        if let Some(s) = st.sets.remove(&self.set) {
            if st.prune_active {
                st.retired.extend(s);
            }
        }
    }
}

/// A running reader (restore, copy from the vault, verify); prune deletes a rewritten pack's
/// old copy only once every reader that started before the rewrite has ended.
pub(crate) struct ReadGuard {
    readers: Arc<Mutex<Readers>>,
    token: u64,
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .active
            .remove(&self.token);
    }
}

impl Coord {
    /// The coordinator of a vault, registering `index` (a repo being opened) with it.
    pub(crate) fn for_vault(
        location: &str,
        vault_id: &str,
        index: &Arc<RwLock<ChunkIndex>>,
    ) -> Arc<Coord> {
        let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        let map = reg.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        let key = format!("{location}\u{1f}{vault_id}");
        let coord = match map.get(&key).and_then(Weak::upgrade) {
            Some(c) => c,
            None => {
                let c = Arc::new(Coord::default());
                map.insert(key, Arc::downgrade(&c));
                c
            }
        };
        let mut idx = coord.indexes.lock().unwrap_or_else(|p| p.into_inner());
        idx.retain(|w| w.strong_count() > 0);
        idx.push(Arc::downgrade(index));
        drop(idx);
        coord
    }

    /// Runs `f` on the chunk index of every other open repo of the vault (call with the
    /// pins locked; `own` is skipped).
    pub(crate) fn other_indexes(
        &self,
        own: &Arc<RwLock<ChunkIndex>>,
        mut f: impl FnMut(&mut ChunkIndex),
    ) {
        let list: Vec<Arc<RwLock<ChunkIndex>>> = self
            .indexes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for i in list {
            if !Arc::ptr_eq(&i, own) {
                f(&mut i.write().unwrap_or_else(|p| p.into_inner()));
            }
        }
    }

    pub(crate) fn lock_pins(&self) -> MutexGuard<'_, PinState> {
        self.pins.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn new_pins(self: &Arc<Self>) -> PinGuard {
        let mut st = self.lock_pins();
        st.next += 1;
        let set = st.next;
        st.sets.insert(set, HashSet::new());
        PinGuard {
            coord: self.clone(),
            set,
        }
    }

    /// Prune starts (`true`, clears what an earlier prune retired) or has decided (`false`).
    pub(crate) fn set_prune_active(&self, active: bool) {
        let mut st = self.lock_pins();
        st.prune_active = active;
        st.retired.clear();
    }

    pub(crate) fn reader(&self) -> ReadGuard {
        let mut r = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        r.next += 1;
        let token = r.next;
        r.active.insert(token);
        ReadGuard {
            readers: self.readers.clone(),
            token,
        }
    }

    /// The token the next reader gets: readers below it started before now.
    pub(crate) fn reader_cutoff(&self) -> u64 {
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).next + 1
    }

    /// Waits until no reader that started before `cutoff` is running.
    pub(crate) async fn wait_readers(
        &self,
        cutoff: u64,
        progress: &Progress,
    ) -> Result<(), StorageError> {
        loop {
            let oldest = self
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .active
                .first()
                .copied();
            match oldest {
                Some(t) if t < cutoff => {
                    progress.check_cancel()?;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ => return Ok(()),
            }
        }
    }
}
