//! Scan benchmark helpers: generate a library of small, real, tagged FLAC files and time a
//! first scan and an unchanged rescan. Used by `benches/scan.rs` and callable from the CLI.
//! Also hosts [`write_tags`], the tag writer the tests use to tag fixture copies.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lofty::config::WriteOptions;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::prelude::*;
use lofty::tag::items::Timestamp;
use lofty::tag::Tag;
use serde::{Deserialize, Serialize};

use crate::error::{LibraryError, Result};
use crate::{Library, ScanProgress};

/// Tags to write into a file (fields left `None` are not touched).
#[derive(Clone, Debug, Default)]
pub struct TagSpec {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track: Option<u32>,
    pub disc: Option<u32>,
    pub year: Option<u16>,
    pub genre: Option<String>,
    /// e.g. "-6.50 dB"
    pub track_gain: Option<String>,
    pub track_peak: Option<String>,
    pub album_gain: Option<String>,
    pub album_peak: Option<String>,
    /// An embedded front cover: (bytes, MIME type, e.g. "image/png").
    pub cover: Option<(Vec<u8>, String)>,
}

/// Writes `spec` into the file's primary tag (created if missing) with lofty.
pub fn write_tags(path: &Path, spec: &TagSpec) -> Result<()> {
    let parse_error = |source| LibraryError::Tags {
        path: path.to_path_buf(),
        source,
    };
    let mut file = lofty::read_from_path(path).map_err(parse_error)?;
    if file.primary_tag().is_none() {
        let tag_type = file.primary_tag_type();
        file.insert_tag(Tag::new(tag_type));
    }
    let Some(tag) = file.primary_tag_mut() else {
        return Ok(());
    };
    if let Some(v) = &spec.title {
        tag.set_title(v.clone());
    }
    if let Some(v) = &spec.artist {
        tag.set_artist(v.clone());
    }
    if let Some(v) = &spec.album {
        tag.set_album(v.clone());
    }
    if let Some(v) = &spec.album_artist {
        tag.insert_text(ItemKey::AlbumArtist, v.clone());
    }
    if let Some(v) = spec.track {
        tag.set_track(v);
    }
    if let Some(v) = spec.disc {
        tag.set_disk(v);
    }
    if let Some(year) = spec.year {
        tag.set_date(Timestamp {
            year,
            ..Timestamp::default()
        });
    }
    if let Some(v) = &spec.genre {
        tag.set_genre(v.clone());
    }
    for (key, value) in [
        (ItemKey::ReplayGainTrackGain, &spec.track_gain),
        (ItemKey::ReplayGainTrackPeak, &spec.track_peak),
        (ItemKey::ReplayGainAlbumGain, &spec.album_gain),
        (ItemKey::ReplayGainAlbumPeak, &spec.album_peak),
    ] {
        if let Some(v) = value {
            tag.insert_text(key, v.clone());
        }
    }
    if let Some((data, mime)) = &spec.cover {
        tag.push_picture(
            Picture::unchecked(data.clone())
                .pic_type(PictureType::CoverFront)
                .mime_type(MimeType::from_str(mime))
                .build(),
        );
    }
    file.save_to_path(path, WriteOptions::default())
        .map_err(|source| LibraryError::WriteTags {
            path: path.to_path_buf(),
            source,
        })
}

/// A valid 44.1 kHz 16-bit stereo FLAC file of `blocks` × 4096 frames of low-level noise
/// (verbatim subframes, so about 16 KiB per block; MD5 left unset, which FLAC allows).
pub fn tiny_flac(blocks: u32) -> Vec<u8> {
    const BLOCK: u32 = 4096;
    let total = u64::from(BLOCK) * u64::from(blocks);
    let mut out = b"fLaC".to_vec();
    // STREAMINFO, last metadata block.
    out.extend_from_slice(&[0x80, 0, 0, 34]);
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&[0; 6]); // min/max frame size unknown
                                    // 20 bits rate, 3 bits channels-1, 5 bits bps-1, 36 bits total samples.
    let packed: u64 = (44_100u64 << 44) | (1 << 41) | (15 << 36) | total;
    out.extend_from_slice(&packed.to_be_bytes());
    out.extend_from_slice(&[0; 16]); // MD5 unknown
    let mut seed = 0x2545_f491u32;
    for frame in 0..blocks {
        let start = out.len();
        // Sync + fixed blocksize, 4096 samples, 44.1 kHz, independent stereo, 16 bit.
        out.extend_from_slice(&[0xFF, 0xF8, 0xC9, 0x18]);
        utf8_number(&mut out, frame);
        let crc = crc8(&out[start..]);
        out.push(crc);
        for _channel in 0..2 {
            out.push(0x02); // VERBATIM subframe, no wasted bits
            for _ in 0..BLOCK {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let sample = (seed >> 22) as i16 - 512;
                out.extend_from_slice(&sample.to_be_bytes());
            }
        }
        let crc = crc16(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

fn utf8_number(out: &mut Vec<u8>, n: u32) {
    // FLAC's UTF-8-like frame number coding (values below 2^16 suffice here).
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (n >> 6) as u8, 0x80 | (n & 0x3F) as u8]),
        _ => out.extend_from_slice(&[
            0xE0 | ((n >> 12) & 0x0F) as u8,
            0x80 | ((n >> 6) & 0x3F) as u8,
            0x80 | (n & 0x3F) as u8,
        ]),
    }
}

fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |mut crc, &byte| {
        crc ^= byte;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
        crc
    })
}

fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |mut crc, &byte| {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// Writes `files` tagged FLAC files under `dir` as `Artist NN/Album NN/TT - Title.flac`
/// (10 tracks per album, 10 albums per artist), each with different tags written by lofty.
pub fn generate_library(dir: &Path, files: usize) -> Result<()> {
    let template = tiny_flac(6);
    for i in 0..files {
        let (artist, album, track) = (i / 100, (i / 10) % 10, i % 10 + 1);
        let folder = dir
            .join(format!("Artist {artist:02}"))
            .join(format!("Album {album:02}"));
        std::fs::create_dir_all(&folder).map_err(|e| LibraryError::io(&folder, e))?;
        let path = folder.join(format!("{track:02} - Song {i}.flac"));
        std::fs::write(&path, &template).map_err(|e| LibraryError::io(&path, e))?;
        write_tags(
            &path,
            &TagSpec {
                title: Some(format!("Song {i}")),
                artist: Some(format!("Artist {artist:02}")),
                album: Some(format!("Album {artist:02}-{album:02}")),
                album_artist: Some(format!("Artist {artist:02}")),
                track: Some(track as u32),
                disc: Some(1),
                year: Some(1990 + (i % 30) as u16),
                genre: Some("Test".into()),
                track_gain: Some("-3.20 dB".into()),
                track_peak: Some("0.891".into()),
                ..TagSpec::default()
            },
        )?;
    }
    Ok(())
}

/// Figures of one benchmark run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScanBench {
    pub files: usize,
    pub first_scan_seconds: f64,
    pub first_scan_files_per_second: f64,
    pub rescan_seconds: f64,
    pub rescan_files_per_second: f64,
}

/// Times a first scan (fresh database) and an unchanged rescan of a library already generated
/// in `music_dir`, with the database in `data_dir`. Files are read once before timing, so the
/// figures are for a warm disk cache.
pub fn time_scans(music_dir: &Path, data_dir: &Path) -> Result<ScanBench> {
    let db: PathBuf = data_dir.join(format!("bench-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // Warm-up scan into a throwaway database (fills the disk cache).
    {
        let warm = data_dir.join("bench-warmup.db");
        let lib = Library::open(&warm)?;
        lib.scan(music_dir, &ScanProgress::default())?;
    }
    let lib = Library::open(&db)?;
    let progress = ScanProgress::default();
    let started = Instant::now();
    let first = lib.scan(music_dir, &progress)?;
    let first_scan_seconds = started.elapsed().as_secs_f64();
    let files = (first.added + first.unreadable) as usize;
    let started = Instant::now();
    let again = lib.scan(music_dir, &progress)?;
    let rescan_seconds = started.elapsed().as_secs_f64();
    debug_assert_eq!(again.unchanged as usize, first.added as usize);
    Ok(ScanBench {
        files,
        first_scan_seconds,
        first_scan_files_per_second: files as f64 / first_scan_seconds,
        rescan_seconds,
        rescan_files_per_second: files as f64 / rescan_seconds,
    })
}

/// Generates `files` files in a temporary folder and runs [`time_scans`] on them.
pub fn run(files: usize) -> Result<ScanBench> {
    let dir = tempfile::tempdir().map_err(|e| LibraryError::io(std::env::temp_dir(), e))?;
    let music = dir.path().join("music");
    let data = dir.path().join("data");
    generate_library(&music, files)?;
    time_scans(&music, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_flac_is_read_by_lofty_with_the_right_properties() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.flac");
        std::fs::write(&path, tiny_flac(2)).unwrap();
        let file = lofty::read_from_path(&path).unwrap();
        let props = file.properties();
        assert_eq!(props.sample_rate(), Some(44_100));
        assert_eq!(props.channels(), Some(2));
        assert_eq!(props.bit_depth(), Some(16));
        assert_eq!(props.duration().as_millis(), 8192 * 1000 / 44_100);
    }

    #[test]
    fn crcs_match_reference_values() {
        // CRC-8/SMBUS and CRC-16/UMTS (FLAC's) of "123456789".
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }
}
