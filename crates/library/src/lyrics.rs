//! Lyrics of a track: an `.lrc` file beside it with the same stem, else the file's own tags
//! (ID3v2 `SYLT` synced frames in MP3, WAV or AIFF, or `USLT`, Vorbis `LYRICS`, MP4 `©lyr`),
//! read when asked (a few kilobytes of text, never any audio).
//!
//! LRC is parsed as players write it: several timestamps on one line
//! (`[00:12.00][01:40.50]Chorus`), `[offset:+/-ms]` (positive shows the lyrics earlier), LRC ID
//! tags (`[ar:]`, `[ti:]`, ...) skipped (a bracket with a colon in plain lyrics,
//! `[Verse 1: Someone]`, stays text), enhanced-LRC word times (`<00:12.34>`) removed from the
//! text, a BOM and Windows line endings tolerated. Text without any timestamp is plain
//! (unsynced) lyrics.
//!
//! Not for: choosing which lyrics a client sees (there is one set per track) or HTTP shapes.

use std::fs::File;
use std::path::{Path, PathBuf};

use lofty::config::ParseOptions;
use lofty::file::{AudioFile, TaggedFileExt};
use lofty::id3::v2::{
    Frame, Id3v2Tag, SyncTextContentType, SynchronizedTextFrame, TimestampFormat,
};
use lofty::iff::aiff::AiffFile;
use lofty::iff::wav::WavFile;
use lofty::mpeg::{Layer, MpegFile, MpegVersion};
use lofty::prelude::ItemKey;
use serde::{Deserialize, Serialize};

/// Largest `.lrc` file read (a song's lyrics are a few KiB).
const MAX_LRC_BYTES: u64 = 1 << 20;

/// Where lyrics came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LyricsSource {
    Lrc,
    Tag,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LyricLine {
    /// Seconds from the start of the track (None for unsynced lyrics).
    pub start_s: Option<f64>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lyrics {
    pub synced: bool,
    pub source: LyricsSource,
    /// In time order when synced.
    pub lines: Vec<LyricLine>,
}

/// The lyrics of the audio file at `path`, if it has any. Unreadable sidecar files and tags
/// count as none (the track still plays); the reason is logged by the caller if it wants.
pub fn read_lyrics(path: &Path) -> Option<Lyrics> {
    if let Some(lrc) = sidecar(path) {
        if let Ok(text) = read_text(&lrc) {
            let lyrics = parse_lrc(&text, LyricsSource::Lrc);
            if !lyrics.lines.is_empty() {
                return Some(lyrics);
            }
        }
    }
    from_tags(path)
}

/// `<stem>.lrc` (any case of the extension) beside the file.
fn sidecar(path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?;
    let dir = path.parent()?;
    std::fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let p = e.path();
        let ext = p.extension()?.to_str()?;
        (p.file_stem() == Some(stem) && ext.eq_ignore_ascii_case("lrc")).then_some(p)
    })
}

fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_LRC_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// LRC's ID tags (`[ar:Artist]`, `[offset:+250]`, ...). Only these are metadata: a bracket
/// with a colon in plain lyrics (`[Verse 1: Someone]`) is text.
fn is_id_tag(key: &str) -> bool {
    const KEYS: &[&str] = &[
        "ar", "al", "ti", "au", "by", "offset", "length", "re", "ve", "tool", "id", "la", "lang",
        "#",
    ];
    KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
}

