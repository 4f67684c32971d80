//! Peak RSS of the backend while it backs up a large generated tree. The backend runs as a child
//! process (`mirrorvault serve`), so its `VmHWM` is the backend's alone.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::error::{bail, BenchError, BenchResult, IoContext as _};

use super::measure::proc_rss;
use crate::client::{Client, Credentials};

pub struct MemoryResult {
    pub bytes: u64,
    pub peak_rss: u64,
    pub idle_rss: u64,
    pub backup_seconds: f64,
    pub samples: usize,
    /// The same backend's peak while it then syncs a new mirror of the vault, and while it
    /// prunes the vault (its peak reset before each, `clear_refs`); None where it cannot be
    /// reset (not Linux).
    pub mirror: Option<Peak>,
    /// ...while it backs the same tree up again, unchanged (the parent's files compared).
    pub incremental: Option<Peak>,
    pub prune: Option<Peak>,
}

/// Peak RSS of the backend during one operation, its RSS when the operation started (what
/// the allocator kept of earlier work), and how long it ran.
pub struct Peak {
    pub rss: u64,
    pub before: u64,
    pub seconds: f64,
}

/// Samples the RSS of `pid` every 100 ms until `done` says the operation ended; the peak is
/// the process's `VmHWM`, reset first (so it is this operation's).
fn peak_while(pid: u32, mut done: impl FnMut() -> BenchResult<bool>) -> BenchResult<Option<Peak>> {
    if !super::measure::reset_peak_rss(pid) {
        return Ok(None);
    }
    let before = proc_rss(pid).map(|(_, rss)| rss).unwrap_or(0);
    let start = Instant::now();
    let mut peak = 0u64;
    loop {
        if let Some((hwm, rss)) = proc_rss(pid) {
            peak = peak.max(hwm).max(rss);
        }
        if done()? {
            break;
        }
        if start.elapsed() > Duration::from_secs(3600) {
            bail!("not finished within an hour");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some((hwm, _)) = proc_rss(pid) {
        peak = peak.max(hwm);
    }
    Ok(Some(Peak { rss: peak, before, seconds }))
}

pub(super) struct ChildServer {
    pub(super) child: Child,
    pub(super) endpoint: String,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = crate::platform::terminate(&mut self.child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn spawn_server(exe: &Path, data_dir: &Path, creds: &Credentials) -> BenchResult<ChildServer> {
    let mut child = Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--historical-sync-delay")
        .arg("24h")
        .env(crate::backend::ENV_KEY_ID, &creds.access_key_id)
        .env(crate::backend::ENV_KEY_SECRET, &creds.access_key_secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {} serve", exe.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| BenchError::Failed("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut server = ChildServer { child, endpoint: String::new() };
    while let Some(line) = lines.next() {
        let line = line?;
        if let Some(ep) = line.strip_prefix("listening on ") {
            server.endpoint = ep.trim().to_string();
            break;
        }
    }
    if server.endpoint.is_empty() {
        bail!("{} serve exited without printing its address", exe.display());
    }
    // keep draining stdout so the child never blocks on a full pipe
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok(server)
}

/// Backs `tree` up through a child backend (then removes the tree); samples its RSS every 100 ms;
/// returns the peak.
pub fn measure(rt: &tokio::runtime::Runtime, exe: &Path, work: &Path, tree: &Path, bytes: u64) -> BenchResult<MemoryResult> {
    let creds = Credentials { access_key_id: "LTAIbenchmemory01".into(), access_key_secret: "bench-memory-secret".into() };
    let data_dir: PathBuf = work.join("mem-backend");
    let server = spawn_server(exe, &data_dir, &creds)?;
    let pid = server.child.id();
    let client = Client::new(&server.endpoint, creds)?;
    let (client_id, vault_id) = rt.block_on(async {
        let c = client.create_backup_client("bench-memory", "cn-hangzhou", None).await?;
        super::wait_vault_created(&client, &c.vault_id).await?;
        Ok::<_, BenchError>((c.client_id, c.vault_id))
    })?;
    let idle_rss = proc_rss(pid).map(|(_, rss)| rss).unwrap_or(0);
    let include = vec![tree.display().to_string()];
    let start = Instant::now();
    let job = rt.block_on(client.create_backup_job(&vault_id, &client_id, &include, &[]))?;
    let mut samples = 0usize;
    let mut peak = 0u64;
    loop {
        if let Some((hwm, rss)) = proc_rss(pid) {
            peak = peak.max(hwm).max(rss);
            samples += 1;
        }
        let done = rt.block_on(async {
            let r = client.describe_backup_jobs(None, Some(&job.job_id)).await?;
            Ok::<_, BenchError>(r.backup_jobs.backup_job.into_iter().next().filter(|j| super::terminal(&j.job.status)))
        })?;
        if let Some(j) = done {
            if j.job.status != "COMPLETE" {
                bail!("memory backup ended {}: {}", j.job.status, j.job.error_message);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let backup_seconds = start.elapsed().as_secs_f64();
    if let Some((hwm, _)) = proc_rss(pid) {
        peak = peak.max(hwm);
    }
    // The next backup of the same tree, nothing changed: an incremental that compares every
    // file with its parent snapshot.
    let mut next_job = None;
    let incremental = peak_while(pid, || {
        rt.block_on(async {
            let id = match &next_job {
                Some(id) => id,
                None => next_job.insert(client.create_backup_job(&vault_id, &client_id, &include, &[]).await?.job_id),
            };
            let r = client.describe_backup_jobs(None, Some(id)).await?;
            match r.backup_jobs.backup_job.into_iter().next().filter(|j| super::terminal(&j.job.status)) {
                Some(j) if j.job.status != "COMPLETE" => bail!("incremental backup ended {}: {}", j.job.status, j.job.error_message),
                Some(_) => Ok(true),
                None => Ok(false),
            }
        })
    })?;
    // The tree is not read again: its disk goes to the mirror.
    super::rm(tree);

    // A mirror of the vault in the other region, synced at once.
    let mirror_id = rt.block_on(async {
        let r = client.create_replication_vault(&vault_id, super::REGION, super::MIRROR_REGION, "bench-memory-mirror", "").await?;
        super::wait_vault_created(&client, &r.vault_id).await?;
        Ok::<_, BenchError>(r.vault_id)
    })?;
    let mut started = false;
    let mirror = peak_while(pid, || {
        rt.block_on(async {
            if !started {
                client.sync_replication_vault_now(&mirror_id).await?;
                started = true;
            }
            let m = client.vault(&mirror_id).await?.ok_or_else(|| BenchError::Failed("the mirror vanished".into()))?;
            if m.replication_status == crate::api::vault::REPL_ERROR {
                bail!("mirror sync failed: {}", m.replication_status_message);
            }
            Ok(m.replication_status == crate::api::vault::REPL_IN_SYNC && m.snapshot_count >= 1)
        })
    })?;
    // A prune of the source vault (its one snapshot kept: the work is reading every pack's
    // index entries and the snapshot's tree).
    let mut prune_job = None;
    let prune = peak_while(pid, || {
        rt.block_on(async {
            let id = match &prune_job {
                Some(id) => id,
                None => prune_job.insert(client.create_prune_job(&vault_id, false).await?.job_id),
            };
            let r = client.describe_prune_jobs(None, Some(id)).await?;
            match r.prune_jobs.prune_job.into_iter().next().filter(|j| super::terminal(&j.status)) {
                Some(j) if j.status != "COMPLETE" => bail!("prune ended {}: {}", j.status, j.error_message),
                Some(_) => Ok(true),
                None => Ok(false),
            }
        })
    })?;
    drop(server);
    Ok(MemoryResult { bytes, peak_rss: peak, idle_rss, backup_seconds, samples, incremental, mirror, prune })
}
