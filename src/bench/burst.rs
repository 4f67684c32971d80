//! Many backups at once, as when every client's plan fires at 02:00: `backups` clients, each with
//! its own vault, start a backup of the same tree in the same instant against a child
//! `mirrorvault serve`; its peak RSS (`VmHWM`) and thread count are sampled while they run. The
//! same number of backups is then run one after another (fresh vaults, same child) for the
//! throughput they reach without contention. The pools of job workers (`[jobs] backup_workers`)
//! are what keeps the first figure bounded.
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{bail, BenchError, BenchResult};
use super::measure::proc_rss;
use super::memory::spawn_server;
use crate::client::{Client, Credentials};

pub struct BurstResult {
    pub backups: usize,
    pub tree_bytes: u64,
    pub idle_rss: u64,
    pub peak_rss: u64,
    pub peak_threads: u64,
    /// Wall time from the first request to the last backup COMPLETE, all at once.
    pub burst_seconds: f64,
    /// The same backups one after another.
    pub sequential_seconds: f64,
    /// How many backups said they were waiting for a worker (their job message).
    pub waited: usize,
}

fn threads(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse().ok())
}

async fn new_clients(client: &Client, prefix: &str, n: usize) -> BenchResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let c = client.create_backup_client(&format!("{prefix}-{i:03}"), super::REGION, None).await?;
        out.push((c.client_id, c.vault_id));
    }
    for (_, vault_id) in &out {
        super::wait_vault_created(client, vault_id).await?;
    }
    Ok(out)
}

/// Polls until every job is finished; fails if one did not complete. Returns how many of them
/// were seen waiting for a worker.
async fn wait_all(client: &Client, jobs: &[String], pid: u32, peak: &mut (u64, u64)) -> BenchResult<usize> {
    let mut pending: Vec<&String> = jobs.iter().collect();
    let mut waited = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(3600);
    while !pending.is_empty() {
        if let Some((hwm, rss)) = proc_rss(pid) {
            peak.0 = peak.0.max(hwm).max(rss);
        }
        peak.1 = peak.1.max(threads(pid).unwrap_or(0));
        let mut still = Vec::new();
        for id in pending {
            let r = client.describe_backup_jobs(None, Some(id)).await?;
            let Some(j) = r.backup_jobs.backup_job.into_iter().next() else { bail!("backup job {id} is not listed") };
            if j.job.error_message.starts_with("Waiting for a free") {
                waited.insert(id.clone());
            }
            if super::terminal(&j.job.status) {
                if j.job.status != "COMPLETE" {
                    bail!("backup job {id} ended {}: {}", j.job.status, j.job.error_message);
                }
            } else {
                still.push(id);
            }
        }
        pending = still;
        if Instant::now() > deadline {
            bail!("{} backups did not finish within an hour", pending.len());
        }
        // one job: poll as the other phases do; many: every 50 ms (each poll is a request a job)
        tokio::time::sleep(if jobs.len() == 1 { super::POLL } else { Duration::from_millis(50) }).await;
    }
    Ok(waited.len())
}

pub fn measure(rt: &tokio::runtime::Runtime, exe: &Path, work: &Path, tree: &Path, backups: usize) -> BenchResult<BurstResult> {
    let creds = Credentials { access_key_id: "LTAIbenchburst001".into(), access_key_secret: "bench-burst-secret".into() };
    let data_dir = work.join("burst-backend");
    super::rm(&data_dir);
    let server = spawn_server(exe, &data_dir, &creds)?;
    let pid = server.child.id();
    let client = Client::new(&server.endpoint, creds)?;
    let include = vec![tree.display().to_string()];
    let result = rt.block_on(async {
        let burst = new_clients(&client, "burst", backups).await?;
        let idle_rss = proc_rss(pid).map(|(_, rss)| rss).unwrap_or(0);
        let mut peak = (0u64, 0u64);
        let t = Instant::now();
        let jobs = futures::future::try_join_all(burst.iter().map(|(cid, vid)| client.create_backup_job(vid, cid, &include, &[]))).await?;
        let ids: Vec<String> = jobs.into_iter().map(|j| j.job_id).collect();
        let waited = wait_all(&client, &ids, pid, &mut peak).await?;
        let burst_seconds = t.elapsed().as_secs_f64();
        if let Some((hwm, _)) = proc_rss(pid) {
            peak.0 = peak.0.max(hwm);
        }

        let one_by_one = new_clients(&client, "sequential", backups).await?;
        let t = Instant::now();
        for (cid, vid) in &one_by_one {
            let job = client.create_backup_job(vid, cid, &include, &[]).await?;
            wait_all(&client, &[job.job_id], pid, &mut (0, 0)).await?;
        }
        let sequential_seconds = t.elapsed().as_secs_f64();
        Ok::<_, BenchError>(BurstResult {
            backups,
            tree_bytes: super::dataset::dir_bytes(tree),
            idle_rss,
            peak_rss: peak.0,
            peak_threads: peak.1,
            burst_seconds,
            sequential_seconds,
            waited,
        })
    });
    drop(server);
    super::rm(&data_dir);
    result
}