/// Parses LRC text (see the module docs).
pub fn parse_lrc(text: &str, source: LyricsSource) -> Lyrics {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut offset_ms = 0i64;
    let mut timed: Vec<(f64, String)> = Vec::new();
    let mut plain: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r').trim();
        let mut rest = line;
        let mut stamps = Vec::new();
        let mut tag_only = false;
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            let tag = &inner[..end];
            if let Some(t) = parse_timestamp(tag) {
                stamps.push(t);
            } else if let Some((key, value)) =
                tag.split_once(':').filter(|(key, _)| is_id_tag(key.trim()))
            {
                if key.trim().eq_ignore_ascii_case("offset") {
                    offset_ms = value.trim().parse().unwrap_or(0);
                }
                tag_only = true;
            } else {
                break;
            }
            rest = &inner[end + 1..];
        }
        let words = strip_word_times(rest.trim());
        if stamps.is_empty() {
            if !tag_only && !line.is_empty() {
                plain.push(words);
            }
            continue;
        }
        for t in stamps {
            timed.push((t, words.clone()));
        }
    }
    if timed.is_empty() {
        return Lyrics {
            synced: false,
            source,
            lines: plain
                .into_iter()
                .map(|text| LyricLine {
                    start_s: None,
                    text,
                })
                .collect(),
        };
    }
    // Stable: lines with the same time keep their file order.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let shift = offset_ms as f64 / 1000.0;
    Lyrics {
        synced: true,
        source,
        lines: timed
            .into_iter()
            .map(|(t, text)| LyricLine {
                start_s: Some((t - shift).max(0.0)),
                text,
            })
            .collect(),
    }
}

/// `mm:ss`, `mm:ss.xx`, `mm:ss.xxx` or `mm:ss:xx` → seconds.
fn parse_timestamp(tag: &str) -> Option<f64> {
    let (min, rest) = tag.trim().split_once(':')?;
    let minutes: u32 = min.parse().ok()?;
    let (sec, frac) = match rest.split_once(['.', ':']) {
        Some((s, f)) => (s, f),
        None => (rest, ""),
    };
    let seconds: u32 = sec.parse().ok()?;
    if seconds >= 60 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let frac = if frac.is_empty() {
        0.0
    } else {
        format!("0.{frac}").parse::<f64>().ok()?
    };
    Some(minutes as f64 * 60.0 + seconds as f64 + frac)
}

