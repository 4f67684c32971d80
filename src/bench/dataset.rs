//! The benchmark's deterministic dataset: generation (seeded), the 1 % change set for the
//! incremental runs, and a content hash of a tree to check restores.
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::{BenchResult, IoContext as _};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
/// Largest buffer the generator holds: files are written in pieces of this size.
const PIECE: usize = 4 * MIB as usize;

/// What was generated.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DatasetStats {
    pub bytes: u64,
    pub files: u64,
    pub dirs: u64,
    pub small_files: u64,
    pub large_files: u64,
    pub log_files: u64,
    pub duplicate_files: u64,
}

/// Generates about `size` bytes under `root` (created; must not exist or be empty), deterministic
/// for a given `(size, seed)`. Composition by bytes: 25 % small files (0.5–48 KiB, half text, half
/// random) in nested dirs, 35 % large incompressible files, 20 % logs, 5 % a SQLite-like paged
/// file, 15 % duplicated content (copies of large and small files under other names).
pub fn generate(root: &Path, size: u64, seed: u64) -> BenchResult<DatasetStats> {
    fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut st = DatasetStats::default();
    let budget = |f: f64| ((size as f64) * f) as u64;

    // Small files in nested dirs: small/dNN/sN/tN/file-N.{txt,bin}
    let small_budget = budget(0.25);
    let mut small_paths: Vec<PathBuf> = Vec::new();
    let mut written = 0u64;
    let mut i = 0u64;
    while written < small_budget {
        let dir = root.join(format!("small/d{:02}/s{}/t{}", i % 16, (i / 16) % 6, (i / 96) % 4));
        if !dir.exists() {
            fs::create_dir_all(&dir)?;
        }
        let len = rng.gen_range(512..48 * KIB).min(small_budget - written).max(1);
        let text = i % 2 == 0;
        let path = dir.join(format!("file-{i:06}.{}", if text { "txt" } else { "bin" }));
        let bytes = if text { text_bytes(&mut rng, len as usize, i) } else { random_bytes(&mut rng, len as usize) };
        fs::write(&path, &bytes)?;
        small_paths.push(path);
        written += len;
        st.small_files += 1;
        i += 1;
    }
    st.bytes += written;
    st.files += st.small_files;

    // Large incompressible files.
    let large_budget = budget(0.35).max(1);
    let large_size = (size / 8).clamp(MIB, 256 * MIB);
    fs::create_dir_all(root.join("media"))?;
    let mut large_paths = Vec::new();
    let mut written = 0u64;
    let mut n = 0;
    while written < large_budget {
        let len = large_size.min(large_budget - written);
        let path = root.join(format!("media/blob-{n:03}.raw"));
        write_stream(&path, len, |buf| rng.fill_bytes(buf))?;
        large_paths.push(path);
        written += len;
        n += 1;
    }
    st.large_files = n;
    st.files += n;
    st.bytes += written;

    // Compressible logs.
    let log_budget = budget(0.20);
    let log_size = (size / 32).clamp(256 * KIB, 16 * MIB);
    fs::create_dir_all(root.join("var/log/app"))?;
    let mut written = 0u64;
    let mut n = 0u64;
    while written < log_budget {
        let len = log_size.min(log_budget - written).max(1);
        let path = root.join(format!("var/log/app/service-{n:03}.log"));
        let mut line_no = 0u64;
        let mut lrng = StdRng::seed_from_u64(seed ^ (0x1065 + n));
        write_stream(&path, len, |buf| fill_log(&mut lrng, buf, &mut line_no))?;
        written += len;
        n += 1;
    }
    st.log_files = n;
    st.files += n;
    st.bytes += written;

    // A SQLite-like database file: 4 KiB pages, header page, b-tree-ish pages with records and free space.
    let db_len = (budget(0.05) / 4096).max(4) * 4096;
    fs::create_dir_all(root.join("db"))?;
    let mut page_no = 0u64;
    let mut drng = StdRng::seed_from_u64(seed ^ 0xdb);
    write_stream(&root.join("db/catalog.sqlite"), db_len, |buf| {
        for page in buf.chunks_mut(4096) {
            fill_db_page(&mut drng, page, page_no, db_len / 4096);
            page_no += 1;
        }
    })?;
    st.files += 1;
    st.bytes += db_len;

    // Duplicated content: copies of large files and of small files, under other names.
    let dup_budget = budget(0.15);
    fs::create_dir_all(root.join("copies/media"))?;
    fs::create_dir_all(root.join("copies/small"))?;
    let mut written = 0u64;
    let mut k = 0usize;
    while written < dup_budget / 2 && !large_paths.is_empty() {
        let src = &large_paths[k % large_paths.len()];
        let len = fs::metadata(src)?.len();
        if written + len > dup_budget / 2 && k > 0 {
            break;
        }
        fs::copy(src, root.join(format!("copies/media/copy-{k:03}.raw")))?;
        written += len;
        st.duplicate_files += 1;
        k += 1;
    }
    let mut k = 0usize;
    while written < dup_budget && k < small_paths.len() {
        let src = &small_paths[(k * 7) % small_paths.len()];
        let len = fs::metadata(src)?.len();
        fs::copy(src, root.join(format!("copies/small/dup-{k:06}")))?;
        written += len;
        st.duplicate_files += 1;
        k += 1;
    }
    st.files += st.duplicate_files;
    st.bytes += written;
    st.dirs = count_dirs(root)?;
    Ok(st)
}

