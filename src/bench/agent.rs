//! Backup through a remote agent (`mirrorvault agent`, a separate process) over loopback vs the
//! same backup run inside the backend, on the same tree with fresh vaults; and the bytes the
//! agent sends for an unchanged re-backup (its /proc/PID/io `wchar`: uploads, heartbeats and
//! log lines — it writes no files during a backup).
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::error::{bail, BenchResult};
use super::measure::{cpu_seconds, equalise, CacheMode, Stat};
use super::{mv_backup, rm, wait_vault_created, BenchReport, Row, MIB, REGION};
use crate::backend::{self, ServeOptions};
use crate::client::{Client, Credentials};

/// Goal of the issue: the agent's backup at least 0.8× as fast as the in-backend one.
const GOAL: f64 = 0.8;

fn written(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

async fn wait_agent(client: &Client, client_id: &str) -> BenchResult<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let clients = client.describe_backup_clients(None).await?.clients;
        if clients.iter().any(|c| c.client_id == client_id && c.agent_installed && c.status == "ACTIVATED") {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("the agent of {client_id} did not connect within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn run(rt: &tokio::runtime::Runtime, exe: &Path, work: &Path, data: &Path, runs: usize, cache_mode: CacheMode, report: &mut BenchReport) -> BenchResult<()> {
    let dir = work.join("agent-bench");
    rm(&dir);
    let creds = Credentials { access_key_id: "LTAIbenchagent0001".into(), access_key_secret: "bench-agent-secret-01".into() };
    let server = rt.block_on(backend::start(
        ServeOptions { data_dir: dir.join("backend"), listen: "127.0.0.1:0".parse().expect("loopback address"), historical_sync_delay: Duration::from_secs(86_400), demo: false, credentials: Some(creds.clone()) },
        None,
    ))?;
    let client = Client::new(&server.endpoint(), creds.clone())?;
    let bytes = super::dataset::dir_bytes(data);
    let mib = bytes as f64 / MIB;
    let new_client = |name: String| {
        rt.block_on(async {
            let c = client.create_backup_client(&name, REGION, None).await?;
            wait_vault_created(&client, &c.vault_id).await?;
            Ok::<_, super::BenchError>((c.client_id, c.vault_id))
        })
    };
    let (mut local, mut remote) = (Vec::new(), Vec::new());
    // CPU seconds: the in-backend backup (this process: backend and bench client), the agent
    // process's, and this process's while the agent backs up (the checks of every upload).
    let (mut local_cpu, mut agent_cpu, mut backend_cpu) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = (String::new(), String::new());
    let mut agent = None;
    let result = (|| -> BenchResult<()> {
        for run in 0..runs {
            let (cid, vid) = new_client(format!("in-backend-{run}"))?;
            equalise(cache_mode, &[data]);
            let cpu0 = cpu_seconds(std::process::id());
            let (t, _) = rt.block_on(mv_backup(&client, &vid, &cid, &[data]))?;
            let cpu = cpu_seconds(std::process::id()) - cpu0;
            println!("  in the backend, run {}: {t:.2} s ({:.0} MiB/s), {cpu:.2} CPU-s", run + 1, mib / t);
            local.push(t);
            local_cpu.push(cpu);

            let (cid, vid) = new_client(format!("agent-{run}"))?;
            let agent_dir = dir.join(format!("agent-{run}"));
            let opts = crate::agent::AgentOptions { endpoint: Some(server.endpoint()), client_id: Some(cid.clone()), data_dir: agent_dir.clone(), fingerprint: None, account: Some(creds.clone()) };
            rt.block_on(crate::agent::register(&opts)).map_err(|e| super::BenchError::Failed(format!("agent register: {e}")))?;
            if let Some(mut old) = agent.take() {
                let _ = std::process::Child::kill(&mut old);
                let _ = std::process::Child::wait(&mut old);
            }
            let child = Command::new(exe)
                .args(["agent", "--data-dir"])
                .arg(&agent_dir)
                .env_remove(backend::ENV_KEY_ID)
                .env_remove(backend::ENV_KEY_SECRET)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            agent = Some(child);
            // A deployed agent is running already: time the backup, not the agent's start.
            rt.block_on(wait_agent(&client, &cid))?;
            equalise(cache_mode, &[data]);
            let pid = agent.as_ref().map(|c| c.id()).unwrap_or(0);
            let (agent0, backend0) = (cpu_seconds(pid), cpu_seconds(std::process::id()));
            let (t, _) = rt.block_on(mv_backup(&client, &vid, &cid, &[data]))?;
            let (agent_s, backend_s) = (cpu_seconds(pid) - agent0, cpu_seconds(std::process::id()) - backend0);
            println!("  through the agent, run {}: {t:.2} s ({:.0} MiB/s), agent {agent_s:.2} CPU-s, backend {backend_s:.2} CPU-s", run + 1, mib / t);
            remote.push(t);
            agent_cpu.push(agent_s);
            backend_cpu.push(backend_s);
            last = (cid, vid);
        }
        // An unchanged re-backup through the last agent: what it sends.
        let pid = agent.as_ref().map(|c| c.id()).unwrap_or(0);
        let before = written(pid);
        let (t, _) = rt.block_on(mv_backup(&client, &last.1, &last.0, &[data]))?;
        let sent = written(pid).saturating_sub(before);
        if pid == 0 || (sent == 0 && before == 0) {
            bail!("cannot read the agent's I/O counters");
        }
        let (l, r) = (Stat::of(&local), Stat::of(&remote));
        let ratio = l.median / r.median.max(1e-9);
        report.rows.push(
            Row::new("backup through an agent (loopback) vs in the backend", "s", false, r)
                .vs("in the backend", l)
                .target(format!("≥{GOAL}× the in-backend speed"), ratio >= GOAL)
                .note(format!(
                    "{}; the agent is a separate process that chunks, compresses and encrypts, the backend checks every pack it receives — here both share the same {} cores",
                    super::dataset::human_bytes(bytes),
                    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
                )),
        );
        // What each side's host spends: the agent's own work against the in-backend backup's,
        // and the backend's checking of the uploads, per GiB.
        let (lc, ac, bc) = (Stat::of(&local_cpu), Stat::of(&agent_cpu), Stat::of(&backend_cpu));
        report.rows.push(
            Row::new("agent: CPU time of the backup on its host vs in the backend", "CPU-s", false, ac.clone())
                .vs("in the backend", lc.clone())
                .note("utime+stime of the agent process; the in-backend figure is the backend process (its bench client included)"),
        );
        let gib = bytes as f64 / (1024.0 * MIB);
        report.rows.push(
            Row::new("backend: CPU time checking an agent's uploads", "CPU-s/GiB", false, Stat::of(&backend_cpu.iter().map(|c| c / gib.max(1e-9)).collect::<Vec<_>>()))
                .note(format!("the backend process while the agent backs up (signature, every blob decrypted, decompressed and re-hashed, the writes); {:.2} CPU-s median for {}", bc.median, super::dataset::human_bytes(bytes))),
        );
        let limit = bytes as f64 / 100.0 + 256.0 * 1024.0;
        report.rows.push(
            Row::new("agent: bytes sent for an unchanged re-backup", "KiB", false, Stat::of(&[sent as f64 / 1024.0]))
                .target("≤1 % of the tree + 256 KiB", (sent as f64) <= limit)
                .note(format!("{} tree, re-backup {t:.2} s; counts every byte the agent process wrote (uploads, heartbeats, logs)", super::dataset::human_bytes(bytes))),
        );
        println!("  unchanged re-backup through the agent: {t:.2} s, {} sent", super::dataset::human_bytes(sent));
        Ok(())
    })();
    if let Some(mut c) = agent {
        let _ = c.kill();
        let _ = c.wait();
    }
    rt.block_on(server.shutdown());
    rm(&dir);
    result
}
