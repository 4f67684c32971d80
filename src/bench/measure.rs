//! Measuring: repeated runs (median, min), percentiles, page-cache equalisation, and the
//! peak RSS of a child process read from /proc.
use std::path::Path;
use std::time::{Duration, Instant};

/// Summary of repeated measurements of one quantity.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
    pub samples: Vec<f64>,
}

impl Stat {
    pub fn of(samples: &[f64]) -> Stat {
        if samples.is_empty() {
            return Stat::default();
        }
        let mut s = samples.to_vec();
        s.sort_by(|a, b| a.total_cmp(b));
        Stat { median: percentile_sorted(&s, 50.0), min: s[0], max: s[s.len() - 1], runs: s.len(), samples: samples.to_vec() }
    }
}

/// Nearest-rank percentile over sorted samples (the median of an even count is the mean of the two middle values).
pub fn percentile_sorted(s: &[f64], p: f64) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    if p == 50.0 && s.len() % 2 == 0 {
        return (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0;
    }
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

pub fn percentile(samples: &[f64], p: f64) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    percentile_sorted(&s, p)
}

pub fn mean(samples: &[f64]) -> f64 {
    if samples.is_empty() {
        f64::NAN
    } else {
        samples.iter().sum::<f64>() / samples.len() as f64
    }
}

/// How the page cache is handled before each timed run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum CacheMode {
    /// `sync; echo 3 > /proc/sys/vm/drop_caches` before each timed run of either side.
    Dropped,
    /// Dropping is not permitted (e.g. in a container): the inputs are read once before each
    /// timed run of either side, so both sides start warm.
    Warm,
}

/// Before a latency is timed: the dirty pages the earlier phases (and the setup) left are
/// written out first, so their writeback does not land inside the measurement.
pub fn quiesce() {
    crate::platform::sync_filesystems();
    std::thread::sleep(Duration::from_millis(500));
}

/// Tries to drop the page cache; true when it worked.
pub fn drop_caches() -> bool {
    crate::platform::sync_filesystems();
    std::fs::write("/proc/sys/vm/drop_caches", b"3\n").is_ok()
}

/// Equalises caches before a timed run: drops them, or (when not permitted) warms `inputs`.
pub fn equalise(mode: CacheMode, inputs: &[&Path]) {
    match mode {
        CacheMode::Dropped => {
            drop_caches();
        }
        CacheMode::Warm => {
            crate::platform::sync_filesystems();
            for p in inputs {
                let _ = super::dataset::read_all(p);
            }
        }
    }
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

/// `VmHWM` (peak RSS) and `VmRSS` of a process in bytes, from /proc/PID/status.
pub fn proc_rss(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Resets the `VmHWM` of `pid` to its current RSS (`/proc/PID/clear_refs`, Linux); false
/// where that is not possible.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Free bytes on the filesystem holding `path`.
pub fn free_disk(path: &Path) -> Option<u64> {
    crate::platform::free_disk(path)
}

/// One line describing the machine: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()))
        .map(|kb| format!("{:.0} GiB RAM", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default();
    format!("{cores} cores ({cpu}), {mem}, Linux {kernel}")
}

/// utime + stime of `pid` in clock ticks (fields 14 and 15 of `/proc/PID/stat`).
pub(crate) fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it follow its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so field 14 is index 11.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU seconds (user + system) `pid` has used so far.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    cpu_ticks(pid).unwrap_or(0) as f64 / hz
}

/// Pins every thread of process `pid` to the CPUs `cpus` (the threads it starts later inherit it
/// from their creator). Linux; an error where affinity cannot be set.
pub(crate) fn pin_process(pid: u32, cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET only writes inside it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Some(tid) = task?.file_name().to_str().and_then(|t| t.parse::<libc::pid_t>().ok()) else { continue };
        // SAFETY: `set` is a valid cpu_set_t of the size given.
        if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
            let e = std::io::Error::last_os_error();
            // a thread that ended meanwhile
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
    }
    Ok(())
}