fn count_dirs(root: &Path) -> BenchResult<u64> {
    let mut n = 0;
    for e in fs::read_dir(root)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            n += 1 + count_dirs(&e.path())?;
        }
    }
    Ok(n)
}

fn write_stream(path: &Path, len: u64, mut fill: impl FnMut(&mut [u8])) -> BenchResult<()> {
    let mut f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut buf = vec![0u8; PIECE.min(len as usize)];
    let mut left = len;
    while left > 0 {
        let n = (left as usize).min(buf.len());
        fill(&mut buf[..n]);
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

fn random_bytes(rng: &mut StdRng, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    rng.fill_bytes(&mut b);
    b
}

const WORDS: &[&str] = &[
    "vault", "mirror", "snapshot", "region", "replica", "backup", "restore", "chunk", "index", "pack", "manifest", "client", "policy", "retention",
    "the", "of", "and", "a", "to", "in", "is", "for", "with", "on", "fn", "let", "mut", "return", "struct", "impl", "match", "Some", "None",
];

fn text_bytes(rng: &mut StdRng, len: usize, i: u64) -> Vec<u8> {
    let mut s = String::with_capacity(len + 64);
    s.push_str(&format!("// generated source file {i}\n"));
    while s.len() < len {
        let words = rng.gen_range(3..12);
        for _ in 0..words {
            s.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
            s.push(' ');
        }
        s.push_str(&format!("{};\n", rng.gen_range(0..100_000)));
    }
    s.truncate(len);
    s.into_bytes()
}

const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const MESSAGES: &[&str] = &[
    "request completed",
    "backup job progress",
    "replication batch copied",
    "cache miss for key",
    "connection accepted from",
    "slow query detected on table",
    "retrying upload after timeout",
];

/// Fills `buf` with log lines (the last line cut at the buffer's end).
fn fill_log(rng: &mut StdRng, buf: &mut [u8], line_no: &mut u64) {
    let mut pos = 0;
    let mut line = String::with_capacity(160);
    while pos < buf.len() {
        line.clear();
        use std::fmt::Write as _;
        let t = 1_700_000_000 + *line_no / 20;
        let _ = writeln!(
            line,
            "{t}.{:03} {} [worker-{}] {} id={} latency_ms={} bytes={}",
            rng.gen_range(0..1000),
            LEVELS[rng.gen_range(0..LEVELS.len())],
            rng.gen_range(0..16),
            MESSAGES[rng.gen_range(0..MESSAGES.len())],
            rng.gen_range(0..1_000_000u32),
            rng.gen_range(0..5000),
            rng.gen_range(0..10_000_000u32)
        );
        let n = line.len().min(buf.len() - pos);
        buf[pos..pos + n].copy_from_slice(&line.as_bytes()[..n]);
        pos += n;
        *line_no += 1;
    }
}

/// One 4 KiB page of a SQLite-like file: the file header on page 0, then leaf pages with a page
/// header, a cell pointer array, zeroed free space and records packed at the end.
fn fill_db_page(rng: &mut StdRng, page: &mut [u8], page_no: u64, pages: u64) {
    page.fill(0);
    let mut start = 0;
    if page_no == 0 {
        let header = b"SQLite format 3\0";
        page[..16].copy_from_slice(header);
        page[16..18].copy_from_slice(&4096u16.to_be_bytes());
        page[28..32].copy_from_slice(&(pages as u32).to_be_bytes());
        start = 100;
    }
    if page.len() < start + 8 {
        return;
    }
    page[start] = 0x0d; // table leaf
    let cells = rng.gen_range(4..24u16);
    page[start + 3..start + 5].copy_from_slice(&cells.to_be_bytes());
    let mut end = page.len();
    for c in 0..cells as usize {
        let rec = rng.gen_range(40..120usize);
        if end < start + 8 + 2 * cells as usize + rec {
            break;
        }
        end -= rec;
        let p = start + 8 + 2 * c;
        page[p..p + 2].copy_from_slice(&(end as u16).to_be_bytes());
        // a record: header bytes, an integer key, a short text and a random blob
        let key = page_no * 32 + c as u64;
        page[end..end + 8].copy_from_slice(&key.to_be_bytes());
        let text = format!("customer-{key} active");
        let tl = text.len().min(rec - 8);
        page[end + 8..end + 8 + tl].copy_from_slice(&text.as_bytes()[..tl]);
        rng.fill_bytes(&mut page[end + 8 + tl..end + rec]);
    }
}

/// Every regular file under `root`, sorted.
pub fn list_files(root: &Path) -> BenchResult<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> BenchResult<()> {
        let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let t = e.file_type()?;
            if t.is_dir() {
                walk(&e.path(), out)?;
            } else if t.is_file() {
                out.push(e.path());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, &mut out)?;
    Ok(out)
}

/// What one change round did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ChangeStats {
    pub files_touched: u64,
    pub appended: u64,
    pub edited: u64,
    pub created: u64,
    /// Bytes appended + bytes overwritten + bytes of new files.
    pub bytes_changed: u64,
}

/// Changes `fraction` of the files under `root` (deterministic for `seed`): a third get data
/// appended (a quarter of their size, 1 MiB at most), a third get a range in the middle
/// overwritten (same bound), and as many new files are created (small-file sizes).
pub fn change(root: &Path, fraction: f64, seed: u64) -> BenchResult<ChangeStats> {
    let files = list_files(root)?;
    let n = ((files.len() as f64 * fraction).round() as usize).max(3);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut st = ChangeStats::default();
    let picked = rand::seq::index::sample(&mut rng, files.len(), (2 * n / 3).max(2).min(files.len()));
    for (k, idx) in picked.iter().enumerate() {
        let path = &files[idx];
        let len = fs::metadata(path)?.len();
        let amount = (len / 4).clamp(64, MIB);
        let data = random_bytes(&mut rng, amount as usize);
        if k % 2 == 0 {
            let mut f = fs::OpenOptions::new().append(true).open(path)?;
            f.write_all(&data)?;
            st.appended += 1;
        } else {
            let mut f = fs::OpenOptions::new().write(true).open(path)?;
            let amount = amount.min(len);
            let at = (len - amount) / 2;
            f.seek(SeekFrom::Start(at))?;
            f.write_all(&data[..amount as usize])?;
            st.edited += 1;
        }
        st.bytes_changed += amount.min(if k % 2 == 0 { amount } else { len });
        st.files_touched += 1;
    }
    let new = n - picked.len().min(n);
    let dir = root.join(format!("new/round-{seed}"));
    fs::create_dir_all(&dir)?;
    for j in 0..new.max(1) {
        let len = rng.gen_range(512..48 * KIB) as usize;
        let bytes = if j % 2 == 0 { text_bytes(&mut rng, len, j as u64) } else { random_bytes(&mut rng, len) };
        fs::write(dir.join(format!("new-{j:05}")), &bytes)?;
        st.created += 1;
        st.files_touched += 1;
        st.bytes_changed += len as u64;
    }
    Ok(st)
}

/// BLAKE3 over the tree: sorted relative paths, kinds, symlink targets and file contents.
pub fn tree_hash(root: &Path) -> BenchResult<String> {
    let mut h = blake3::Hasher::new();
    fn walk(root: &Path, dir: &Path, h: &mut blake3::Hasher, buf: &mut [u8]) -> BenchResult<()> {
        let mut entries: Vec<_> = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p);
            h.update(rel.as_os_str().as_encoded_bytes());
            let t = e.file_type()?;
            if t.is_dir() {
                h.update(b"\0d\0");
                walk(root, &p, h, buf)?;
            } else if t.is_symlink() {
                h.update(b"\0l\0");
                h.update(fs::read_link(&p)?.as_os_str().as_encoded_bytes());
            } else {
                h.update(b"\0f\0");
                let mut f = File::open(&p)?;
                let mut len = 0u64;
                loop {
                    let n = f.read(buf)?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                    len += n as u64;
                }
                h.update(&len.to_le_bytes());
            }
        }
        Ok(())
    }
    let mut buf = vec![0u8; MIB as usize];
    walk(root, root, &mut h, &mut buf)?;
    Ok(h.finalize().to_hex().to_string())
}

