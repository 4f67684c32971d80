//! The catalog after a year of scheduled backups: `jobs` finished jobs and `snapshots` snapshots
//! over `vaults` vaults, inserted in bulk straight into a fresh backend's catalog, then the list
//! actions an administrator's console and scripts call, timed at concurrency 16.
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{bail, BenchError, BenchResult};
use super::measure::percentile;
use super::rm;
use crate::backend::{self, ServeOptions};
use crate::client::{Client, Credentials};

/// What one action measured: p50 and p99 in ms over every request of the run.
pub struct Latency {
    pub action: &'static str,
    pub p50: f64,
    pub p99: f64,
}

pub struct CatalogScale {
    pub latencies: Vec<Latency>,
    pub insert_seconds: f64,
    pub catalog_bytes: u64,
    pub vaults: usize,
    pub jobs: usize,
    pub snapshots: usize,
}

const DAY: i64 = 86_400;

/// Fills a fresh catalog and measures. `requests` per action, spread over 16 tasks.
pub fn measure(rt: &tokio::runtime::Runtime, dir: &Path, creds: &Credentials, jobs: usize, snapshots: usize, requests: usize) -> BenchResult<CatalogScale> {
    rm(dir);
    let vaults = (snapshots / 100).clamp(1, 1000);
    let server = rt.block_on(backend::start(
        ServeOptions { data_dir: dir.to_path_buf(), listen: "127.0.0.1:0".parse().expect("loopback address"), historical_sync_delay: Duration::from_secs(86_400), demo: false, credentials: Some(creds.clone()) },
        None,
    ))?;
    let t = Instant::now();
    let filled = fill(&server.state.catalog, dir, vaults, jobs, snapshots);
    let insert_seconds = t.elapsed().as_secs_f64();
    let client = Client::new(&server.endpoint(), creds.clone())?;
    let result = filled.and_then(|()| rt.block_on(run_all(&client, vaults, requests)));
    rt.block_on(server.shutdown());
    let catalog_bytes = ["catalog.sqlite", "catalog.sqlite-wal"].iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum();
    rm(dir);
    Ok(CatalogScale { latencies: result?, insert_seconds, catalog_bytes, vaults, jobs, snapshots })
}

fn fill(cat: &crate::backend::catalog::Catalog, dir: &Path, vaults: usize, jobs: usize, snapshots: usize) -> BenchResult<()> {
    let e = |e: rusqlite::Error| BenchError::Catalog(e.to_string());
    let now = crate::backend::catalog::now();
    let mut conn = cat.conn();
    let tx = conn.transaction().map_err(e)?;
    {
        let mut v = tx
            .prepare("INSERT INTO vaults (vault_id, vault_name, region_id, status, encrypt_type, created_time, updated_time) VALUES (?1, ?2, 'cn-hangzhou', 'CREATED', 'HBR_PRIVATE', ?3, ?3)")
            .map_err(e)?;
        for i in 0..vaults {
            v.execute(rusqlite::params![vault_id(i), format!("vault-{i:04}"), now - 365 * DAY]).map_err(e)?;
        }
        let mut s = tx
            .prepare("INSERT INTO snapshots (vault_id, snapshot_id, client_id, source_type, bytes_total, start_time, complete_time) VALUES (?1, ?2, ?3, 'FILE', 1048576, ?4, ?4)")
            .map_err(e)?;
        for i in 0..snapshots {
            let t = now - 365 * DAY + (i as i64 * 365 * DAY / snapshots.max(1) as i64);
            s.execute(rusqlite::params![vault_id(i % vaults), format!("s-bench-{i:08}"), format!("c-bench-{:04}", i % vaults), t]).map_err(e)?;
        }
        let mut j = tx
            .prepare(
                "INSERT INTO jobs (job_id, kind, vault_id, client_id, source_type, status, bytes_total, bytes_done, created_time, start_time, complete_time, updated_time) \
                 VALUES (?1, ?2, ?3, ?4, 'FILE', ?5, 1048576, 1048576, ?6, ?6, ?6 + 60, ?6 + 60)",
            )
            .map_err(e)?;
        for i in 0..jobs {
            let t = now - 365 * DAY + (i as i64 * 365 * DAY / jobs.max(1) as i64);
            // every vault gets every kind and status (its n-th job: 1 in 10 a restore, 1 in 50 failed)
            let n = i / vaults;
            let kind = if n % 10 == 9 { "RESTORE" } else { "BACKUP" };
            let status = if n % 50 == 7 { "FAILED" } else { "COMPLETE" };
            j.execute(rusqlite::params![format!("job-bench-{i:08}"), kind, vault_id(i % vaults), format!("c-bench-{:04}", i % vaults), status, t]).map_err(e)?;
        }
    }
    tx.commit().map_err(e)?;
    drop(conn);
    // The location watcher marks a vault without its `config` ERROR; a placeholder is enough here.
    // Written after the rows: the start's reconcile would adopt placeholders found earlier.
    for i in 0..vaults {
        let d = dir.join("regions/cn-hangzhou/vaults").join(vault_id(i));
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join("config"), b"{}")?;
    }
    Ok(())
}

fn vault_id(i: usize) -> String {
    format!("v-bench-{i:04}")
}

/// The parameters of one request of `action` against vault `v`.
fn request(action: &str, v: &str) -> Vec<(&'static str, String)> {
    match action {
        "DescribeBackupJobs2" => vec![
            ("Filters.1.Key", "VaultId".into()),
            ("Filters.1.Values.1", v.into()),
            ("Filters.2.Key", "Status".into()),
            ("Filters.2.Values.1", "COMPLETE".into()),
            ("PageSize", "10".into()),
        ],
        "DescribeSnapshots" => vec![("VaultId", v.into()), ("PageSize", "10".into())],
        _ => vec![("PageSize", "10".into())],
    }
}

async fn run_all(client: &Client, vaults: usize, requests: usize) -> BenchResult<Vec<Latency>> {
    let mut out = Vec::new();
    for action in ["DescribeBackupJobs2", "DescribeSnapshots", "DescribeVaults"] {
        for _ in 0..20 {
            client.call::<serde_json::Value>(action, &request(action, &vault_id(0))).await?;
        }
        let mut tasks = Vec::new();
        for task in 0..16usize {
            let client = client.clone();
            let n = (requests / 16).max(1);
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(n);
                for k in 0..n {
                    let v = vault_id((task * 7919 + k * 104_729) % vaults);
                    let t = Instant::now();
                    let r: serde_json::Value = client.call(action, &request(action, &v)).await?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    if r.get("TotalCount").and_then(|c| c.as_i64()).unwrap_or(0) == 0 {
                        bail!("{action} for {v} listed nothing: {r}");
                    }
                }
                Ok::<_, BenchError>(lat)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        out.push(Latency { action, p50: percentile(&all, 50.0), p99: percentile(&all, 99.0) });
    }
    Ok(out)
}
