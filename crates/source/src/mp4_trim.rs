//! Gapless trim of MP4/M4A audio: encoder priming and padding, from the edit list or `iTunSMPB`.
//!
//! symphonia 0.6.1's MP4 demuxer ignores both, so an AAC track decodes with the encoder priming
//! (1024 frames for ffmpeg and Apple's current encoder, 2112 for older iTunes) at the start and
//! the padding of the last packet at the end. This module reads just enough of the `moov` box to
//! recover the trim:
//!
//! 1. **Edit list** (`moov/trak/edts/elst` of the track being decoded): the first edit with a
//!    media time (leading empty edits, i.e. inserted delays, are skipped: nothing is inserted).
//!    Its `media_time` (media timescale) is the priming, its `segment_duration` (movie timescale,
//!    `mvhd`) the length. More than one media edit, a rate other than 1, or a negative media
//!    time other than "empty": not a plain gapless trim, ignored. A `segment_duration` of 0
//!    means "to the end of the media".
//! 2. **Rounding of the edit length**: the movie timescale is usually coarser than the sample
//!    rate (ffmpeg writes 1000, so 8 s at 44.1 kHz is stored as 7989 ms = 352315 frames for a
//!    352336-frame stream). When the edit ends within one movie tick of the end of the media
//!    (`mdhd` duration, which ffmpeg sets to priming + exact length), the edit means "to the
//!    end of the media", and the media end is the exact length. An `iTunSMPB` tag that agrees
//!    with the edit on the priming and (within one movie tick) on the length is also exact and
//!    is then preferred.
//! 3. **`iTunSMPB`** (`moov/udta/meta/ilst/----` with name `iTunSMPB`, hex fields: reserved,
//!    priming, padding, original length) when there is no usable edit list.
//!
//! The parser is defensive: only `moov` is read (at most [`MAX_MOOV`] bytes), every box size is
//! checked against its parent, counts are checked against the bytes that hold them, and any
//! inconsistency means "no trim" (the file still plays, untrimmed) rather than an error.

use std::io::{Read, Seek, SeekFrom};

/// Largest `moov` box read (a 20-hour AAC audiobook has a ~12 MiB sample table).
pub(crate) const MAX_MOOV: u64 = 64 << 20;
/// Most boxes looked at in one container (top level included).
const MAX_CHILDREN: usize = 4096;
/// Most edit-list entries accepted.
const MAX_EDITS: u32 = 1024;

/// Frames to drop at the start of the decoded stream and, when known, the number to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trim {
    /// Priming: decoded frames before the first frame of the track.
    pub start: u64,
    /// Frames of the track after `start`; `None` = up to the end of the decoded stream.
    pub len: Option<u64>,
}

/// The trim of track `track_id` (the `tkhd` track ID, symphonia's track id) decoded at
/// `sample_rate`, or `None` (no edit list or tag, or anything malformed).
pub(crate) fn read_trim<R: Read + Seek>(
    file: &mut R,
    track_id: u32,
    sample_rate: u32,
) -> Option<Trim> {
    let moov = find_moov(file)?;
    parse_moov(&moov, track_id, sample_rate)
}

/// The body of the top-level `moov` box, reading only top-level box headers before it.
fn find_moov<R: Read + Seek>(file: &mut R) -> Option<Vec<u8>> {
    let file_len = file.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    for _ in 0..MAX_CHILDREN {
        if file_len.checked_sub(pos)? < 8 {
            return None;
        }
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut h = [0u8; 16];
        file.read_exact(&mut h[..8]).ok()?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let (size, header) = match size32 {
            0 => (file_len - pos, 8),
            1 => {
                file.read_exact(&mut h[8..16]).ok()?;
                (u64::from_be_bytes(h[8..16].try_into().ok()?), 16)
            }
            s => (u64::from(s), 8),
        };
        if size < header || size > file_len - pos {
            return None;
        }
        if &h[4..8] == b"moov" {
            let body = size - header;
            if body > MAX_MOOV {
                return None;
            }
            let mut buf = vec![0u8; usize::try_from(body).ok()?];
            file.read_exact(&mut buf).ok()?;
            return Some(buf);
        }
        pos += size;
    }
    None
}

