//! Library items as Subsonic elements: songs (`child`), albums, artists, playlists, with the
//! caller's marks (starred, plays, rating) and what `stream` will send them.
//!
//! ReplayGain: a mastered stream is already at its loudness target, so songs then carry a
//! neutral `replayGain` (0 dB, peak 1) and apps do not change the level a second time; with
//! enhancement off the stream is the original and songs carry the file's own tags.
//!
//! Not for: fetching the items (the endpoints do, through the services).

use auralis_library::people::{Playlist, TrackMarks};
use auralis_library::{Album, Artist, Track};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::ids;
use super::response::Node;

/// ISO 8601 (UTC) of Unix seconds.
pub fn iso(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// What `stream` sends by default for this caller.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// The mastered audio (enhancement on): FLAC, at the target loudness.
    pub mastered: bool,
}

/// MIME type of a file suffix.
pub fn content_type(suffix: &str) -> &'static str {
    match suffix {
        "flac" => "audio/flac",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/ogg",
        "m4a" | "mp4" | "aac" | "alac" => "audio/mp4",
        "wav" => "audio/wav",
        "aif" | "aiff" => "audio/aiff",
        _ => "application/octet-stream",
    }
}

fn suffix_of(t: &Track) -> String {
    std::path::Path::new(&t.path)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The cover art id of a track (its own art, or its album's).
fn track_cover(t: &Track) -> Option<String> {
    if t.artwork.is_some() {
        Some(ids::track(t.id))
    } else {
        t.album_id.map(ids::album)
    }
}

/// A song element (rename it with `Node::list("song"|"child"|"entry", ...)`).
pub fn song(t: &Track, marks: Option<&TrackMarks>, d: Delivery) -> Node {
    let suffix = suffix_of(t);
    let duration = t.duration_seconds.round() as i64;
    let bit_rate = if t.duration_seconds > 0.0 {
        Some(((t.signature.size as f64 * 8.0) / t.duration_seconds / 1000.0).round() as i64)
    } else {
        None
    };
    let m = marks.copied().unwrap_or_default();
    let mut n = Node::new("song")
        .attr("id", ids::track(t.id))
        .opt("parent", t.album_id.map(ids::album))
        .attr("isDir", false)
        .attr("title", &t.title)
        .opt("album", t.album.as_ref())
        .opt("artist", t.artist.as_ref())
        .opt("track", t.track_number)
        .opt("year", t.year)
        .opt("genre", t.genre.as_ref())
        .opt("coverArt", track_cover(t))
        .attr("size", t.signature.size)
        .attr("contentType", content_type(&suffix))
        .attr("suffix", suffix.clone())
        .attr("duration", duration)
        .opt("bitRate", bit_rate)
        .opt("bitDepth", t.bit_depth.map(u32::from))
        .opt("samplingRate", t.sample_rate)
        .opt("channelCount", t.channels.map(u32::from))
        .attr("path", &t.path)
        .attr("isVideo", false)
        .attr("playCount", m.play_count)
        .opt("played", m.last_played.map(iso))
        .opt("userRating", m.rating.map(u32::from))
        .opt("discNumber", t.disc_number)
        .attr(
            "created",
            iso(t.signature.mtime_ns.div_euclid(1_000_000_000)),
        )
        .opt("starred", m.starred_at.map(iso))
        .opt("albumId", t.album_id.map(ids::album))
        .opt("artistId", t.artist_id.map(ids::artist))
        .attr("type", "music")
        .attr("mediaType", "song");
    // A `stream` without a format is FLAC from the chunks, mastered or not: say so for every
    // song that is not a FLAC file already, and for every mastered one.
    if d.mastered || suffix != "flac" {
        n = n
            .attr("transcodedContentType", "audio/flac")
            .attr("transcodedSuffix", "flac");
    }
    let rg = &t.replay_gain;
    let gain = if d.mastered {
        Node::new("replayGain")
            .attr("trackGain", 0.0)
            .attr("albumGain", 0.0)
            .attr("trackPeak", 1.0)
            .attr("albumPeak", 1.0)
    } else {
        Node::new("replayGain")
            .opt("trackGain", rg.track_gain_db)
            .opt("albumGain", rg.album_gain_db)
            .opt("trackPeak", rg.track_peak)
            .opt("albumPeak", rg.album_peak)
    };
    n.child(gain)
}

/// An album element (ID3 style; `as_dir` gives the folder-style `child` fields too).
pub fn album(a: &Album, starred: Option<i64>, as_dir: bool) -> Node {
    let mut n = Node::new("album")
        .attr("id", ids::album(a.id))
        .attr("name", &a.title)
        .opt("artist", a.artist.as_ref())
        .opt("artistId", a.artist_id.map(ids::artist))
        .opt("coverArt", a.artwork_track_id.map(|_| ids::album(a.id)))
        .attr("songCount", a.track_count)
        .attr("duration", a.duration_seconds.round() as i64)
        .attr("created", iso(a.created_at.unwrap_or(0)))
        .opt("year", a.year)
        .opt("starred", starred.map(iso));
    if as_dir {
        n = n
            .attr("title", &a.title)
            .attr("isDir", true)
            .opt("parent", a.artist_id.map(ids::artist));
    }
    n
}

pub fn artist(a: &Artist, starred: Option<i64>) -> Node {
    Node::new("artist")
        .attr("id", ids::artist(a.id))
        .attr("name", &a.name)
        .attr("albumCount", a.album_count)
        .opt("starred", starred.map(iso))
}

pub fn playlist(p: &Playlist) -> Node {
    Node::new("playlist")
        .attr("id", ids::playlist(p.id))
        .attr("name", &p.name)
        .attr("comment", &p.comment)
        .attr("owner", &p.owner)
        .attr("public", p.public)
        .attr("songCount", p.track_count)
        .attr("duration", p.duration_seconds.round() as i64)
        .attr("created", iso(p.created_at))
        .attr("changed", iso(p.updated_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