/// Removes enhanced-LRC word times (`<00:12.34>`) from a line's text.
fn strip_word_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        match rest[start + 1..].find('>') {
            Some(end) if parse_timestamp(&rest[start + 1..start + 1 + end]).is_some() => {
                out.push_str(&rest[..start]);
                rest = &rest[start + 2 + end..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lyrics from the file's tags: a synced ID3v2 `SYLT` frame first, then any lyrics item
/// (`USLT`, Vorbis `LYRICS`/`UNSYNCEDLYRICS`, MP4 `©lyr`), which may itself hold LRC text.
fn from_tags(path: &Path) -> Option<Lyrics> {
    if let Some(synced) = sylt(path) {
        return Some(synced);
    }
    let tagged = lofty::read_from_path(path).ok()?;
    let text = tagged.tags().iter().find_map(|t| {
        [ItemKey::Lyrics, ItemKey::UnsyncLyrics]
            .into_iter()
            .find_map(|k| t.get_string(k).filter(|s| !s.trim().is_empty()))
            .map(str::to_string)
    })?;
    let lyrics = parse_lrc(&text, LyricsSource::Tag);
    (!lyrics.lines.is_empty()).then_some(lyrics)
}

/// The ID3v2 tag of an MP3, WAV or AIFF file (the containers that carry one), and for MP3 the
/// seconds of one MPEG frame (for SYLT frames timed in frames).
fn id3v2_tag(path: &Path) -> Option<(Id3v2Tag, Option<f64>)> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let mut file = File::open(path).ok()?;
    let options = ParseOptions::new();
    match ext.as_str() {
        "mp3" => {
            let mpeg = MpegFile::read_from(&mut file, options).ok()?;
            let p = mpeg.properties();
            let samples = match (p.layer(), p.version()) {
                (Layer::Layer1, _) => 384.0,
                (Layer::Layer2, _) | (Layer::Layer3, MpegVersion::V1) => 1152.0,
                (Layer::Layer3, _) => 576.0,
            };
            let frame = (p.sample_rate() > 0).then(|| samples / p.sample_rate() as f64);
            Some((mpeg.id3v2()?.clone(), frame))
        }
        "wav" | "wave" => Some((
            WavFile::read_from(&mut file, options)
                .ok()?
                .id3v2()?
                .clone(),
            None,
        )),
        "aif" | "aiff" | "aifc" => Some((
            AiffFile::read_from(&mut file, options)
                .ok()?
                .id3v2()?
                .clone(),
            None,
        )),
        _ => None,
    }
}

/// A `SYLT` lyrics frame of the file's ID3v2 tag, timed in milliseconds or (MP3) MPEG frames.
fn sylt(path: &Path) -> Option<Lyrics> {
    let (tag, frame_seconds) = id3v2_tag(path)?;
    tag.into_iter().find_map(|frame| {
        let Frame::Binary(binary) = frame else {
            return None;
        };
        if binary.id().as_str() != "SYLT" {
            return None;
        }
        let sync = SynchronizedTextFrame::parse(&binary.data, binary.flags()).ok()?;
        if !matches!(sync.content_type, SyncTextContentType::Lyrics) {
            return None;
        }
        let unit = match sync.timestamp_format {
            TimestampFormat::MS => 0.001,
            TimestampFormat::MPEG => frame_seconds?,
        };
        let mut lines: Vec<LyricLine> = sync
            .content
            .into_iter()
            .map(|(at, text)| LyricLine {
                start_s: Some(at as f64 * unit),
                text: text.trim().to_string(),
            })
            .collect();
        lines.sort_by(|a, b| {
            a.start_s
                .unwrap_or(0.0)
                .total_cmp(&b.start_s.unwrap_or(0.0))
        });
        (!lines.is_empty()).then_some(Lyrics {
            synced: true,
            source: LyricsSource::Tag,
            lines,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(l: &Lyrics) -> Vec<(f64, &str)> {
        l.lines
            .iter()
            .map(|x| (x.start_s.unwrap(), x.text.as_str()))
            .collect()
    }

    #[test]
    fn lrc_with_several_stamps_offset_and_tags() {
        let text = "\u{feff}[ar:Someone]\r\n[ti:Song]\r\n[offset:+500]\r\n\
                    [00:12.00][01:40.50]Chorus line\r\n[00:05.5]First <00:05.60>word <00:06.00>times\r\n\
                    [01:00]Plain stamp\r\n\r\n";
        let l = parse_lrc(text, LyricsSource::Lrc);
        assert!(l.synced);
        assert_eq!(
            times(&l),
            vec![
                (5.0, "First word times"),
                (11.5, "Chorus line"),
                (59.5, "Plain stamp"),
                (100.0, "Chorus line"),
            ]
        );
    }

    #[test]
    fn negative_offset_and_three_digit_fractions() {
        let l = parse_lrc(
            "[offset:-250]\n[00:01.125]a\n[00:00.100]b",
            LyricsSource::Lrc,
        );
        assert_eq!(times(&l), vec![(0.35, "b"), (1.375, "a")]);
    }

    #[test]
    fn text_without_stamps_is_unsynced() {
        let l = parse_lrc("[ti:Song]\nJust words\nmore words\n", LyricsSource::Tag);
        assert!(!l.synced);
        let lines: Vec<_> = l
            .lines
            .iter()
            .map(|x| (x.start_s, x.text.as_str()))
            .collect();
        assert_eq!(lines, vec![(None, "Just words"), (None, "more words")]);
    }

    #[test]
    fn odd_brackets_are_text_not_stamps() {
        assert_eq!(parse_timestamp("00:75.00"), None);
        assert_eq!(parse_timestamp("ab:cd"), None);
        let l = parse_lrc("[00:01.00]a [chorus] <b>", LyricsSource::Lrc);
        assert_eq!(times(&l), vec![(1.0, "a [chorus] <b>")]);
    }

    #[test]
    fn only_lrc_id_tags_are_metadata_a_bracket_with_a_colon_in_lyrics_is_text() {
        let l = parse_lrc(
            "[ar:Someone]\n[Verse 1: Someone]\nWords here\n[AL:Album]\n[Chorus: All]\n",
            LyricsSource::Tag,
        );
        let lines: Vec<_> = l.lines.iter().map(|x| x.text.as_str()).collect();
        assert_eq!(
            lines,
            vec!["[Verse 1: Someone]", "Words here", "[Chorus: All]"]
        );
        let l = parse_lrc("[by:me]\n[00:02.00][x: y] text\n", LyricsSource::Lrc);
        assert_eq!(times(&l), vec![(2.0, "[x: y] text")]);
    }
}