/// Child boxes `(type, body)` of a container body, or `None` if any header is malformed (size
/// below its header, past the parent, too many boxes). A trailing 1..7 bytes (some writers pad
/// with zeros) and a 32-bit zero terminator are tolerated.
fn children(data: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= 8 {
        if out.len() >= MAX_CHILDREN {
            return None;
        }
        let size32 = u32::from_be_bytes(rest[0..4].try_into().ok()?);
        let tag: [u8; 4] = rest[4..8].try_into().ok()?;
        let (size, header) = match size32 {
            0 if tag == [0; 4] => break, // zero terminator (QuickTime `udta`)
            0 => (rest.len() as u64, 8usize),
            1 => (u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?), 16),
            s => (u64::from(s), 8),
        };
        if size < header as u64 || size > rest.len() as u64 {
            return None;
        }
        let size = size as usize; // <= rest.len()
        out.push((tag, &rest[header..size]));
        rest = &rest[size..];
    }
    Some(out)
}

/// The body of the only child of type `tag` (first one if several).
fn child<'a>(kids: &[([u8; 4], &'a [u8])], tag: &[u8; 4]) -> Option<&'a [u8]> {
    kids.iter().find(|(t, _)| t == tag).map(|(_, b)| *b)
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        d.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// `(timescale, duration)` of an `mvhd` or `mdhd` body (same layout up to the duration).
fn timescale_duration(body: &[u8]) -> Option<(u32, u64)> {
    match body.first()? {
        0 => Some((be_u32(body, 12)?, u64::from(be_u32(body, 16)?))),
        1 => Some((be_u32(body, 20)?, be_u64(body, 24)?)),
        _ => None,
    }
}

/// Track ID of a `tkhd` body.
fn tkhd_id(body: &[u8]) -> Option<u32> {
    match body.first()? {
        0 => be_u32(body, 12),
        1 => be_u32(body, 20),
        _ => None,
    }
}

/// `value · to / from`, rounded to nearest; `None` on overflow or a zero `from`.
fn rescale(value: u64, to: u32, from: u32) -> Option<u64> {
    if from == 0 {
        return None;
    }
    let v = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(v).ok()
}

/// One edit-list entry: `(segment_duration, media_time, media_rate as 16.16)`.
type Edit = (u64, i64, i32);

/// Entries of an `elst` body.
fn edits(body: &[u8]) -> Option<Vec<Edit>> {
    let version = *body.first()?;
    let count = be_u32(body, 4)?;
    let entry = match version {
        0 => 12usize,
        1 => 20,
        _ => return None,
    };
    if count > MAX_EDITS || (count as usize).checked_mul(entry)? > body.len() - 8 {
        return None;
    }
    (0..count as usize)
        .map(|i| {
            let at = 8 + i * entry;
            Some(match version {
                0 => (
                    u64::from(be_u32(body, at)?),
                    i64::from(be_u32(body, at + 4)? as i32),
                    be_u32(body, at + 8)? as i32,
                ),
                _ => (
                    be_u64(body, at)?,
                    be_u64(body, at + 8)? as i64,
                    be_u32(body, at + 16)? as i32,
                ),
            })
        })
        .collect()
}

/// The trim from the edit list, with its tolerance (one movie tick in frames) on the length.
fn elst_trim(
    elst: &[u8],
    movie_ts: u32,
    media: (u32, u64),
    sample_rate: u32,
) -> Option<(Trim, u64)> {
    let (media_ts, media_dur) = media;
    let list = edits(elst)?;
    let mut media_edits = list.iter().filter(|e| e.1 != -1);
    let &(seg, media_time, rate) = media_edits.next()?;
    if media_edits.next().is_some() || media_time < 0 || rate != 0x0001_0000 {
        return None;
    }
    let start = rescale(media_time as u64, sample_rate, media_ts)?;
    let media_frames = rescale(media_dur, sample_rate, media_ts)?;
    let tick = u64::from(sample_rate.div_ceil(movie_ts.max(1)));
    if seg == 0 {
        return Some((Trim { start, len: None }, tick));
    }
    let mut len = rescale(seg, sample_rate, movie_ts)?;
    // The edit runs to the end of the media, up to the precision of the movie timescale: the
    // media end is the exact one.
    if media_frames > start && media_frames.abs_diff(start.checked_add(len)?) <= tick {
        len = media_frames - start;
    }
    if len == 0 {
        return None;
    }
    Some((
        Trim {
            start,
            len: Some(len),
        },
        tick,
    ))
}

