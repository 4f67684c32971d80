//! Startup at scale: a data dir holding `vaults` vaults, each with its real storage (the
//! `config` and wrapped data key `StorageHub::create` writes into its region's location, so the
//! backend opens it like any vault), plus `snapshots` catalogued snapshots and one finished
//! backup job per snapshot; then a child `mirrorvault serve` on it, timed from the spawn to the
//! first signed `DescribeVaults` answer that counts every vault, then `AFTER` more, one after
//! another, while the start's passes over every vault (reconcile, expiry) run.
use std::path::Path;
use std::time::{Duration, Instant};

use super::catalog_scale::{insert_rows, vault_id};
use super::error::{bail, BenchError, BenchResult};
use super::measure::percentile;
use super::memory::spawn_server;
use super::rm;
use crate::backend::catalog::Catalog;
use crate::backend::storage::DataKey;
use crate::backend::{config, hub};
use crate::client::{Client, Credentials, VaultQuery};

/// Regions the vaults are spread over (the built-in ones).
const REGIONS: [&str; 4] = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"];

/// The answer must come within this, or the phase fails (the target is 2 s).
const GIVE_UP: Duration = Duration::from_secs(120);

/// Requests timed right after the first answer.
pub const AFTER: usize = 100;

pub struct Startup {
    pub vaults: usize,
    pub snapshots: usize,
    /// Making the data dir (not timed against the target).
    pub prepare_seconds: f64,
    /// Spawn → the child printed its address (the listener is bound).
    pub listening_seconds: f64,
    /// Spawn → the first successful `DescribeVaults` listing every vault.
    pub first_answer_seconds: f64,
    /// The `AFTER` requests that followed (random pages): p50 and max, ms.
    pub after_p50_ms: f64,
    pub after_max_ms: f64,
}

/// Prepares `dir` (removed first and afterwards) and times `exe serve` on it.
pub fn measure(rt: &tokio::runtime::Runtime, exe: &Path, dir: &Path, vaults: usize, snapshots: usize) -> BenchResult<Startup> {
    rm(dir);
    let result = (|| {
        let t = Instant::now();
        rt.block_on(prepare(dir, vaults, snapshots))?;
        let prepare_seconds = t.elapsed().as_secs_f64();
        let creds = Credentials { access_key_id: "LTAIbenchstartup1".into(), access_key_secret: "bench-startup-secret".into() };
        let spawned = Instant::now();
        let server = spawn_server(exe, dir, &creds)?;
        let listening_seconds = spawned.elapsed().as_secs_f64();
        let client = Client::new(&server.endpoint, creds)?;
        let after = rt.block_on(async {
            loop {
                match client.describe_vaults(&VaultQuery { page_number: 1, page_size: 10, ..Default::default() }).await {
                    Ok(r) if r.page.total_count == vaults as i64 && !r.vaults.vault.is_empty() => break,
                    Ok(r) if spawned.elapsed() > GIVE_UP => bail!("DescribeVaults still counts {} of {vaults} vaults", r.page.total_count),
                    Err(e) if spawned.elapsed() > GIVE_UP => return Err(e.into()),
                    _ => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
            let first = spawned.elapsed().as_secs_f64();
            let pages = (vaults as i64 / 10).max(1);
            let mut lat = Vec::with_capacity(AFTER);
            for k in 0..AFTER as i64 {
                let t = Instant::now();
                client.describe_vaults(&VaultQuery { page_number: 1 + k * 7919 % pages, page_size: 10, ..Default::default() }).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, BenchError>((first, lat))
        });
        drop(server);
        let (first_answer_seconds, lat) = after?;
        let after_max_ms = lat.iter().copied().fold(0.0, f64::max);
        Ok(Startup { vaults, snapshots, prepare_seconds, listening_seconds, first_answer_seconds, after_p50_ms: percentile(&lat, 50.0), after_max_ms })
    })();
    rm(dir);
    result
}

/// The data dir: the storage of every vault, then their catalog rows (as a backend that made
/// them would have them), snapshots and jobs inserted in bulk.
async fn prepare(dir: &Path, vaults: usize, snapshots: usize) -> BenchResult<()> {
    let failed = |what: &str, e: &dyn std::fmt::Display| BenchError::Failed(format!("preparing the startup data dir: {what}: {e}"));
    std::fs::create_dir_all(dir)?;
    let regions = config::ConfigFile::load(dir).and_then(|c| c.regions(dir)).map_err(|e| failed("config", &e))?;
    let hub = hub::StorageHub::open(dir, &regions).map_err(|e| failed("storage", &e))?;
    // The regions side by side, each one's vaults one after another: `create` probes the location
    // first, and concurrent probes of one local location can trip over each other's probe dir.
    futures::future::try_join_all(REGIONS.iter().enumerate().map(|(r, region)| {
        let hub = &hub;
        async move {
            for i in (r..vaults).step_by(REGIONS.len()) {
                hub.create(region, &vault_id(i), DataKey::generate(), "HBR_PRIVATE", None).await?;
            }
            Ok::<_, crate::backend::storage::StorageError>(())
        }
    }))
    .await
    .map_err(|e| failed("vault storage", &e))?;
    let catalog = Catalog::open(&dir.join("catalog.sqlite")).map_err(|e| failed("catalog", &e))?;
    insert_rows(&catalog, &REGIONS, vaults, snapshots, snapshots)?;
    catalog.close();
    Ok(())
}
