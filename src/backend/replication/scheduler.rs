//! The replication scheduler: a pass per wake-up (a commit, a new mirror, a settings change) or
//! every second; each due mirror syncs in its own task, a failing one waits with backoff.
use std::time::{Duration, Instant};

use crate::backend::catalog::LogFailure;
use crate::backend::state::AppState;

use super::Replicator;

/// Longest wait between retries of a failing mirror.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Replicator {
    /// The scheduler: a pass per wake-up or every second.
    pub async fn run(state: AppState) {
        loop {
            Self::pass(&state);
            tokio::select! {
                _ = state.replicator.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    fn pass(state: &AppState) {
        let pairs = match state.catalog.mirror_pairs() {
            Ok(p) => p,
            Err(e) => return tracing::error!(%e, "replication: cannot list mirrors"),
        };
        for pair in pairs {
            let mirror_id = pair.0.clone();
            if let Some((_, at)) = state.replicator.backoff.lock().unwrap_or_else(|p| p.into_inner()).get(&mirror_id) {
                if Instant::now() < *at {
                    continue;
                }
            }
            if !state.replicator.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.clone()) {
                state.replicator.rerun.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.clone());
                continue;
            }
            let st = state.clone();
            tokio::spawn(async move {
                let result = super::sync::sync_mirror(&st, &pair).await;
                let r = &st.replicator;
                match result {
                    Ok(()) => {
                        r.backoff.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0);
                        // The mirror's own retention (or its copies' source retention).
                        crate::backend::retention::expire_vault(&st, &pair.0).await;
                    }
                    Err((status, message)) => {
                        tracing::warn!(mirror = %pair.0, %message, "replication {status}");
                        st.catalog.set_replication_status(&pair.0, status, &message).or_log_vault(&pair.0, "replication status");
                        let mut b = r.backoff.lock().unwrap_or_else(|p| p.into_inner());
                        let n = b.get(&pair.0).map(|x| x.0 + 1).unwrap_or(1);
                        let wait = Duration::from_secs(1 << n.min(6)).min(MAX_BACKOFF);
                        b.insert(pair.0.clone(), (n, Instant::now() + wait));
                    }
                }
                r.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0);
                if r.rerun.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0) {
                    r.wake();
                }
            });
        }
    }
}
