//! Content-defined chunking of a file (FastCDC v2020, the `fastcdc` crate's cut function).
//!
//! `fastcdc::v2020::StreamCDC` keeps a `max`-sized buffer and, for every chunk it returns,
//! shifts the rest of that buffer down and re-zeroes its tail: with an 8 MiB maximum that is
//! megabytes of memmove/memset per chunk, and for a 10 KiB file 8 MiB per file — profiling the
//! first backup put 37 % of its CPU there. This reader produces the very same cut points (the
//! cut function never looks further than `max` bytes ahead, and it is always given at least
//! that much unless the file ends), but reads a file that fits in one window in one piece and
//! otherwise keeps a 2×`max` window that it moves at most once per `max` bytes.

use std::io::Read;

use fastcdc::v2020::FastCDC;
use serde::{Deserialize, Serialize};

/// Chunker parameters (FastCDC v2020), as stored in a vault's `config`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChunkerParams {
    pub min: u32,
    pub avg: u32,
    pub max: u32,
}

/// Reads `reader` (of `size_hint` bytes, as stat said; the real length wins) and calls `emit`
/// with every chunk in order. `emit` gets ownership, so a whole small file is never copied.
pub(crate) fn chunk_reader<R: Read, E>(
    mut reader: R,
    size_hint: u64,
    params: &ChunkerParams,
    mut emit: impl FnMut(Vec<u8>) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let (min, avg, max) = (params.min, params.avg, params.max as usize);
    // A file no longer than one maximum chunk: one read, then cut in place.
    if size_hint <= max as u64 {
        let mut data = Vec::with_capacity(size_hint as usize + 1);
        (&mut reader).take(max as u64 + 1).read_to_end(&mut data)?;
        if data.len() <= max {
            return emit_slice_chunks(data, min, avg, max as u32, &mut emit);
        }
        // It grew since stat: go on streaming from what was read.
        return stream(reader, data, min, avg, max, &mut emit);
    }
    stream(reader, Vec::with_capacity(2 * max), min, avg, max, &mut emit)
}

/// Cuts a buffer that holds a whole (rest of a) file.
fn emit_slice_chunks<E>(data: Vec<u8>, min: u32, avg: u32, max: u32, emit: &mut impl FnMut(Vec<u8>) -> Result<(), E>) -> Result<(), E> {
    if data.is_empty() {
        return Ok(());
    }
    if data.len() <= min as usize {
        return emit(data);
    }
    let cuts: Vec<(usize, usize)> = FastCDC::new(&data, min, avg, max).map(|c| (c.offset, c.length)).collect();
    if cuts.len() == 1 {
        return emit(data);
    }
    for (off, len) in cuts {
        emit(data[off..off + len].to_vec())?;
    }
    Ok(())
}

fn stream<R: Read, E>(mut reader: R, mut buf: Vec<u8>, min: u32, avg: u32, max: usize, emit: &mut impl FnMut(Vec<u8>) -> Result<(), E>) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let window = 2 * max;
    let mut start = 0usize;
    let mut eof = false;
    loop {
        // Keep at least `max` bytes after `start` unless the file has ended.
        if !eof && buf.len() - start < max {
            buf.drain(..start);
            start = 0;
            eof = fill(&mut reader, &mut buf, window)?;
        }
        let remaining = buf.len() - start;
        if remaining == 0 {
            return Ok(());
        }
        if eof && start == 0 {
            // What is left fits in the buffer: cut it like a whole file.
            return emit_slice_chunks(buf, min, avg, max as u32, emit);
        }
        let cdc = FastCDC::new(&buf, min, avg, max as u32);
        let (_, end) = cdc.cut(start, remaining);
        emit(buf[start..end].to_vec())?;
        start = end;
    }
}

/// Reads until `buf` holds `window` bytes or the reader ends; true at the end.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, window: usize) -> std::io::Result<bool> {
    let want = window.saturating_sub(buf.len()) as u64;
    let n = reader.by_ref().take(want).read_to_end(buf)?;
    Ok(n < want as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};

    fn params() -> ChunkerParams {
        ChunkerParams { min: 64 * 1024, avg: 256 * 1024, max: 1024 * 1024 }
    }

    fn reference(data: &[u8], p: &ChunkerParams) -> Vec<Vec<u8>> {
        fastcdc::v2020::StreamCDC::new(data, p.min, p.avg, p.max).map(|c| c.unwrap().data).collect()
    }

    fn ours(data: &[u8], hint: u64, p: &ChunkerParams) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        chunk_reader::<_, std::io::Error>(data, hint, p, |c| {
            out.push(c);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn same_cut_points_as_the_crates_stream_chunker() {
        let p = params();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for size in [0usize, 1, 1000, 64 * 1024, 64 * 1024 + 1, 300_000, 1024 * 1024, 1024 * 1024 + 1, 2_500_000, 7_777_777] {
            let mut data = vec![0u8; size];
            rng.fill_bytes(&mut data);
            // Some long runs of one byte, where the maximum chunk size applies.
            if size > 3_000_000 {
                data[1_000_000..3_000_000].fill(0);
            }
            let want = reference(&data, &p);
            assert_eq!(ours(&data, size as u64, &p), want, "size {size}");
            // A wrong size hint (the file changed since stat) changes nothing.
            assert_eq!(ours(&data, 10, &p), want, "size {size}, small hint");
            assert_eq!(ours(&data, u64::MAX, &p), want, "size {size}, big hint");
        }
    }
}
