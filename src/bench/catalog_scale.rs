//! The catalog after a year of scheduled backups: `jobs` finished jobs and `snapshots` snapshots
//! over `vaults` vaults, inserted in bulk straight into a fresh catalog, then the list actions an
//! administrator's console and scripts call, timed at concurrency 16 against a backend started on
//! it.
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{bail, BenchError, BenchResult};
use super::measure::percentile;
use super::rm;
use crate::backend::catalog::Catalog;
use crate::backend::{self, ServeOptions};
use crate::client::{Client, Credentials};

/// What one action measured: p50 and p99 in ms over every request of the run, and the mean of
/// the catalog calls its handler makes, timed alone (`catalog_alone`).
pub struct Latency {
    pub action: &'static str,
    pub p50: f64,
    pub p99: f64,
    pub catalog_ms: f64,
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

/// How long the backend runs before the first timed request.
const SETTLE: Duration = Duration::from_secs(2);

/// Fills a fresh catalog and measures. `requests` per action, spread over 16 tasks.
pub fn measure(rt: &tokio::runtime::Runtime, dir: &Path, creds: &Credentials, jobs: usize, snapshots: usize, requests: usize) -> BenchResult<CatalogScale> {
    rm(dir);
    let vaults = (snapshots / 100).clamp(1, 1000);
    let t = Instant::now();
    // Before the backend starts: its location watcher and reconcile then see every vault with
    // its placeholder from their first pass (filled under a running backend, the watcher marked
    // the vaults listed before their placeholder was written ERROR, and back).
    let filled = fill(dir, vaults, jobs, snapshots);
    let insert_seconds = t.elapsed().as_secs_f64();
    if let Err(e) = filled {
        rm(dir);
        return Err(e);
    }
    // The jobs span a year: kept whole (with the default 90 days the start would spend the
    // measurement deleting three quarters of them, which is not the state to time).
    std::fs::write(dir.join("config.toml"), "[jobs]\nhistory_days = 400\n")?;
    let server = rt.block_on(backend::start(
        ServeOptions { data_dir: dir.to_path_buf(), listen: "127.0.0.1:0".parse().expect("loopback address"), historical_sync_delay: Duration::from_secs(86_400), demo: false, credentials: Some(creds.clone()) },
        None,
    ))?;
    let client = Client::new(&server.endpoint(), creds.clone())?;
    // What is timed is a backend that has been up a while: its start's passes over every vault
    // (reconcile, expiry, the first alert check) are over first. `bench`'s startup phase times
    // the answers right after a start.
    rt.block_on(async { tokio::time::sleep(SETTLE).await });
    super::measure::quiesce();
    let result = rt.block_on(run_all(&client, vaults, requests)).and_then(|mut l| {
        for x in &mut l {
            x.catalog_ms = catalog_alone(&server.state.catalog, x.action, vaults)?;
        }
        Ok(l)
    });
    rt.block_on(server.shutdown());
    let catalog_bytes = ["catalog.sqlite", "catalog.sqlite-wal"].iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum();
    rm(dir);
    Ok(CatalogScale { latencies: result?, insert_seconds, catalog_bytes, vaults, jobs, snapshots })
}

/// A new catalog in `dir` with the rows of `insert_rows` over one region, each vault with a
/// placeholder `config` in its location (enough for the location watcher and the list actions;
/// the reconcile at start cannot open it and leaves it alone).
fn fill(dir: &Path, vaults: usize, jobs: usize, snapshots: usize) -> BenchResult<()> {
    std::fs::create_dir_all(dir)?;
    let cat = Catalog::open(&dir.join("catalog.sqlite")).map_err(|e| BenchError::Catalog(e.to_string()))?;
    insert_rows(&cat, &["cn-hangzhou"], vaults, jobs, snapshots)?;
    cat.close();
    drop(cat);
    for i in 0..vaults {
        let d = dir.join("regions/cn-hangzhou/vaults").join(vault_id(i));
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join("config"), b"{}")?;
    }
    Ok(())
}

/// Inserts, in one transaction, `vaults` vaults (`vault_id(i)`, in `regions[i % regions.len()]`),
/// `snapshots` snapshots and `jobs` finished jobs spread over them and over the last 365 days.
pub(super) fn insert_rows(cat: &Catalog, regions: &[&str], vaults: usize, jobs: usize, snapshots: usize) -> BenchResult<()> {
    let e = |e: rusqlite::Error| BenchError::Catalog(e.to_string());
    let now = crate::backend::catalog::now();
    let mut conn = cat.conn();
    let tx = conn.transaction().map_err(e)?;
    {
        let mut v = tx
            .prepare("INSERT INTO vaults (vault_id, vault_name, region_id, status, encrypt_type, created_time, updated_time) VALUES (?1, ?2, ?3, 'CREATED', 'HBR_PRIVATE', ?4, ?4)")
            .map_err(e)?;
        for i in 0..vaults {
            v.execute(rusqlite::params![vault_id(i), format!("vault-{i:04}"), regions[i % regions.len()], now - 365 * DAY]).map_err(e)?;
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
    Ok(())
}

pub(super) fn vault_id(i: usize) -> String {
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
        out.push(Latency { action, p50: percentile(&all, 50.0), p99: percentile(&all, 99.0), catalog_ms: f64::NAN });
    }
    Ok(out)
}

/// The mean time (ms) of the catalog calls behind one `action` request, made in this process one
/// at a time (no HTTP, no signature, no concurrency): the SQL's share of a request.
fn catalog_alone(cat: &Catalog, action: &str, vaults: usize) -> BenchResult<f64> {
    use crate::backend::catalog::{JobFilter, JobKind, VaultFilter};
    let e = |e: crate::backend::catalog::CatalogError| BenchError::Catalog(e.to_string());
    const N: usize = 200;
    let t = Instant::now();
    for k in 0..N {
        let v = vault_id(k * 104_729 % vaults);
        match action {
            "DescribeBackupJobs2" => {
                cat.list_jobs(JobKind::Backup, &JobFilter { vault_id: Some(&v), status: Some("COMPLETE"), ..Default::default() }, 1, 10).map_err(e)?;
            }
            "DescribeSnapshots" => {
                cat.vault(&v).map_err(e)?;
                cat.snapshot_page(&v, None, None, 1, 10).map_err(e)?;
            }
            _ => {
                cat.list_vaults(&VaultFilter::default(), 1, 10).map_err(e)?;
            }
        }
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0 / N as f64)
}