/// The trim from an `iTunSMPB` tag in a `udta` body.
fn smpb_trim(udta: &[u8]) -> Option<Trim> {
    let meta = child(&children(udta)?, b"meta")?;
    // ISO `meta` is a full box (4 bytes of version/flags); QuickTime's is a plain container.
    let meta = if meta.get(4..8) == Some(b"hdlr".as_slice()) {
        meta
    } else {
        meta.get(4..)?
    };
    let ilst = child(&children(meta)?, b"ilst")?;
    for (tag, item) in children(ilst)? {
        if &tag != b"----" {
            continue;
        }
        let kids = children(item)?;
        let name = child(&kids, b"name").and_then(|n| n.get(4..));
        if !name.is_some_and(|n| n.eq_ignore_ascii_case(b"iTunSMPB")) {
            continue;
        }
        // `data`: type (4 bytes) and locale (4 bytes), then the text.
        let text = std::str::from_utf8(child(&kids, b"data")?.get(8..)?).ok()?;
        return parse_smpb(text);
    }
    None
}

/// `" 00000000 00000840 000001C0 0000000000046E00 ..."`: priming, padding, original length.
fn parse_smpb(text: &str) -> Option<Trim> {
    let mut fields = text
        .trim_matches(char::from(0))
        .split_ascii_whitespace()
        .map(|f| u64::from_str_radix(f, 16).ok());
    let _reserved = fields.next()??;
    let priming = fields.next()??;
    let _padding = fields.next()??;
    let length = fields.next()??;
    if priming == 0 && length == 0 {
        return None;
    }
    Some(Trim {
        start: priming,
        len: (length > 0).then_some(length),
    })
}

