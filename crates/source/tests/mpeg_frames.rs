//! MPEG audio lengths against the frame headers: every MPEG-1 and MPEG-2 layer III fixture,
//! with and without a Xing/Info + LAME header, decodes to exactly the samples its frames hold
//! (minus the LAME encoder delay and padding when the header gives them).
//!
//! The frames are counted here by walking the headers, independently of symphonia. Without a
//! Xing/Info/VBRI frame count, symphonia 0.6.1 guessed the length from the first frames' average
//! size and cut the stream there: one frame short for most CBR files, many for VBR files.
mod common;
use common::*;

/// What the frame headers of an MPEG audio file say.
#[derive(Debug)]
struct Headers {
    sample_rate: u32,
    /// Samples per frame: 1152 (MPEG-1 layer III), 576 (MPEG-2/2.5 layer III).
    per_frame: u64,
    /// Audio frames (the Xing/Info frame, if any, is not counted).
    frames: u64,
    /// LAME encoder delay and padding (samples), if the file has a LAME tag.
    lame: Option<(u64, u64)>,
}

/// Bitrates (kbit/s) of layer III by version (index 1..14).
const MPEG1_L3: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const MPEG2_L3: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

fn walk_headers(data: &[u8]) -> Headers {
    // Skip an ID3v2 tag.
    let mut pos = 0usize;
    if data.len() >= 10 && &data[..3] == b"ID3" {
        let size = data[6..10]
            .iter()
            .fold(0usize, |a, &b| (a << 7) | (b & 0x7f) as usize);
        pos = 10 + size;
    }
    let (mut frames, mut first, mut rate, mut per_frame, mut lame) = (0u64, true, 0, 0, None);
    while pos + 4 <= data.len() {
        let h = u32::from_be_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]);
        assert_eq!(h & 0xFFE0_0000, 0xFFE0_0000, "lost sync at byte {pos}");
        let version = (h >> 19) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
        assert_eq!((h >> 17) & 3, 1, "layer III only");
        let mpeg1 = version == 3;
        let bitrate = if mpeg1 { MPEG1_L3 } else { MPEG2_L3 }[((h >> 12) & 15) as usize];
        let base = [44_100, 48_000, 32_000][((h >> 10) & 3) as usize];
        rate = match version {
            3 => base,
            2 => base / 2,
            _ => base / 4,
        };
        let padding = ((h >> 9) & 1) as usize;
        per_frame = if mpeg1 { 1152 } else { 576 };
        let size = (per_frame as usize / 8) * bitrate as usize * 1000 / rate as usize + padding;
        assert!(size > 4 && pos + size <= data.len(), "frame at {pos}");
        let frame = &data[pos..pos + size];
        let mono = (h >> 6) & 3 == 3;
        // Side information length: where a Xing/Info tag would start.
        let side = match (mpeg1, mono) {
            (true, false) => 32,
            (true, true) => 17,
            (false, false) => 17,
            (false, true) => 9,
        };
        let tag = 4 + side;
        let is_info = first
            && frame.len() > tag + 8
            && (&frame[tag..tag + 4] == b"Xing" || &frame[tag..tag + 4] == b"Info");
        if is_info {
            let flags = u32::from_be_bytes([
                frame[tag + 4],
                frame[tag + 5],
                frame[tag + 6],
                frame[tag + 7],
            ]);
            let mut off = tag + 8;
            for (bit, len) in [(1, 4), (2, 4), (4, 100), (8, 4)] {
                if flags & bit != 0 {
                    off += len;
                }
            }
            // The LAME extension (ffmpeg writes its own encoder name there).
            let encoders: [&[u8]; 3] = [b"LAME", b"Lavf", b"Lavc"];
            if frame.len() >= off + 24 && encoders.contains(&&frame[off..off + 4]) {
                let d = &frame[off + 21..off + 24];
                let delay = ((d[0] as u64) << 4) | (d[1] as u64 >> 4);
                let pad = (((d[1] & 0x0f) as u64) << 8) | d[2] as u64;
                lame = Some((delay, pad));
            }
        } else {
            frames += 1;
        }
        first = false;
        pos += size;
    }
    Headers {
        sample_rate: rate,
        per_frame,
        frames,
        lame,
    }
}

/// Output frames for `native` source frames: as decoded (44.1/48 kHz) or resampled to 48 kHz
/// (`ceil(n * 48000 / rate)`, the resampler's contract).
fn output_frames(native: u64, rate: u32) -> u64 {
    match rate {
        44_100 | 48_000 => native,
        r => (native * 48_000).div_ceil(u64::from(r)),
    }
}

#[test]
fn mpeg_lengths_match_the_frame_headers() {
    let cases = [
        ("drascula-track2-3s-mpeg1-cbr-noxing.mp3", 44_100, false),
        ("drascula-track2-3s-mpeg1-vbr-noxing.mp3", 44_100, false),
        ("drascula-track2-3s-mpeg1-vbr-lame.mp3", 44_100, true),
        ("drascula-track2-3s-mpeg2-cbr-noxing.mp3", 22_050, false),
        ("drascula-track2-3s-mpeg2-vbr-noxing.mp3", 22_050, false),
        ("drascula-track2-3s-mpeg2-cbr-lame.mp3", 22_050, true),
        ("drascula-track1-8s.mp3", 44_100, true),
    ];
    for (name, rate, gapless) in cases {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let h = walk_headers(&bytes);
        assert_eq!(h.sample_rate, rate, "{name}");
        assert_eq!(h.lame.is_some(), gapless, "{name}: LAME tag");
        let (delay, padding) = h.lame.unwrap_or((0, 0));
        let native = h.frames * h.per_frame - delay - padding;
        let mut s = open(name);
        let info = s.info().clone();
        assert_eq!(info.source_rate, rate, "{name}");
        let want = output_frames(native, rate);
        assert_eq!(
            info.frames,
            want,
            "{name}: {} frames of {} samples{} = {native} source samples",
            h.frames,
            h.per_frame,
            if gapless {
                " minus LAME delay/padding"
            } else {
                ""
            }
        );
        assert_eq!(s.read_all().unwrap().len() as u64, want, "{name}: read_all");
        // The length is not bought by giving up seeking.
        assert!(s.seeks_randomly(), "{name}: random reads do not seek");
    }
}

#[test]
fn mpeg_random_access_reaches_the_last_frame() {
    // Reads near the end (past where a length guess from the first frames would stop) equal
    // the full decode.
    for name in [
        "drascula-track2-3s-mpeg1-cbr-noxing.mp3",
        "drascula-track2-3s-mpeg1-vbr-noxing.mp3",
        "drascula-track2-3s-mpeg2-vbr-noxing.mp3",
    ] {
        let all = open(name).read_all().unwrap();
        let n = all.len() as u64;
        let mut s = open(name);
        for a in [n - 2000, n / 2, n - 10, 1000] {
            let got = s.read(a..n).unwrap();
            assert!(
                bits(&got) == bits(&all[a as usize..]),
                "{name}: read({a}..{n}) differs from the full decode"
            );
        }
    }
}
