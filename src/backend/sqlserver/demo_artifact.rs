//! Demo backup-file format: the SQLite image followed by a 48-byte trailer
//! (`MVDEMOB1`, image length as u64 LE, SHA-256 of the image). The checksum
//! catches corruption that `PRAGMA integrity_check` alone can miss (a flipped
//! byte inside a text value), and the length catches truncation.

use super::SqlError;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"MVDEMOB1";
const TRAILER_LEN: u64 = 8 + 8 + 32;
const BUF: usize = 64 * 1024;

/// Appends the trailer to the SQLite image at `path` and syncs it.
/// Returns the final file size.
pub(crate) fn seal(path: &Path) -> Result<u64, SqlError> {
    let mut f = OpenOptions::new().read(true).append(true).open(path)?;
    let (len, digest) = hash_prefix(&mut f, None)?;
    let mut trailer = Vec::with_capacity(TRAILER_LEN as usize);
    trailer.extend_from_slice(MAGIC);
    trailer.extend_from_slice(&len.to_le_bytes());
    trailer.extend_from_slice(&digest);
    f.write_all(&trailer)?;
    f.sync_all()?;
    Ok(len + TRAILER_LEN)
}

/// Checks the trailer and checksum of `artifact` and writes the bare SQLite
/// image to `dest` (which must not exist). On error `dest` may be partially
/// written; the caller owns its cleanup.
pub(crate) fn unseal_to(artifact: &Path, dest: &Path) -> Result<(), SqlError> {
    let corrupt = |why: &str| SqlError::Engine(format!("backup artifact {} is not usable: {why}", artifact.display()));
    let mut f = File::open(artifact)?;
    let total = f.metadata()?.len();
    if total < TRAILER_LEN {
        return Err(corrupt("file too short (truncated?)"));
    }
    f.seek(SeekFrom::Start(total - TRAILER_LEN))?;
    let mut trailer = [0u8; TRAILER_LEN as usize];
    f.read_exact(&mut trailer)?;
    if &trailer[..8] != MAGIC {
        return Err(corrupt("missing mirrorvault demo trailer (truncated or not a demo backup)"));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&trailer[8..16]);
    let image_len = u64::from_le_bytes(len_bytes);
    if image_len != total - TRAILER_LEN {
        return Err(corrupt("length mismatch (truncated?)"));
    }
    f.seek(SeekFrom::Start(0))?;
    let mut out = OpenOptions::new().write(true).create_new(true).open(dest)?;
    let (copied, digest) = hash_prefix(&mut f, Some((&mut out, image_len)))?;
    if copied != image_len || digest[..] != trailer[16..] {
        return Err(corrupt("checksum mismatch"));
    }
    out.sync_all()?;
    Ok(())
}

/// Hashes the file from its current position. Without `copy`, reads to EOF;
/// with `copy`, reads exactly `limit` bytes and also writes them to `out`.
fn hash_prefix(f: &mut File, mut copy: Option<(&mut File, u64)>) -> Result<(u64, [u8; 32]), SqlError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut total = 0u64;
    loop {
        let want = match &copy {
            Some((_, limit)) => ((*limit - total).min(BUF as u64)) as usize,
            None => BUF,
        };
        if want == 0 {
            break;
        }
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some((out, _)) = copy.as_mut() {
            out.write_all(&buf[..n])?;
        }
        total += n as u64;
    }
    Ok((total, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.bak");
        std::fs::write(&a, vec![7u8; 100_000]).unwrap();
        assert_eq!(seal(&a).unwrap(), 100_000 + TRAILER_LEN);
        let out = dir.path().join("out");
        unseal_to(&a, &out).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), vec![7u8; 100_000]);

        // Flip a byte in the middle.
        let mut bytes = std::fs::read(&a).unwrap();
        bytes[50_000] ^= 0xFF;
        std::fs::write(&a, &bytes).unwrap();
        assert!(unseal_to(&a, &dir.path().join("out2")).is_err());

        // Truncate.
        bytes[50_000] ^= 0xFF;
        std::fs::write(&a, &bytes[..60_000]).unwrap();
        assert!(unseal_to(&a, &dir.path().join("out3")).is_err());
        std::fs::write(&a, &bytes[..10]).unwrap();
        assert!(unseal_to(&a, &dir.path().join("out4")).is_err());
    }
}
