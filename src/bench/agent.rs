//! Backup through a remote agent (`mirrorvault agent`, a separate process) over loopback vs the
//! same backup run inside the backend, on the same tree with fresh vaults; and the bytes the
//! agent sends for an unchanged re-backup (its /proc/PID/io `wchar`: uploads, heartbeats and
//! log lines — it writes no files during a backup).
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::error::{bail, BenchResult};
use super::measure::{cpu_seconds, equalise, pin_process, CacheMode, Stat};
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
    // Shared cores: both ends on every core of this machine. Own cores (with 2 or more): as
    // deployed, each host its own share — the agent on CPU 0 (the protected host), the backend
    // on CPU 1 (the backup server), and the in-backend backup on CPU 1 (the one host doing it all).
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let all: Vec<usize> = (0..cores).collect();
    let layouts: &[Layout] = if cores >= 2 { &[Layout::Shared, Layout::OwnCores] } else { &[Layout::Shared] };
    let mut agent = None;
    let mut last = (String::new(), String::new());
    let result = (|| -> BenchResult<()> {
        for &layout in layouts {
            let mut m = Measured::default();
            for run in 0..runs {
                let me = std::process::id();
                if layout == Layout::OwnCores {
                    pin_process(me, &[1])?;
                }
                let (cid, vid) = new_client(format!("in-backend-{}-{run}", layout.tag()))?;
                equalise(cache_mode, &[data]);
                let cpu0 = cpu_seconds(me);
                let (t, _) = rt.block_on(mv_backup(&client, &vid, &cid, &[data]))?;
                let cpu = cpu_seconds(me) - cpu0;
                println!("  {}: in the backend, run {}: {t:.2} s ({:.0} MiB/s), {cpu:.2} CPU-s", layout.tag(), run + 1, mib / t);
                m.local.push(t);
                m.local_cpu.push(cpu);

                let (cid, vid) = new_client(format!("agent-{}-{run}", layout.tag()))?;
                let agent_dir = dir.join(format!("agent-{}-{run}", layout.tag()));
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
                let pid = child.id();
                agent = Some(child);
                // A deployed agent is running already: time the backup, not the agent's start.
                rt.block_on(wait_agent(&client, &cid))?;
                if layout == Layout::OwnCores {
                    pin_process(pid, &[0])?;
                }
                equalise(cache_mode, &[data]);
                let (agent0, backend0) = (cpu_seconds(pid), cpu_seconds(me));
                let (t, _) = rt.block_on(mv_backup(&client, &vid, &cid, &[data]))?;
                let (agent_s, backend_s) = (cpu_seconds(pid) - agent0, cpu_seconds(me) - backend0);
                println!("  {}: through the agent, run {}: {t:.2} s ({:.0} MiB/s), agent {agent_s:.2} CPU-s, backend {backend_s:.2} CPU-s", layout.tag(), run + 1, mib / t);
                m.remote.push(t);
                m.agent_cpu.push(agent_s);
                m.backend_cpu.push(backend_s);
                last = (cid, vid);
                if layout == Layout::OwnCores {
                    pin_process(me, &all)?;
                    pin_process(pid, &all)?;
                }
            }
            m.rows(layout, bytes, report);
        }
        // An unchanged re-backup through the last agent: what it sends.
        let pid = agent.as_ref().map(|c| c.id()).unwrap_or(0);
        let before = written(pid);
        let (t, _) = rt.block_on(mv_backup(&client, &last.1, &last.0, &[data]))?;
        let sent = written(pid).saturating_sub(before);
        if pid == 0 || (sent == 0 && before == 0) {
            bail!("cannot read the agent's I/O counters");
        }
        let limit = bytes as f64 / 100.0 + 256.0 * 1024.0;
        report.rows.push(
            Row::new("agent: bytes sent for an unchanged re-backup", "KiB", false, Stat::of(&[sent as f64 / 1024.0]))
                .target("≤1 % of the tree + 256 KiB", (sent as f64) <= limit)
                .note(format!("{} tree, re-backup {t:.2} s; counts every byte the agent process wrote (uploads, heartbeats, logs)", super::dataset::human_bytes(bytes))),
        );
        println!("  unchanged re-backup through the agent: {t:.2} s, {} sent", super::dataset::human_bytes(sent));
        Ok(())
    })();
    // unpinned again, also when a pinned run failed
    let _ = pin_process(std::process::id(), &all);
    if let Some(mut c) = agent {
        let _ = c.kill();
        let _ = c.wait();
    }
    rt.block_on(server.shutdown());
    rm(&dir);
    result
}

/// Where the two ends run while they are measured.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Every process on every core of this machine.
    Shared,
    /// The agent on CPU 0; the backend (and the in-backend backup) on CPU 1.
    OwnCores,
}

impl Layout {
    fn tag(self) -> &'static str {
        match self {
            Layout::Shared => "shared cores",
            Layout::OwnCores => "a core each",
        }
    }
}

#[derive(Default)]
struct Measured {
    local: Vec<f64>,
    remote: Vec<f64>,
    local_cpu: Vec<f64>,
    agent_cpu: Vec<f64>,
    backend_cpu: Vec<f64>,
}

impl Measured {
    fn rows(&self, layout: Layout, bytes: u64, report: &mut BenchReport) {
        let (l, r) = (Stat::of(&self.local), Stat::of(&self.remote));
        let ratio = l.median / r.median.max(1e-9);
        let (metric, setup) = match layout {
            Layout::Shared => (
                "backup through an agent (loopback) vs in the backend".to_string(),
                format!("the agent is a separate process that chunks, compresses and encrypts, the backend checks every pack it receives — here both share the same {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
            ),
            Layout::OwnCores => (
                "backup through an agent (loopback), a core each, vs in the backend on one core".to_string(),
                "as deployed, each host with its own share of CPU: the agent pinned to CPU 0 (the protected host), the backend to CPU 1 (the backup server); the in-backend backup — one host doing all of it — pinned to CPU 1".to_string(),
            ),
        };
        report.rows.push(
            Row::new(metric, "s", false, r)
                .vs("in the backend", l)
                .target(format!("≥{GOAL}× the in-backend speed"), ratio >= GOAL)
                .note(format!("{}; {setup}", super::dataset::human_bytes(bytes))),
        );
        if layout != Layout::Shared {
            return;
        }
        // What each side's host spends: the agent's own work against the in-backend backup's,
        // and the backend's checking of the uploads, per GiB.
        let (lc, ac, bc) = (Stat::of(&self.local_cpu), Stat::of(&self.agent_cpu), Stat::of(&self.backend_cpu));
        report.rows.push(
            Row::new("agent: CPU time of the backup on its host vs in the backend", "CPU-s", false, ac)
                .vs("in the backend", lc)
                .note("utime+stime of the agent process; the in-backend figure is the backend process (its bench client included)"),
        );
        let gib = bytes as f64 / (1024.0 * MIB);
        report.rows.push(
            Row::new("backend: CPU time checking an agent's uploads", "CPU-s/GiB", false, Stat::of(&self.backend_cpu.iter().map(|c| c / gib.max(1e-9)).collect::<Vec<_>>()))
                .note(format!("the backend process while the agent backs up (signature, every blob decrypted, decompressed and re-hashed, the writes); {:.2} CPU-s median for {}", bc.median, super::dataset::human_bytes(bytes))),
        );
    }
}
