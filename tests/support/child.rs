//! The real `mirrorvault serve` binary as a child process, for the reliability tests that kill
//! it, read its logs or measure its memory (the in-process `TestServer` cannot be SIGKILLed).
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mirrorvault::client::{Client, Credentials, Trust};

pub struct Backend {
    pub child: Child,
    /// As printed: `http://IP:PORT`, or `https://IP:PORT` when it speaks TLS.
    pub endpoint: String,
    /// The fingerprint it printed for its TLS certificate (HTTPS only).
    pub tls_fingerprint: Option<String>,
    /// Signs with the launch's credentials; over HTTPS it pins `tls_fingerprint`.
    pub client: Client,
    pub data_dir: PathBuf,
    /// Everything the process wrote to stdout and stderr so far.
    pub output: Arc<Mutex<String>>,
}

pub struct Launch<'a> {
    pub data_dir: &'a Path,
    pub delay: &'a str,
    pub credentials: Credentials,
    pub rust_log: &'a str,
    pub extra_env: Vec<(String, String)>,
}

impl Backend {
    pub fn start(l: &Launch<'_>) -> Backend {
        Backend::spawn(l, None, &[])
    }

    /// `start`, the process running as `uid:gid` (the test runs as root): a backend that cannot
    /// read what root alone may.
    pub fn start_as(l: &Launch<'_>, user: Option<(u32, u32)>) -> Backend {
        Backend::spawn(l, user, &[])
    }

    /// `start` with more `serve` arguments (`--tls`, `--tls-cert F --tls-key F`, or a
    /// `--listen` replacing the default `127.0.0.1:0`).
    pub fn start_with_args(l: &Launch<'_>, args: &[&str]) -> Backend {
        Backend::spawn(l, None, args)
    }

    fn spawn(l: &Launch<'_>, user: Option<(u32, u32)>, args: &[&str]) -> Backend {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirrorvault"));
        if let Some((uid, gid)) = user {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid).env("HOME", l.data_dir);
        }
        cmd.arg("serve");
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.args(args)
            .args(["--historical-sync-delay", l.delay, "--data-dir"])
            .arg(l.data_dir)
            .env("MIRRORVAULT_ACCESS_KEY_ID", &l.credentials.access_key_id)
            .env("MIRRORVAULT_ACCESS_KEY_SECRET", &l.credentials.access_key_secret)
            .env("RUST_LOG", l.rust_log)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &l.extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn mirrorvault serve");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("listening on ") || line.starts_with("tls certificate sha256 fingerprint: ") {
                    let _ = tx.send(line.clone());
                }
                let mut o = out.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let out = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stderr.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });
        let mut next_line = |what: &str| match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("backend did not print {what}:\n{}", output.lock().unwrap());
            }
        };
        let line = next_line("its endpoint");
        let endpoint = line.strip_prefix("listening on ").unwrap_or_else(|| panic!("expected the endpoint first, got {line:?}")).trim().to_string();
        let tls_fingerprint = endpoint.starts_with("https://").then(|| {
            let line = next_line("its certificate's fingerprint");
            line.strip_prefix("tls certificate sha256 fingerprint: ").unwrap_or_else(|| panic!("expected the fingerprint, got {line:?}")).trim().to_string()
        });
        let trust = Trust { fingerprint: tls_fingerprint.clone(), ca_file: None };
        let client = Client::with_trust(&endpoint, l.credentials.clone(), &trust).unwrap();
        Backend { child, endpoint, tls_fingerprint, client, data_dir: l.data_dir.to_path_buf(), output }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for the clean shutdown.
    pub fn terminate(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
    }

    /// Resident set size in bytes (Linux).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}

/// The real `mirrorvault agent` as a child process.
pub struct Agent {
    pub child: Child,
    pub data_dir: PathBuf,
    pub output: Arc<Mutex<String>>,
}

/// Collects a child's stdout and stderr into one string.
fn capture(child: &mut Child) -> Arc<Mutex<String>> {
    let output = Arc::new(Mutex::new(String::new()));
    for stream in [child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>), child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>)].into_iter().flatten() {
        let out = output.clone();
        let mut stream = stream;
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });
    }
    output
}

impl Agent {
    /// `mirrorvault agent register`: mints and saves the client's scoped key in `data_dir`.
    pub fn register(endpoint: &str, client_id: &str, data_dir: &Path, account: &Credentials) -> std::process::Output {
        Agent::register_with(endpoint, client_id, data_dir, account, &[])
    }

    /// `register` with more flags (`--fingerprint HEX`).
    pub fn register_with(endpoint: &str, client_id: &str, data_dir: &Path, account: &Credentials, extra: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_mirrorvault"))
            .args(["agent", "register", "--endpoint", endpoint, "--client-id", client_id, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("MIRRORVAULT_ACCESS_KEY_ID", &account.access_key_id)
            .env("MIRRORVAULT_ACCESS_KEY_SECRET", &account.access_key_secret)
            .output()
            .expect("run mirrorvault agent register")
    }

    /// `mirrorvault agent` with the key saved in `data_dir` (no account key in its environment).
    pub fn start(data_dir: &Path) -> Agent {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mirrorvault"))
            .args(["agent", "--data-dir"])
            .arg(data_dir)
            .env_remove("MIRRORVAULT_ACCESS_KEY_ID")
            .env_remove("MIRRORVAULT_ACCESS_KEY_SECRET")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mirrorvault agent");
        let output = capture(&mut child);
        Agent { child, data_dir: data_dir.to_path_buf(), output }
    }

    /// Bytes the process has written (files, pipes and sockets: /proc/PID/io `wchar`). The agent
    /// writes no files during a backup, so this is what it sent plus its log lines.
    pub fn bytes_written(&self) -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{}/io", self.child.id())).unwrap_or_default();
        io.lines().find_map(|l| l.strip_prefix("wchar:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
    }

    pub fn kill9(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}
