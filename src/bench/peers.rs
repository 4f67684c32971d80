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
}
