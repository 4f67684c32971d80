//! The peers: `restic` and `rustic`, run as child processes (std::process) with the repository
//! password in the environment. A peer whose binary is absent is skipped with a printed note.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::error::{bail, BenchResult, IoContext as _};

pub const PASSWORD: &str = "mirrorvault-bench-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Restic,
    Rustic,
}

#[derive(Clone, Debug)]
pub struct Peer {
    pub kind: Kind,
    pub bin: PathBuf,
    pub version: String,
    /// Cache directory (restic keeps metadata there; same for every run).
    pub cache: PathBuf,
}

/// Finds an executable in PATH (or ~/.cargo/bin for rustic).
pub fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

impl Peer {
    /// The peer, when its binary is installed and answers `version`.
    pub fn detect(kind: Kind, cache_root: &Path) -> Option<Peer> {
        let name = match kind {
            Kind::Restic => "restic",
            Kind::Rustic => "rustic",
        };
        let bin = which(name)?;
        let out = Command::new(&bin).arg(if kind == Kind::Restic { "version" } else { "--version" }).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let version = String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").trim().to_string();
        Some(Peer { kind, bin, version, cache: cache_root.join(format!("{name}-cache")) })
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Restic => "restic",
            Kind::Rustic => "rustic",
        }
    }

    fn cmd(&self, repo: &Path) -> Command {
        let mut c = Command::new(&self.bin);
        match self.kind {
            Kind::Restic => {
                c.env("RESTIC_PASSWORD", PASSWORD).env("RESTIC_FROM_PASSWORD", PASSWORD).env("RESTIC_CACHE_DIR", &self.cache);
                c.arg("-r").arg(repo).arg("--quiet");
            }
            Kind::Rustic => {
                c.env("RUSTIC_PASSWORD", PASSWORD).env("RUSTIC_CACHE_DIR", &self.cache).env("RUSTIC_NO_PROGRESS", "true");
                c.arg("-r").arg(repo).arg("--no-progress");
            }
        }
        c.env_remove("RESTIC_REPOSITORY").env_remove("RUSTIC_REPOSITORY");
        c
    }

    /// Runs the command; returns its wall time in seconds.
    fn run(&self, mut c: Command, what: &str) -> BenchResult<f64> {
        let t = Instant::now();
        let out = c.output().with_context(|| format!("cannot run {}", self.bin.display()))?;
        let elapsed = t.elapsed().as_secs_f64();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: String = err.lines().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            bail!("{} {what} failed ({}): {tail}", self.name(), out.status);
        }
        Ok(elapsed)
    }

    /// Creates a repository (not timed by the callers).
    pub fn init(&self, repo: &Path) -> BenchResult<()> {
        let mut c = self.cmd(repo);
        c.arg("init");
        self.run(c, "init").map(|_| ())
    }

    /// A repository for `copy` into it, with the chunker parameters of `from` (so dedup works).
    pub fn init_copy_target(&self, repo: &Path, from: &Path) -> BenchResult<()> {
        match self.kind {
            Kind::Restic => {
                let mut c = self.cmd(repo);
                c.arg("init").arg("--from-repo").arg(from).arg("--copy-chunker-params");
                self.run(c, "init --copy-chunker-params").map(|_| ())
            }
            Kind::Rustic => {
                // rustic's `copy --init` creates the target with the source's chunker parameters.
                Ok(())
            }
        }
    }

    pub fn backup(&self, repo: &Path, path: &Path) -> BenchResult<f64> {
        let mut c = self.cmd(repo);
        c.arg("backup").arg(path).arg("--host").arg("bench");
        self.run(c, "backup")
    }

    pub fn copy(&self, from: &Path, to: &Path) -> BenchResult<f64> {
        match self.kind {
            Kind::Restic => {
                let mut c = self.cmd(to);
                c.arg("copy").arg("--from-repo").arg(from);
                self.run(c, "copy")
            }
            Kind::Rustic => {
                // rustic (0.10+) copies to targets that are config profiles of their own:
                // the source profile names the target profile (by path) in `copy.targets`.
                let profile_dir = to.with_extension("profile");
                std::fs::create_dir_all(&profile_dir)?;
                let target_profile = profile_dir.join("bench-copy-target");
                std::fs::write(
                    target_profile.with_extension("toml"),
                    format!("[repository]\nrepository = {:?}\npassword = {PASSWORD:?}\n", to.display().to_string()),
                )?;
                std::fs::write(
                    profile_dir.join("bench-copy.toml"),
                    format!(
                        "[repository]\nrepository = {:?}\npassword = {PASSWORD:?}\n\n[copy]\ntargets = [{:?}]\n",
                        from.display().to_string(),
                        target_profile.display().to_string()
                    ),
                )?;
                let mut c = Command::new(&self.bin);
                c.env("RUSTIC_CACHE_DIR", &self.cache).env_remove("RUSTIC_REPOSITORY").env_remove("RUSTIC_PASSWORD");
                c.arg("-P").arg(profile_dir.join("bench-copy")).arg("--no-progress").arg("copy").arg("--init");
                self.run(c, "copy")
            }
        }
    }

    pub fn restore(&self, repo: &Path, target: &Path) -> BenchResult<f64> {
        let mut c = self.cmd(repo);
        match self.kind {
            Kind::Restic => {
                c.arg("restore").arg("latest").arg("--target").arg(target);
            }
            Kind::Rustic => {
                c.arg("restore").arg("latest").arg(target);
            }
        }
        self.run(c, "restore")
    }

    /// The repository's snapshot ids, oldest first (restic: `snapshots --json`; rustic:
    /// `snapshots --json`, grouped, flattened here).
    pub fn snapshot_ids(&self, repo: &Path) -> BenchResult<Vec<String>> {
        let mut c = self.cmd(repo);
        c.arg("snapshots").arg("--json");
        let out = c.output().with_context(|| format!("cannot run {}", self.bin.display()))?;
        if !out.status.success() {
            bail!("{} snapshots failed ({})", self.name(), out.status);
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| super::error::BenchError::Failed(format!("{} snapshots --json: {e}", self.name())))?;
        let mut snaps: Vec<(String, String)> = Vec::new();
        fn collect(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                serde_json::Value::Object(o) => match (o.get("id").and_then(|x| x.as_str()), o.get("time").and_then(|x| x.as_str())) {
                    (Some(id), Some(t)) => out.push((t.to_string(), id.to_string())),
                    _ => o.values().for_each(|x| collect(x, out)),
                },
                _ => {}
            }
        }
        collect(&v, &mut snaps);
        snaps.sort();
        Ok(snaps.into_iter().map(|(_, id)| id).collect())
    }

    /// `forget <ids>` (removes the snapshots, keeps their data for prune).
    pub fn forget(&self, repo: &Path, ids: &[String]) -> BenchResult<f64> {
        let mut c = self.cmd(repo);
        c.arg("forget").args(ids);
        self.run(c, "forget")
    }

    /// `prune --max-unused 5%` (both peers' default; see README "Benchmarks"). Returns the wall
    /// time and the child's peak RSS (`ru_maxrss` from `wait4`).
    pub fn prune(&self, repo: &Path, stderr_file: &Path) -> BenchResult<(f64, Option<u64>)> {
        let mut c = self.cmd(repo);
        c.arg("prune").arg("--max-unused").arg("5%");
        let err = std::fs::File::create(stderr_file)?;
        c.stdout(std::process::Stdio::null()).stderr(err);
        let t = Instant::now();
        let child = c.spawn().with_context(|| format!("cannot run {}", self.bin.display()))?;
        let (status, maxrss) = wait_rusage(child)?;
        let elapsed = t.elapsed().as_secs_f64();
        if status != 0 {
            let err = std::fs::read_to_string(stderr_file).unwrap_or_default();
            let tail: String = err.lines().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
            bail!("{} prune failed (wait status {status}): {tail}", self.name());
        }
        Ok((elapsed, maxrss))
    }
}

/// Waits for `child` with `wait4`; returns its wait status and peak RSS in bytes (Linux reports
/// `ru_maxrss` in KiB).
#[cfg(unix)]
fn wait_rusage(child: std::process::Child) -> BenchResult<(i32, Option<u64>)> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is valid; wait4 writes it for our own child `pid`.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: plain syscall on our child's pid with valid pointers to locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e.into());
        }
    }
    // the child is reaped: `Child` must not wait again (dropping it does not)
    drop(child);
    let maxrss = (ru.ru_maxrss > 0).then(|| ru.ru_maxrss as u64 * 1024);
    Ok((status, maxrss))
}

/// Elsewhere: the exit status only (no peak RSS).
#[cfg(not(unix))]
fn wait_rusage(mut child: std::process::Child) -> BenchResult<(i32, Option<u64>)> {
    let st = child.wait()?;
    Ok((if st.success() { 0 } else { st.code().unwrap_or(1) }, None))
}
