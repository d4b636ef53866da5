//! Strict reading of a FLAC chunk file (STREAMINFO, then the exact byte range of every frame)
//! and the frame-header rewrite that lets frames of many chunk files form one stream.
//!
//! Why our own code: a FLAC frame does not store its own length, so finding frame boundaries
//! without decoding means searching for the next sync code and proving the boundary with the
//! frame's CRC-16. symphonia's FLAC demuxer does that search, but it is built for playback: it
//! resynchronises past a damaged frame and carries on, and it hands out decoded packets, not
//! byte ranges to copy. A cached chunk that is damaged must instead be an error, and the
//! continuous stream needs the raw frame bytes with a new header. The CRCs come from the `crc`
//! crate (FLAC's CRC-8 is CRC-8/SMBUS, its CRC-16 is CRC-16/UMTS).
//!
//! Header rewrite ([`rewrite_frame`]): the blocking-strategy bit becomes "variable" and the
//! coded frame number becomes the coded *sample* number of the frame in the new stream, so a
//! short last frame of one chunk followed by the next chunk is legal (in a fixed-blocksize
//! stream every frame but the last must have the same size). Block-size, sample-rate and
//! bit-depth codes and their optional trailing bytes are kept; CRC-8 and CRC-16 are recomputed.
//!
//! Not for: decoding samples (see `chunk`), choosing what to re-encode (see `flac_stream`).

use crc::{Crc, Table, CRC_16_UMTS, CRC_8_SMBUS};

const CRC8: Crc<u8> = Crc::<u8>::new(&CRC_8_SMBUS);
const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_UMTS);

/// Length of "fLaC" + one metadata block header + STREAMINFO.
pub const STREAM_HEADER_LEN: usize = 42;

/// Smallest frame a FLAC stream may carry anywhere but at its end (RFC 9639 §8.2: the
/// minimum block size is at least 16 and applies to every block but the last).
pub const MIN_BLOCK: usize = 16;

/// Facts from a chunk file's STREAMINFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    pub rate: u32,
    pub channels: u32,
    pub bits: u32,
    /// Total samples per channel (0 = unknown, which Auralis chunks never write).
    pub samples: u64,
    pub max_block: u32,
}

/// One frame of a chunk: `bytes[start..end]`, whose header is `bytes[start..start+header_len]`
/// (CRC-8 included) and whose last two bytes are the CRC-16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpan {
    pub start: usize,
    pub header_len: usize,
    /// Position of the trailing fields (block size / sample rate) after the coded number:
    /// `bytes[tail_start..start+header_len-1]`.
    pub tail_start: usize,
    pub end: usize,
    pub block: u32,
}

/// A parsed chunk file: its STREAMINFO and every frame, in order.
#[derive(Clone, Debug)]
pub struct Chunk<'a> {
    pub bytes: &'a [u8],
    pub info: StreamInfo,
    pub frames: Vec<FrameSpan>,
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Parse "fLaC" and the metadata blocks; returns STREAMINFO and the offset of the first frame.
pub fn parse_stream_header(bytes: &[u8]) -> Result<(StreamInfo, usize), String> {
    if bytes.len() < STREAM_HEADER_LEN || &bytes[..4] != b"fLaC" {
        return Err("not a FLAC file (no \"fLaC\" marker)".into());
    }
    let mut pos = 4;
    let mut info = None;
    loop {
        let hdr = bytes
            .get(pos..pos + 4)
            .ok_or("metadata block header past the end of the file")?;
        let last = hdr[0] & 0x80 != 0;
        let kind = hdr[0] & 0x7f;
        let len = be(&hdr[1..4]) as usize;
        let body = bytes
            .get(pos + 4..pos + 4 + len)
            .ok_or("metadata block past the end of the file")?;
        if info.is_none() {
            if kind != 0 || len != 34 {
                return Err("first metadata block is not a 34-byte STREAMINFO".into());
            }
            let max_block = be(&body[2..4]) as u32;
            let packed = be(&body[10..18]);
            let rate = (packed >> 44) as u32;
            let channels = ((packed >> 41) & 0x7) as u32 + 1;
            let bits = ((packed >> 36) & 0x1f) as u32 + 1;
            let samples = packed & 0xf_ffff_ffff;
            if rate == 0 || max_block < MIN_BLOCK as u32 {
                return Err(format!(
                    "STREAMINFO is invalid (rate {rate} Hz, max block {max_block})"
                ));
            }
            info = Some(StreamInfo {
                rate,
                channels,
                bits,
                samples,
                max_block,
            });
        } else if kind == 127 {
            return Err("invalid metadata block type 127".into());
        }
        pos += 4 + len;
        if last {
            break;
        }
    }
    info.map(|i| (i, pos))
        .ok_or_else(|| "no STREAMINFO".to_string())
}

