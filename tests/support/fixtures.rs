//! Test data: the test credentials, a deterministic source tree, seeded bytes.
use std::path::Path;

use mirrorvault::client::Credentials;
use rand::{RngCore, SeedableRng};

/// The access key every test server is started with (unless a test asks for generated ones).
pub fn creds() -> Credentials {
    Credentials { access_key_id: "LTAItestkey0001".into(), access_key_secret: "test-secret-0001".into() }
}

/// A deterministic tree: text, random bytes, an empty dir, a symlink, a non-UTF-8 name.
pub fn make_tree(root: &Path, seed: u64, files: usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    std::fs::create_dir_all(root.join("docs/nested/deeper")).unwrap();
    std::fs::create_dir_all(root.join("empty-dir")).unwrap();
    for i in 0..files {
        let mut buf = vec![0u8; (rng.next_u32() % 20_000) as usize];
        if i % 2 == 0 {
            rng.fill_bytes(&mut buf);
        } else {
            buf = format!("line {i} of a compressible log file\n").repeat(buf.len() / 30 + 1).into_bytes();
        }
        let dir = match i % 3 {
            0 => root.to_path_buf(),
            1 => root.join("docs/nested"),
            _ => root.join("docs/nested/deeper"),
        };
        std::fs::write(dir.join(format!("file-{i}.bin")), &buf).unwrap();
    }
    let mut big = vec![0u8; 3 * 1024 * 1024];
    rng.fill_bytes(&mut big);
    std::fs::write(root.join("big.dat"), &big).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"odd-\xff\xfe-name.txt")), b"not utf-8 name").unwrap();
        std::os::unix::fs::symlink("docs/nested", root.join("link-to-nested")).unwrap();
    }
}

/// `n` bytes from a seeded generator (incompressible).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

/// `n` bytes of seeded words (compressible text).
pub fn text_bytes(n: usize, seed: u64) -> Vec<u8> {
    let words = ["alpha ", "beta ", "gamma ", "delta\n", "epsilon ", "zeta "];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        v.extend_from_slice(words[(rng.next_u32() as usize) % words.len()].as_bytes());
    }
    v.truncate(n);
    v
}

/// Writes `data` to `path`, creating its parent dirs.
pub fn write(path: &Path, data: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, data).unwrap();
}