/// Reads every file once (used to warm the page cache equally for both sides).
pub fn read_all(root: &Path) -> BenchResult<u64> {
    let mut buf = vec![0u8; MIB as usize];
    let mut total = 0;
    for p in list_files(root)? {
        let mut f = File::open(&p)?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    Ok(total)
}

/// Bytes of the regular files under `dir` (apparent sizes).
/// Copies the real tree `from` to `to` (`cp -a`: contents, modes, times, links) and counts it.
pub fn copy_tree(from: &Path, to: &Path) -> BenchResult<DatasetStats> {
    if !from.is_dir() {
        return Err(super::BenchError::Failed(format!("--dataset {}: not a directory", from.display())));
    }
    fs::create_dir_all(to)?;
    let status = std::process::Command::new("cp").arg("-a").arg(from.join(".")).arg(to).status()?;
    if !status.success() {
        return Err(super::BenchError::Failed(format!("cp -a {} {} failed ({status})", from.display(), to.display())));
    }
    let mut st = DatasetStats::default();
    fn count(dir: &Path, st: &mut DatasetStats) -> BenchResult<()> {
        for e in fs::read_dir(dir)? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                st.dirs += 1;
                count(&e.path(), st)?;
            } else if t.is_file() {
                st.files += 1;
                st.bytes += e.metadata()?.len();
            }
        }
        Ok(())
    }
    count(to, &mut st)?;
    if st.files == 0 {
        return Err(super::BenchError::Failed(format!("--dataset {}: no files to back up", from.display())));
    }
    Ok(st)
}

