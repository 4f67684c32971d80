//! WTF-8: UTF-8 extended to unpaired surrogates, so any UTF-16 name (Windows) becomes bytes
//! and back without loss, and a valid Unicode name is plain UTF-8. Used by `windows.rs`;
//! compiled on every platform for its tests.

/// UTF-16 code units to WTF-8 (a surrogate pair becomes one 4-byte sequence).
pub(super) fn encode(units: impl Iterator<Item = u16>) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in char::decode_utf16(units) {
        let cp = match unit {
            Ok(c) => u32::from(c),
            Err(e) => u32::from(e.unpaired_surrogate()),
        };
        push_code_point(&mut out, cp);
    }
    out
}

fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    let cont = |shift: u32| 0x80 | ((cp >> shift) & 0x3F) as u8;
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend([0xC0 | (cp >> 6) as u8, cont(0)]),
        0x800..=0xFFFF => out.extend([0xE0 | (cp >> 12) as u8, cont(6), cont(0)]),
        _ => out.extend([0xF0 | (cp >> 18) as u8, cont(12), cont(6), cont(0)]),
    }
}

/// WTF-8 bytes to UTF-16 code units; a byte that starts no valid sequence becomes U+FFFD.
pub(super) fn decode(bytes: &[u8]) -> Vec<u16> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let (cp, n) = decode_one(&bytes[i..]).unwrap_or((0xFFFD, 1));
        i += n;
        if cp >= 0x1_0000 {
            let c = cp - 0x1_0000;
            out.push(0xD800 | (c >> 10) as u16);
            out.push(0xDC00 | (c & 0x3FF) as u16);
        } else {
            out.push(cp as u16);
        }
    }
    out
}

/// One sequence of generalised UTF-8 (surrogate code points allowed): (code point, length).
fn decode_one(b: &[u8]) -> Option<(u32, usize)> {
    let first = *b.first()?;
    let (len, init) = match first {
        0x00..=0x7F => return Some((u32::from(first), 1)),
        0xC2..=0xDF => (2, u32::from(first & 0x1F)),
        0xE0..=0xEF => (3, u32::from(first & 0x0F)),
        0xF0..=0xF4 => (4, u32::from(first & 0x07)),
        _ => return None,
    };
    let rest = b.get(1..len)?;
    let mut cp = init;
    for &c in rest {
        if c & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(c & 0x3F);
    }
    let shortest = match len {
        2 => 0x80,
        3 => 0x800,
        _ => 0x1_0000,
    };
    (shortest..=0x10_FFFF).contains(&cp).then_some((cp, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unicode_is_utf8_and_lone_surrogates_survive() {
        let s = "a€😀ü";
        let units: Vec<u16> = s.encode_utf16().collect();
        assert_eq!(encode(units.iter().copied()), s.as_bytes());
        assert_eq!(decode(s.as_bytes()), units);
        let lone = [0x61, 0xD800, 0x62, 0xDC00];
        let bytes = encode(lone.iter().copied());
        assert!(std::str::from_utf8(&bytes).is_err());
        assert_eq!(decode(&bytes), lone);
        assert_eq!(decode(&[b'a', 0xFF, b'b']), [0x61, 0xFFFD, 0x62]);
    }

    proptest! {
        #[test]
        fn any_utf16_round_trips(units in proptest::collection::vec(any::<u16>(), 0..40)) {
            prop_assert_eq!(decode(&encode(units.iter().copied())), units);
        }
    }
}