/// "fLaC" + STREAMINFO of a variable-blocksize stream of `samples` samples. MD5 and frame
/// sizes are written as 0 (unknown): they cannot be known before the last chunk is sent.
pub fn stream_header(
    rate: u32,
    bits: u32,
    max_block: u32,
    samples: u64,
) -> Result<[u8; STREAM_HEADER_LEN], String> {
    if rate == 0 || rate >= 1 << 20 {
        return Err(format!("FLAC cannot store sample rate {rate} Hz"));
    }
    if !(4..=32).contains(&bits) {
        return Err(format!("FLAC cannot store {bits}-bit samples"));
    }
    if samples >= 1 << 36 {
        return Err(format!("{samples} samples do not fit FLAC's 36-bit count"));
    }
    if !(MIN_BLOCK as u32 + 1..=65535).contains(&max_block) {
        return Err(format!("invalid maximum block size {max_block}"));
    }
    let mut h = [0u8; STREAM_HEADER_LEN];
    h[..4].copy_from_slice(b"fLaC");
    // Last metadata block, type 0 (STREAMINFO), 34 bytes.
    h[4..8].copy_from_slice(&[0x80, 0, 0, 34]);
    // Minimum block size 16 (< maximum): the stream is variable-blocksize, and decoders
    // (symphonia among them) take min == max to mean a fixed-blocksize stream.
    h[8..10].copy_from_slice(&(MIN_BLOCK as u16).to_be_bytes());
    h[10..12].copy_from_slice(&(max_block as u16).to_be_bytes());
    // Minimum / maximum frame size: 0 = unknown (bytes 12..18 stay zero).
    let packed: u64 =
        (u64::from(rate) << 44) | (1u64 << 41) | (u64::from(bits - 1) << 36) | samples;
    h[18..26].copy_from_slice(&packed.to_be_bytes());
    // MD5 (bytes 26..42) stays zero: "not computed".
    Ok(h)
}

/// Decode the UTF-8-style coded number at `bytes[0..]`: (value, length).
fn read_coded_number(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let (len, mut value) = match first.leading_ones() {
        0 => return Some((u64::from(first), 1)),
        n @ 2..=7 => (n as usize, u64::from(first) & (0x7f >> n)),
        8 if first == 0xfe => (7, 0),
        _ => return None,
    };
    for &b in bytes.get(1..len)? {
        if b & 0xc0 != 0x80 {
            return None;
        }
        value = (value << 6) | u64::from(b & 0x3f);
    }
    Some((value, len))
}

/// Append the UTF-8-style coding of `value` (up to 36 bits) to `out`.
fn write_coded_number(value: u64, out: &mut Vec<u8>) -> Result<(), String> {
    if value < 0x80 {
        out.push(value as u8);
        return Ok(());
    }
    // Bytes after the first carry 6 bits each; the first carries 7 - len bits (len ≥ 2).
    let len = match value {
        v if v < 1 << 11 => 2,
        v if v < 1 << 16 => 3,
        v if v < 1 << 21 => 4,
        v if v < 1 << 26 => 5,
        v if v < 1 << 31 => 6,
        v if v < 1 << 36 => 7,
        _ => return Err(format!("sample number {value} does not fit 36 bits")),
    };
    let prefix: u8 = if len == 7 { 0xfe } else { !(0xffu8 >> len) };
    out.push(prefix | (value >> (6 * (len - 1))) as u8);
    for i in (0..len - 1).rev() {
        out.push(0x80 | ((value >> (6 * i)) & 0x3f) as u8);
    }
    Ok(())
}

fn rate_of_code(code: u8, tail: &[u8]) -> Option<u32> {
    Some(match code {
        1 => 88_200,
        2 => 176_400,
        3 => 192_000,
        4 => 8_000,
        5 => 16_000,
        6 => 22_050,
        7 => 24_000,
        8 => 32_000,
        9 => 44_100,
        10 => 48_000,
        11 => 96_000,
        12 => u32::from(*tail.first()?) * 1000,
        13 => be(tail.get(..2)?) as u32,
        14 => be(tail.get(..2)?) as u32 * 10,
        _ => return None,
    })
}

/// What a frame header says, as far as splitting needs it.
#[derive(Debug)]
struct Header {
    variable: bool,
    number: u64,
    block: u32,
    len: usize,
    tail_start: usize,
}