pub fn dir_bytes(dir: &Path) -> u64 {
    list_files(dir).map(|fs_| fs_.iter().filter_map(|p| fs::metadata(p).ok()).map(|m| m.len()).sum()).unwrap_or(0)
}

/// Parses "2GiB", "64MiB", "500MB", "1g", "1048576".
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0f64.powi(4),
        u => return Err(format!("unknown size unit {u:?} in {s:?}")),
    };
    Ok((v * mult) as u64)
}

pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", b / 1024.0 / 1024.0 / 1024.0)
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_tree_is_copied_whole_and_counted() {
        let from = tempfile::tempdir().unwrap();
        fs::create_dir_all(from.path().join("a/b")).unwrap();
        fs::write(from.path().join("a/b/one.txt"), b"hello").unwrap();
        fs::write(from.path().join("two.bin"), vec![7u8; 1000]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("two.bin", from.path().join("link")).unwrap();
        let to = tempfile::tempdir().unwrap();
        let st = copy_tree(from.path(), &to.path().join("data")).unwrap();
        assert_eq!((st.files, st.dirs, st.bytes), (2, 2, 1005));
        assert_eq!(fs::read(to.path().join("data/a/b/one.txt")).unwrap(), b"hello");
        #[cfg(unix)]
        assert_eq!(fs::read_link(to.path().join("data/link")).unwrap(), Path::new("two.bin"));
        let empty = tempfile::tempdir().unwrap();
        assert!(copy_tree(empty.path(), &to.path().join("e")).is_err());
        assert!(copy_tree(&from.path().join("missing"), &to.path().join("m")).is_err());
    }
}
