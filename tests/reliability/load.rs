//! Reliability, scenario 8: load. 100 concurrent clients against the real binary for 10 s (60 s
//! with `MIRRORVAULT_LONG_TESTS=1`, or `MIRRORVAULT_LOAD_SECONDS=N`), mixing reads with job
//! creation (verify jobs, small backups). Promise: no errors, p50/p99 latencies reported, the
//! backend's resident memory stays bounded (under 512 MiB; sampled every 250 ms).
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::child::{Backend, Launch};
use crate::support::{creds, make_tree, wait_until};
use mirrorvault::client::Client;
use rand::{Rng, SeedableRng};

const CLIENTS: usize = 100;
const RSS_LIMIT: u64 = 512 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_clients_mixed_load() {
    let secs: u64 = std::env::var("MIRRORVAULT_LOAD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(
        if std::env::var("MIRRORVAULT_LONG_TESTS").is_ok_and(|v| v == "1") { 60 } else { 10 },
    );
    let tmp = tempfile::tempdir().unwrap();
    let b = Backend::start(&Launch { data_dir: &tmp.path().join("backend"), delay: "5s", credentials: creds(), rust_log: "warn", extra_env: vec![] });
    let src = tmp.path().join("src");
    make_tree(&src, 8, 5);
    std::fs::remove_file(src.join("big.dat")).unwrap(); // small backups
    let c = b.client.create_backup_client("load", "cn-hangzhou", None).await.unwrap();
    wait_until(Duration::from_secs(10), "the vault CREATED", || async { b.client.vault(&c.vault_id).await.unwrap().unwrap().status == "CREATED" }).await;
    let m = b.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-beijing", "load-dr", "").await.unwrap();
    let _ = m;

    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::with_capacity(200_000)));
    let (reads, jobs) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut handles = Vec::new();
    for i in 0..CLIENTS {
        let client = Client::new(&b.endpoint, creds()).unwrap();
        let (stop, errors, latencies, reads, jobs) = (stop.clone(), errors.clone(), latencies.clone(), reads.clone(), jobs.clone());
        let (vault, client_id, path) = (c.vault_id.clone(), c.client_id.clone(), src.display().to_string());
        handles.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(i as u64);
            while !stop.load(Ordering::Relaxed) {
                let roll = rng.gen_range(0..100);
                let t0 = Instant::now();
                let r: Result<(), String> = match roll {
                    0..=1 => client.create_backup_job(&vault, &client_id, &[path.clone()], &[]).await.map(|_| ()).map_err(|e| e.to_string()),
                    2..=14 => client.create_verify_job(&vault, None, false).await.map(|_| ()).map_err(|e| e.to_string()),
                    15..=39 => client.call::<serde_json::Value>("DescribeVaults", &[("PageSize", "100".into())]).await.map(|_| ()).map_err(|e| e.to_string()),
                    40..=59 => client.describe_snapshots(&vault).await.map(|_| ()).map_err(|e| e.to_string()),
                    60..=79 => client.describe_backup_jobs(Some(&vault), None).await.map(|_| ()).map_err(|e| e.to_string()),
                    80..=89 => client.describe_verify_jobs(Some(&vault), None).await.map(|_| ()).map_err(|e| e.to_string()),
                    _ => client.describe_regions().await.map(|_| ()).map_err(|e| e.to_string()),
                };
                let ms = t0.elapsed().as_micros() as u32;
                latencies.lock().unwrap().push(ms);
                if roll < 15 { jobs.fetch_add(1, Ordering::Relaxed) } else { reads.fetch_add(1, Ordering::Relaxed) };
                if let Err(e) = r {
                    errors.lock().unwrap().push(e);
                }
            }
        }));
    }
    let started = Instant::now();
    let mut rss = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        rss.push(b.rss());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_unstable();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)] as f64 / 1000.0;
    let max_rss = rss.iter().copied().max().unwrap_or(0);
    let errors = errors.lock().unwrap();
    eprintln!(
        "load: {CLIENTS} clients, {secs} s: {} requests ({:.0}/s; {} reads, {} job creations), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, errors {}, backend RSS start {} MiB, max {} MiB, end {} MiB",
        l.len(),
        l.len() as f64 / elapsed,
        reads.load(Ordering::Relaxed),
        jobs.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.99),
        pct(1.0),
        errors.len(),
        rss.first().copied().unwrap_or(0) >> 20,
        max_rss >> 20,
        rss.last().copied().unwrap_or(0) >> 20,
    );
    assert!(errors.is_empty(), "{} errors, first: {}", errors.len(), errors[0]);
    assert!(l.len() as u64 > secs * 100, "too few requests served");
    assert!(max_rss > 0 && max_rss < RSS_LIMIT, "backend RSS reached {} MiB", max_rss >> 20);
    // still healthy afterwards
    b.client.describe_regions().await.unwrap();
}
