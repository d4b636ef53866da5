//! Reading one audio file: tags and audio properties through `lofty`, plus the file signature.
//! Runs on rayon workers during a scan; returns plain data, never touches the database.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::Path;

use lofty::config::ParseOptions;
use lofty::file::FileType;
use lofty::prelude::*;
use lofty::probe::Probe;
use lofty::tag::Tag;

use crate::model::{FileSignature, ReplayGain};
pub(crate) use auralis_core::mtime_ns;

/// Everything a scan stores about one readable file.
#[derive(Debug, Clone)]
pub(crate) struct TrackMeta {
    pub format: String,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track_number: Option<u32>,
    pub disc_number: Option<u32>,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub duration_seconds: f64,
    pub sample_rate: Option<u32>,
    pub channels: Option<u8>,
    pub bit_depth: Option<u8>,
    pub replay_gain: ReplayGain,
    pub embedded_picture: bool,
    pub signature: FileSignature,
}

/// Reads tags, properties and signature of `path`. The error is the reason shown in the
/// unreadable list (the caller adds the file name).
pub(crate) fn read_track(path: &Path) -> Result<TrackMeta, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let metadata = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    let signature = FileSignature::of_open_file(&mut file, &metadata)
        .map_err(|e| format!("cannot read: {e}"))?;
    file.rewind().map_err(|e| format!("cannot read: {e}"))?;

    // Content sniffing first (a wrong extension still works, .oga/.alac have no lofty
    // extension), the extension as a fallback. Pictures are parsed only to learn that there is
    // one; their bytes are dropped with the TaggedFile.
    let options = ParseOptions::new().read_cover_art(true);
    let mut probe = Probe::new(BufReader::new(file)).options(options);
    if let Some(file_type) = FileType::from_path(path) {
        probe = probe.set_file_type(file_type);
    }
    let probe = probe
        .guess_file_type()
        .map_err(|e| format!("cannot read: {e}"))?;
    let tagged = probe.read().map_err(|e| e.to_string())?;

    // Primary tag first, then the others (e.g. ID3v2 before ID3v1).
    let primary = tagged.primary_tag();
    let tags: Vec<&Tag> = primary
        .into_iter()
        .chain(
            tagged
                .tags()
                .iter()
                .filter(|t| Some(t.tag_type()) != primary.map(Tag::tag_type)),
        )
        .collect();

    let properties = tagged.properties();
    let year = first(&tags, |t| t.date().map(|d| i32::from(d.year)))
        .or_else(|| first(&tags, |t| t.get_string(ItemKey::Year).and_then(parse_year)))
        .filter(|y| *y > 0);
    Ok(TrackMeta {
        format: format_name(tagged.file_type()),
        title: first_text(&tags, |t| t.title()),
        artist: first_text(&tags, |t| t.artist()),
        album: first_text(&tags, |t| t.album()),
        album_artist: first_text(&tags, |t| {
            t.get_string(ItemKey::AlbumArtist).map(Cow::Borrowed)
        }),
        track_number: first(&tags, |t| t.track()).filter(|n| *n > 0),
        disc_number: first(&tags, |t| t.disk()).filter(|n| *n > 0),
        year,
        genre: first_text(&tags, |t| t.genre()),
        duration_seconds: properties.duration().as_secs_f64(),
        sample_rate: properties.sample_rate().filter(|r| *r > 0),
        channels: properties.channels().filter(|c| *c > 0),
        bit_depth: properties.bit_depth().filter(|b| *b > 0),
        replay_gain: ReplayGain {
            track_gain_db: first(&tags, |t| gain(t, ItemKey::ReplayGainTrackGain)),
            track_peak: first(&tags, |t| gain(t, ItemKey::ReplayGainTrackPeak)),
            album_gain_db: first(&tags, |t| gain(t, ItemKey::ReplayGainAlbumGain)),
            album_peak: first(&tags, |t| gain(t, ItemKey::ReplayGainAlbumPeak)),
        },
        embedded_picture: tags.iter().any(|t| !t.pictures().is_empty()),
        signature,
    })
}

fn first<T>(tags: &[&Tag], get: impl Fn(&Tag) -> Option<T>) -> Option<T> {
    tags.iter().find_map(|t| get(t))
}

fn first_text<'a>(
    tags: &[&'a Tag],
    get: impl Fn(&'a Tag) -> Option<Cow<'a, str>>,
) -> Option<String> {
    tags.iter().find_map(|t| {
        let value = get(t)?;
        let trimmed = value.trim().trim_matches('\0').trim();
        (!trimmed.is_empty()).then(|| trimmed.to_string())
    })
}

/// "-6.52 dB", "+1.2dB", "0.98" → number.
fn gain(tag: &Tag, key: ItemKey) -> Option<f64> {
    parse_gain(tag.get_string(key)?)
}

pub(crate) fn parse_gain(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = text
        .strip_suffix("dB")
        .or_else(|| text.strip_suffix("db"))
        .or_else(|| text.strip_suffix("DB"))
        .unwrap_or(text)
        .trim();
    let value: f64 = text.strip_prefix('+').unwrap_or(text).parse().ok()?;
    value.is_finite().then_some(value)
}

/// The first four-digit run of a date string ("2003", "2003-05-01", "05/01/2003").
pub(crate) fn parse_year(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    bytes
        .windows(4)
        .enumerate()
        .find(|(i, w)| {
            w.iter().all(u8::is_ascii_digit)
                && (*i == 0 || !bytes[i - 1].is_ascii_digit())
                && bytes.get(i + 4).is_none_or(|b| !b.is_ascii_digit())
        })
        .and_then(|(_, w)| std::str::from_utf8(w).ok()?.parse().ok())
}

fn format_name(file_type: FileType) -> String {
    match file_type {
        FileType::Aac => "aac".into(),
        FileType::Aiff => "aiff".into(),
        FileType::Flac => "flac".into(),
        FileType::Mpeg => "mp3".into(),
        FileType::Mp4 => "mp4".into(),
        FileType::Opus => "opus".into(),
        FileType::Vorbis => "ogg".into(),
        FileType::Wav => "wav".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_parse_with_and_without_units() {
        assert_eq!(parse_gain("-6.52 dB"), Some(-6.52));
        assert_eq!(parse_gain("+1.5dB"), Some(1.5));
        assert_eq!(parse_gain(" 0.988 "), Some(0.988));
        assert_eq!(parse_gain("loud"), None);
        assert_eq!(parse_gain("NaN dB"), None);
    }

    #[test]
    fn years_come_from_the_first_four_digit_run() {
        assert_eq!(parse_year("2003"), Some(2003));
        assert_eq!(parse_year("2003-05-01"), Some(2003));
        assert_eq!(parse_year("05/01/1999"), Some(1999));
        assert_eq!(parse_year("12345"), None);
        assert_eq!(parse_year(""), None);
    }
}