/// The trim for track `track_id` from a `moov` body. See the module docs.
pub(crate) fn parse_moov(moov: &[u8], track_id: u32, sample_rate: u32) -> Option<Trim> {
    if sample_rate == 0 {
        return None;
    }
    let kids = children(moov)?;
    let smpb = child(&kids, b"udta").and_then(smpb_trim);
    let elst = (|| {
        let (movie_ts, _) = timescale_duration(child(&kids, b"mvhd")?)?;
        let trak = kids
            .iter()
            .filter(|(t, _)| t == b"trak")
            .find_map(|(_, body)| {
                let tk = children(body)?;
                (tkhd_id(child(&tk, b"tkhd")?)? == track_id).then_some(tk)
            })?;
        let elst = child(&children(child(&trak, b"edts")?)?, b"elst")?;
        let media = timescale_duration(child(&children(child(&trak, b"mdia")?)?, b"mdhd")?)?;
        elst_trim(elst, movie_ts, media, sample_rate)
    })();
    match (elst, smpb) {
        // The tag agrees with the (rounded) edit: it is the exact one.
        (Some((e, tick)), Some(s))
            if s.start == e.start
                && matches!((e.len, s.len), (Some(a), Some(b)) if a.abs_diff(b) <= tick) =>
        {
            Some(s)
        }
        (Some((e, _)), _) => Some(e),
        (None, s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(tag: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(tag);
        v.extend_from_slice(body);
        v
    }

    fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
        parts.concat()
    }

    fn mvhd(ts: u32) -> Vec<u8> {
        let mut b = vec![0u8; 100];
        b[12..16].copy_from_slice(&ts.to_be_bytes());
        bx(b"mvhd", &b)
    }

    fn mvhd_v1(ts: u32) -> Vec<u8> {
        let mut b = vec![0u8; 112];
        b[0] = 1;
        b[20..24].copy_from_slice(&ts.to_be_bytes());
        bx(b"mvhd", &b)
    }

    fn tkhd(id: u32) -> Vec<u8> {
        let mut b = vec![0u8; 84];
        b[12..16].copy_from_slice(&id.to_be_bytes());
        bx(b"tkhd", &b)
    }

    fn mdhd(ts: u32, dur: u64) -> Vec<u8> {
        let mut b = vec![0u8; 24];
        b[12..16].copy_from_slice(&ts.to_be_bytes());
        b[16..20].copy_from_slice(&(dur as u32).to_be_bytes());
        bx(b"mdhd", &b)
    }

    fn elst_v0(entries: &[(u32, i32)]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0];
        b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for &(d, t) in entries {
            b.extend_from_slice(&d.to_be_bytes());
            b.extend_from_slice(&t.to_be_bytes());
            b.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        }
        bx(b"elst", &b)
    }

    fn elst_v1(entries: &[(u64, i64)]) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0];
        b.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for &(d, t) in entries {
            b.extend_from_slice(&d.to_be_bytes());
            b.extend_from_slice(&t.to_be_bytes());
            b.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        }
        bx(b"elst", &b)
    }

    fn trak(id: u32, elst: Option<Vec<u8>>, media: (u32, u64)) -> Vec<u8> {
        let mut parts = vec![tkhd(id)];
        if let Some(e) = elst {
            parts.push(bx(b"edts", &e));
        }
        parts.push(bx(b"mdia", &mdhd(media.0, media.1)));
        bx(b"trak", &cat(&parts))
    }

    fn udta_smpb(text: &str) -> Vec<u8> {
        let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
        data.extend_from_slice(text.as_bytes());
        let mut name = vec![0u8; 4];
        name.extend_from_slice(b"iTunSMPB");
        let mut mean = vec![0u8; 4];
        mean.extend_from_slice(b"com.apple.iTunes");
        let item = bx(
            b"----",
            &cat(&[bx(b"mean", &mean), bx(b"name", &name), bx(b"data", &data)]),
        );
        let ilst = bx(b"ilst", &item);
        let mut hdlr = vec![0u8; 25];
        hdlr[8..12].copy_from_slice(b"mdir");
        let meta = bx(b"meta", &cat(&[vec![0, 0, 0, 0], bx(b"hdlr", &hdlr), ilst]));
        bx(b"udta", &meta)
    }

    /// The drascula fixture as ffmpeg wrote it: 44.1 kHz, movie timescale 1000, priming 1024,
    /// 352336 frames, `mdhd` duration 1024 + 352336, edit 7989 ms.
    fn ffmpeg_like() -> Vec<u8> {
        cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(7989, 1024)])), (44100, 353360)),
        ])
    }

    const EXACT: Trim = Trim {
        start: 1024,
        len: Some(352336),
    };

    #[test]
    fn elst_v0_snaps_to_the_media_end() {
        assert_eq!(parse_moov(&ffmpeg_like(), 1, 44100), Some(EXACT));
    }

    #[test]
    fn elst_v0_cut_inside_the_media_is_kept() {
        // The edit ends 2 s before the media: a real cut, not rounding.
        let moov = cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(6000, 1024)])), (44100, 353360)),
        ]);
        let t = parse_moov(&moov, 1, 44100).unwrap();
        assert_eq!(t.start, 1024);
        assert_eq!(t.len, Some(264600));
    }

    #[test]
    fn elst_v1_with_sample_rate_timescale() {
        // Apple style: movie timescale = sample rate, priming 2112, padding beyond the edit.
        let moov = cat(&[
            mvhd_v1(44100),
            trak(7, Some(elst_v1(&[(300_000, 2112)])), (44100, 303_104)),
        ]);
        assert_eq!(
            parse_moov(&moov, 7, 44100),
            Some(Trim {
                start: 2112,
                len: Some(300_000)
            })
        );
        // Another track id: not ours.
        assert_eq!(parse_moov(&moov, 1, 44100), None);
    }

    #[test]
    fn empty_edits() {
        // Only an empty edit: nothing to trim.
        let moov = cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(500, -1)])), (44100, 1000)),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
        // A leading empty edit (delay) is skipped, the media edit applies.
        let moov = cat(&[
            mvhd(1000),
            trak(
                1,
                Some(elst_v0(&[(500, -1), (7989, 1024)])),
                (44100, 353360),
            ),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), Some(EXACT));
        // Zero entries.
        let moov = cat(&[mvhd(1000), trak(1, Some(elst_v0(&[])), (44100, 1000))]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
    }

    #[test]
    fn several_media_edits_are_ignored() {
        let moov = cat(&[
            mvhd(1000),
            trak(
                1,
                Some(elst_v0(&[(1000, 1024), (1000, 100_000)])),
                (44100, 353360),
            ),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
        // ... but the tag still applies.
        let moov = cat(&[
            mvhd(1000),
            trak(
                1,
                Some(elst_v0(&[(1000, 1024), (1000, 100_000)])),
                (44100, 353360),
            ),
            udta_smpb(" 00000000 00000400 000003B0 0000000000056050"),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), Some(EXACT));
    }

    #[test]
    fn odd_edits_are_ignored() {
        // Rate 2 (not a plain trim) and a negative media time other than -1.
        let mut e = elst_v0(&[(7989, 1024)]);
        let n = e.len();
        e[n - 4..].copy_from_slice(&0x0002_0000u32.to_be_bytes());
        let moov = cat(&[mvhd(1000), trak(1, Some(e), (44100, 353360))]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
        let moov = cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(7989, -5)])), (44100, 353360)),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
        // Zero movie timescale.
        let moov = cat(&[
            mvhd(0),
            trak(1, Some(elst_v0(&[(7989, 1024)])), (44100, 353360)),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
    }

    #[test]
    fn zero_segment_duration_runs_to_the_end() {
        let moov = cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(0, 2112)])), (44100, 353360)),
        ]);
        assert_eq!(
            parse_moov(&moov, 1, 44100),
            Some(Trim {
                start: 2112,
                len: None
            })
        );
    }

    #[test]
    fn media_timescale_differs_from_the_rate() {
        // Media timescale 88200 for a 44.1 kHz stream (odd but legal): media units are halved.
        let moov = cat(&[
            mvhd(1000),
            trak(1, Some(elst_v0(&[(7989, 2048)])), (88200, 706_720)),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100), Some(EXACT));
    }

    #[test]
    fn itunsmpb_alone_and_preferred_when_consistent() {
        let smpb = udta_smpb(" 00000000 00000840 000001C0 0000000000046E00 00000000");
        let moov = cat(&[mvhd(600), trak(1, None, (44100, 292_864)), smpb.clone()]);
        assert_eq!(
            parse_moov(&moov, 1, 44100),
            Some(Trim {
                start: 0x840,
                len: Some(0x46E00)
            })
        );
        // Edit in a 600 Hz movie timescale (one tick = 74 frames), consistent with the tag: the
        // tag's exact length wins.
        let seg = (0x46E00u64 * 600 / 44100) as u32;
        let moov = cat(&[
            mvhd(600),
            trak(1, Some(elst_v0(&[(seg, 0x840)])), (44100, 292_864)),
            smpb.clone(),
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100).unwrap().len, Some(0x46E00));
        // An edit that disagrees with the tag wins over it.
        let moov = cat(&[
            mvhd(600),
            trak(1, Some(elst_v0(&[(seg, 1024)])), (44100, 292_864)),
            smpb,
        ]);
        assert_eq!(parse_moov(&moov, 1, 44100).unwrap().start, 1024);
    }

    #[test]
    fn bad_itunsmpb() {
        for text in ["", "zz 840 1c0 46e00", " 00000000 00000840", " 0 0 0 0"] {
            let moov = cat(&[mvhd(600), trak(1, None, (44100, 1000)), udta_smpb(text)]);
            assert_eq!(parse_moov(&moov, 1, 44100), None, "{text:?}");
        }
        // Unknown length: trim the start only.
        let moov = cat(&[
            mvhd(600),
            trak(1, None, (44100, 1000)),
            udta_smpb(" 00000000 00000840 00000000 0000000000000000"),
        ]);
        assert_eq!(
            parse_moov(&moov, 1, 44100),
            Some(Trim {
                start: 0x840,
                len: None
            })
        );
    }

    #[test]
    fn truncated_boxes_give_no_trim() {
        let moov = ffmpeg_like();
        for cut in 0..moov.len() {
            // Must not panic; a cut inside a box that we need gives nothing.
            let _ = parse_moov(&moov[..cut], 1, 44100);
        }
        // elst cut in the middle of its entry.
        let mut e = elst_v0(&[(7989, 1024)]);
        e.truncate(e.len() - 6);
        let n = e.len() as u32;
        e[..4].copy_from_slice(&n.to_be_bytes());
        let moov = cat(&[mvhd(1000), trak(1, Some(e), (44100, 353360))]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
    }

    #[test]
    fn absurd_sizes_give_no_trim() {
        let good = ffmpeg_like();
        // Every 32-bit size field in turn set to huge, 1..7, and 1 (64-bit size) with a huge
        // extended size.
        let mut offsets = Vec::new();
        let mut i = 0;
        while i + 8 <= good.len() {
            if good[i + 4..i + 8].iter().all(u8::is_ascii_lowercase) {
                offsets.push(i);
            }
            i += 1;
        }
        assert!(offsets.len() >= 6);
        for &at in &offsets {
            for size in [u32::MAX, 0x7FFF_FFF0, 3, 7] {
                let mut bad = good.clone();
                bad[at..at + 4].copy_from_slice(&size.to_be_bytes());
                assert_eq!(parse_moov(&bad, 1, 44100), None, "size {size} at {at}");
            }
        }
        // Entry count far beyond the box.
        let mut e = elst_v0(&[(7989, 1024)]);
        e[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        let moov = cat(&[mvhd(1000), trak(1, Some(e), (44100, 353360))]);
        assert_eq!(parse_moov(&moov, 1, 44100), None);
        // Huge media duration / time: no overflow, no trim that makes sense is invented.
        let moov = cat(&[
            mvhd(1),
            trak(1, Some(elst_v1(&[(u64::MAX, i64::MAX)])), (1, u64::MAX)),
        ]);
        let _ = parse_moov(&moov, 1, 384_000);
    }

    #[test]
    fn moov_is_found_past_mdat() {
        use std::io::Cursor;
        let mut file = cat(&[bx(b"ftyp", b"M4A \0\0\0\0"), bx(b"mdat", &[0u8; 5000])]);
        file.extend(bx(b"moov", &ffmpeg_like()));
        assert_eq!(read_trim(&mut Cursor::new(&file), 1, 44100), Some(EXACT));
        // 64-bit mdat size.
        let mut file = bx(b"ftyp", b"M4A \0\0\0\0");
        file.extend(1u32.to_be_bytes());
        file.extend(b"mdat");
        file.extend(1016u64.to_be_bytes());
        file.extend([0u8; 1000]);
        file.extend(bx(b"moov", &ffmpeg_like()));
        assert_eq!(read_trim(&mut Cursor::new(&file), 1, 44100), Some(EXACT));
        // mdat claiming more than the file: no moov, no trim.
        let mut file = cat(&[bx(b"ftyp", b"M4A \0\0\0\0"), bx(b"mdat", &[0u8; 5000])]);
        file[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(read_trim(&mut Cursor::new(&file), 1, 44100), None);
        // moov truncated by the end of the file.
        let mut file = cat(&[bx(b"ftyp", b"M4A \0\0\0\0"), bx(b"moov", &ffmpeg_like())]);
        file.truncate(file.len() - 10);
        assert_eq!(read_trim(&mut Cursor::new(&file), 1, 44100), None);
        assert_eq!(read_trim(&mut Cursor::new(&[0u8; 3]), 1, 44100), None);
    }
}