/// Parse and validate the frame header at `bytes[pos..]` against `info`.
fn parse_frame_header(bytes: &[u8], pos: usize, info: &StreamInfo) -> Result<Header, String> {
    let h = bytes.get(pos..).unwrap_or_default();
    if h.len() < 6 || h[0] != 0xff || h[1] & 0xfe != 0xf8 {
        return Err("no frame sync code".into());
    }
    let variable = h[1] & 1 == 1;
    let bs_code = h[2] >> 4;
    let sr_code = h[2] & 0x0f;
    let ch_code = h[3] >> 4;
    let bits_code = (h[3] >> 1) & 0x7;
    if bs_code == 0 || sr_code == 15 || h[3] & 1 != 0 || bits_code == 3 {
        return Err("reserved value in frame header".into());
    }
    let channels = match ch_code {
        0..=7 => u32::from(ch_code) + 1,
        8..=10 => 2,
        _ => return Err("reserved channel assignment".into()),
    };
    if channels != info.channels {
        return Err(format!(
            "frame has {channels} channels, STREAMINFO {}",
            info.channels
        ));
    }
    let bits = [0, 8, 12, 0, 16, 20, 24, 32][bits_code as usize];
    if bits != 0 && bits != info.bits {
        return Err(format!(
            "frame has {bits}-bit samples, STREAMINFO {}",
            info.bits
        ));
    }
    let (number, nlen) = read_coded_number(&h[4..]).ok_or("bad coded frame/sample number")?;
    if !variable && nlen > 6 {
        return Err("frame number longer than 31 bits".into());
    }
    let tail_start = 4 + nlen;
    let mut p = tail_start;
    let block = match bs_code {
        1 => 192,
        2..=5 => 576 << (bs_code - 2),
        6 => {
            p += 1;
            be(h.get(p - 1..p).ok_or("truncated frame header")?) as u32 + 1
        }
        7 => {
            p += 2;
            be(h.get(p - 2..p).ok_or("truncated frame header")?) as u32 + 1
        }
        _ => 256 << (bs_code - 8),
    };
    let rate_tail = h.get(p..).unwrap_or_default();
    p += match sr_code {
        12 => 1,
        13 | 14 => 2,
        _ => 0,
    };
    if sr_code != 0 {
        let rate = rate_of_code(sr_code, rate_tail).ok_or("truncated frame header")?;
        if rate != info.rate {
            return Err(format!("frame rate {rate} Hz, STREAMINFO {}", info.rate));
        }
    }
    let crc = *h.get(p).ok_or("truncated frame header")?;
    if CRC8.checksum(&h[..p]) != crc {
        return Err("frame header CRC-8 mismatch".into());
    }
    if block > info.max_block {
        return Err(format!(
            "block of {block} samples exceeds STREAMINFO's maximum {}",
            info.max_block
        ));
    }
    Ok(Header {
        variable,
        number,
        block,
        len: p + 1,
        tail_start: pos + tail_start,
    })
}

/// Parse a whole chunk file: STREAMINFO and the exact byte range of every frame, each proven
/// by its header CRC-8, its frame CRC-16 and the frame/sample number sequence. The sum of the
/// block sizes must equal STREAMINFO's sample count (a truncated chunk fails here).
pub fn parse_chunk(bytes: &[u8]) -> Result<Chunk<'_>, String> {
    let (info, first) = parse_stream_header(bytes)?;
    let mut frames = Vec::new();
    let mut pos = first;
    let mut sample = 0u64;
    let mut strategy = None;
    while pos < bytes.len() {
        let idx = frames.len();
        let h = parse_frame_header(bytes, pos, &info)
            .map_err(|e| format!("frame {idx} at byte {pos}: {e}"))?;
        if *strategy.get_or_insert(h.variable) != h.variable {
            return Err(format!("frame {idx}: blocking strategy changes mid-file"));
        }
        let expected = if h.variable { sample } else { idx as u64 };
        if h.number != expected {
            return Err(format!(
                "frame {idx}: number {} where {expected} was expected",
                h.number
            ));
        }
        let end = find_frame_end(bytes, pos, &h, &info, sample + u64::from(h.block), idx + 1)
            .ok_or_else(|| {
                format!("frame {idx} at byte {pos}: no valid end (damaged or truncated, CRC-16)")
            })?;
        frames.push(FrameSpan {
            start: pos,
            header_len: h.len,
            tail_start: h.tail_start,
            end,
            block: h.block,
        });
        sample += u64::from(h.block);
        pos = end;
    }
    if info.samples != 0 && sample != info.samples {
        return Err(format!(
            "frames hold {sample} samples, STREAMINFO {} (truncated?)",
            info.samples
        ));
    }
    Ok(Chunk {
        bytes,
        info,
        frames,
    })
}

