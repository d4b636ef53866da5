//! The intensity knob for a stream: `(1 - wet) · original + wet · processed`, the same mix the
//! web player makes with two gain nodes, done here on one chunk of each variant so that an app
//! hears what the page would. The mix of two integer chunks is rounded back to their bit depth
//! (both variants of a track share rate and depth) and written as a chunk file of its own, which
//! [`crate::ChunkTranscoder`] then takes like any other.
//!
//! Not for: choosing `wet` (the user's enhancement state) or fetching the chunks (the cache).

use auralis_encode::{bit_depth_for, encode_flac_i32};

use crate::chunk::decode_i32;
use crate::flac_frames::parse_chunk;
use crate::TranscodeError;

/// One chunk file mixing `original` and `processed` (chunk files of the same chunk) at `wet`
/// (0 = the original, 1 = the processed variant).
pub fn mix_chunks(original: &[u8], processed: &[u8], wet: f32) -> Result<Vec<u8>, TranscodeError> {
    if !(0.0..=1.0).contains(&wet) {
        return Err(TranscodeError::Unsupported(format!(
            "intensity {wet} (0 to 1 expected)"
        )));
    }
    let invalid = |detail: String| TranscodeError::InvalidChunk { index: 0, detail };
    let o = parse_chunk(original).map_err(invalid)?;
    let p = parse_chunk(processed).map_err(invalid)?;
    if (o.info.rate, o.info.bits) != (p.info.rate, p.info.bits) {
        return Err(TranscodeError::Mismatch {
            index: 0,
            detail: format!(
                "original {} Hz/{} bits, processed {} Hz/{} bits",
                o.info.rate, o.info.bits, p.info.rate, p.info.bits
            ),
        });
    }
    let (oi, pi) = (
        decode_i32(&o).map_err(invalid)?,
        decode_i32(&p).map_err(invalid)?,
    );
    if oi.len() != pi.len() {
        return Err(TranscodeError::Mismatch {
            index: 0,
            detail: format!("original {} samples, processed {}", oi.len(), pi.len()),
        });
    }
    let depth = bit_depth_for(Some(o.info.bits));
    let max = (1i64 << (depth.bits() - 1)) - 1;
    let min = -(1i64 << (depth.bits() - 1));
    let (dry, wet) = (1.0 - f64::from(wet), f64::from(wet));
    let mixed: Vec<[i32; 2]> = oi
        .iter()
        .zip(&pi)
        .map(|(a, b)| {
            let m = |x: i32, y: i32| {
                ((dry * f64::from(x) + wet * f64::from(y)).round() as i64).clamp(min, max) as i32
            };
            [m(a[0], b[0]), m(a[1], b[1])]
        })
        .collect();
    Ok(encode_flac_i32(&mixed, o.info.rate, depth)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_chunk;
    use auralis_encode::BitDepth;

    fn chunk(v: &[[i32; 2]]) -> Vec<u8> {
        encode_flac_i32(v, 44_100, BitDepth::Sixteen).unwrap()
    }

    #[test]
    fn the_mix_is_the_weighted_sum_and_the_ends_are_the_variants() {
        let o: Vec<[i32; 2]> = (0..5000)
            .map(|i| [(i % 200) * 10, -(i % 300) * 7])
            .collect();
        let p: Vec<[i32; 2]> = (0..5000)
            .map(|i| [-(i % 170) * 12, (i % 90) * 50])
            .collect();
        let (oc, pc) = (chunk(&o), chunk(&p));
        let scale = 1.0 / 32768.0;
        for wet in [0.0f32, 0.25, 0.5, 1.0] {
            let m = decode_chunk(&mix_chunks(&oc, &pc, wet).unwrap()).unwrap();
            assert_eq!(m.frames.len(), 5000);
            for (i, f) in m.frames.iter().enumerate() {
                let want = (1.0 - wet as f64) * o[i][0] as f64 + wet as f64 * p[i][0] as f64;
                assert!(
                    (f[0] as f64 / scale - want).abs() <= 0.5 + 1e-6,
                    "wet {wet} at {i}"
                );
            }
        }
        assert!(mix_chunks(&oc, &pc, 1.5).is_err());
        assert!(mix_chunks(&oc, &chunk(&p[..4000]), 0.5).is_err());
        assert!(mix_chunks(&oc[..oc.len() - 3], &pc, 0.5).is_err());
    }
}