/// The end of the frame starting at `start`: the first position where the next frame's
/// header parses with the expected number and the bytes before it carry a matching CRC-16,
/// or the end of the file if the frame's CRC-16 matches there.
fn find_frame_end(
    bytes: &[u8],
    start: usize,
    h: &Header,
    info: &StreamInfo,
    next_sample: u64,
    next_index: usize,
) -> Option<usize> {
    let crc_ok = |end: usize| {
        end >= start + h.len + 2
            && CRC16.checksum(&bytes[start..end - 2]) == be(&bytes[end - 2..end]) as u16
    };
    let next_number = if h.variable {
        next_sample
    } else {
        next_index as u64
    };
    // A frame holds at least its header, one byte per subframe header and the CRC-16.
    let mut c = start + h.len + 2;
    while c + 1 < bytes.len() {
        let Some(off) = bytes[c..bytes.len() - 1].iter().position(|&b| b == 0xff) else {
            break;
        };
        c += off;
        if bytes[c + 1] & 0xfe == 0xf8 {
            if let Ok(next) = parse_frame_header(bytes, c, info) {
                if next.variable == h.variable && next.number == next_number && crc_ok(c) {
                    return Some(c);
                }
            }
        }
        c += 1;
    }
    crc_ok(bytes.len()).then_some(bytes.len())
}

/// Append `frame` of `bytes` to `out` as a variable-blocksize frame starting at sample
/// `sample_number`: new header (same codes, new coded number, new CRC-8), same subframes,
/// new CRC-16.
pub fn rewrite_frame(
    bytes: &[u8],
    frame: &FrameSpan,
    sample_number: u64,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let begin = out.len();
    out.push(0xff);
    out.push(0xf9);
    out.extend_from_slice(&bytes[frame.start + 2..frame.start + 4]);
    write_coded_number(sample_number, out)?;
    out.extend_from_slice(&bytes[frame.tail_start..frame.start + frame.header_len - 1]);
    let crc8 = CRC8.checksum(&out[begin..]);
    out.push(crc8);
    out.extend_from_slice(&bytes[frame.start + frame.header_len..frame.end - 2]);
    let crc16 = CRC16.checksum(&out[begin..]);
    out.extend_from_slice(&crc16.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_numbers_round_trip() {
        for v in [
            0u64,
            1,
            0x7f,
            0x80,
            0x7ff,
            0x800,
            0xffff,
            0x1_0000,
            0x1f_ffff,
            0x20_0000,
            0x3ff_ffff,
            0x400_0000,
            0x7fff_ffff,
            0x8000_0000,
            0xf_ffff_ffff,
        ] {
            let mut b = Vec::new();
            write_coded_number(v, &mut b).unwrap();
            assert_eq!(read_coded_number(&b), Some((v, b.len())), "{v:#x}");
        }
        // The UTF-8 coding of U+20AC is E2 82 AC.
        let mut b = Vec::new();
        write_coded_number(0x20ac, &mut b).unwrap();
        assert_eq!(b, [0xe2, 0x82, 0xac]);
        assert!(write_coded_number(1 << 36, &mut Vec::new()).is_err());
        assert_eq!(read_coded_number(&[0x80]), None);
        assert_eq!(read_coded_number(&[0xc2, 0x41]), None);
        assert_eq!(read_coded_number(&[0xff]), None);
    }

    #[test]
    fn flac_crcs_match_the_reference_check_values() {
        assert_eq!(CRC8.checksum(b"123456789"), 0xf4);
        assert_eq!(CRC16.checksum(b"123456789"), 0xfee8);
    }

    #[test]
    fn stream_header_round_trips() {
        let h = stream_header(44_100, 24, 4096, 123_456_789).unwrap();
        let (info, first) = parse_stream_header(&h).unwrap();
        assert_eq!(first, STREAM_HEADER_LEN);
        assert_eq!(
            info,
            StreamInfo {
                rate: 44_100,
                channels: 2,
                bits: 24,
                samples: 123_456_789,
                max_block: 4096
            }
        );
        assert!(stream_header(44_100, 16, 4096, 1 << 36).is_err());
        assert!(stream_header(0, 16, 4096, 1).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_chunk(b"").is_err());
        assert!(parse_chunk(b"fLaC").is_err());
        assert!(parse_chunk(&[0u8; 100]).is_err());
        let mut h = stream_header(48_000, 16, 4096, 10).unwrap().to_vec();
        h.extend_from_slice(&[0xff, 0xf8, 0x00, 0x00, 0x00, 0x00]);
        assert!(parse_chunk(&h).is_err());
    }
}
