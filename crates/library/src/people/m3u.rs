//! M3U/M3U8 playlists in and out. Exported paths are relative to the music folder; imported
//! lines may be relative to it or absolute inside it (Windows separators and `file://` URIs
//! accepted). Lines that match no track are reported back, never silently dropped.

use std::path::Path;

use crate::error::Result;
use crate::people::PlaylistDetail;
use crate::Library;

/// An imported playlist and the lines that matched no track.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub playlist: PlaylistDetail,
    pub unmatched: Vec<String>,
}

/// The entries of an M3U text: every line that is not empty and not a `#` directive.
pub fn entries(text: &str) -> Vec<String> {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// An M3U body as text. M3U8 and most M3U files are UTF-8, but older `.m3u` files were written
/// in the system's code page (Windows-1252 for Western players): a body that is not UTF-8 is
/// read as that, so its accented paths still match.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The path of an entry relative to `root`, `/`-separated, if it can be one.
pub fn relative_path(entry: &str, root: Option<&Path>) -> Option<String> {
    let mut p = entry.to_string();
    if let Some(rest) = p.strip_prefix("file://") {
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        p = percent_encoding::percent_decode_str(rest)
            .decode_utf8_lossy()
            .into_owned();
    }
    let p = p.replace('\\', "/");
    if p.starts_with('/') {
        let root = root?;
        let rel = Path::new(&p).strip_prefix(root).ok()?;
        return Some(rel.to_string_lossy().replace('\\', "/"));
    }
    let rel = p.trim_start_matches("./");
    // No way out of the music folder.
    if rel.split('/').any(|seg| seg == "..") || rel.is_empty() {
        return None;
    }
    Some(rel.to_string())
}

impl Library {
    /// Imports an M3U text as a new playlist of `user` named `name`.
    pub fn import_m3u(&self, user: i64, name: &str, text: &str) -> Result<Import> {
        let root = self.music_dir()?;
        let lines = entries(text);
        let rels: Vec<Option<String>> = lines
            .iter()
            .map(|l| relative_path(l, root.as_deref()))
            .collect();
        let lookup: Vec<String> = rels.iter().map(|r| r.clone().unwrap_or_default()).collect();
        let ids = self.track_ids_by_path(&lookup)?;
        let mut track_ids = Vec::new();
        let mut unmatched = Vec::new();
        for ((line, rel), id) in lines.iter().zip(&rels).zip(ids) {
            match (rel, id) {
                (Some(_), Some(id)) => track_ids.push(id),
                _ => unmatched.push(line.clone()),
            }
        }
        let playlist = self.create_playlist(user, name, "", false, &track_ids)?;
        Ok(Import {
            playlist,
            unmatched,
        })
    }
}

/// A playlist as M3U text: `#EXTM3U`, then `#EXTINF:<seconds>,<artist> - <title>` and the path
/// relative to the music folder for each track.
pub fn export(playlist: &PlaylistDetail) -> String {
    let mut out = String::from("#EXTM3U\n");
    out.push_str(&format!(
        "#PLAYLIST:{}\n",
        one_line(&playlist.playlist.name)
    ));
    for t in &playlist.tracks {
        let who = match &t.artist {
            Some(a) => format!("{} - {}", one_line(a), one_line(&t.title)),
            None => one_line(&t.title),
        };
        out.push_str(&format!(
            "#EXTINF:{},{who}\n{}\n",
            t.duration_seconds.round() as i64,
            t.path
        ));
    }
    out
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_utf8_are_read_as_windows_1252() {
        assert_eq!(decode("Café/ñandú.flac".as_bytes()), "Café/ñandú.flac");
        // The same path saved by an old Windows player.
        assert_eq!(
            decode(b"Caf\xe9/\xf1and\xfa \x96 live.flac"),
            "Café/ñandú – live.flac"
        );
    }

    #[test]
    fn entries_skip_directives_bom_and_windows_line_ends() {
        let text =
            "\u{feff}#EXTM3U\r\n#EXTINF:8,A - B\r\nArtist/a.flac\r\n\r\n  b.mp3  \r\n#comment\r\n";
        assert_eq!(entries(text), vec!["Artist/a.flac", "b.mp3"]);
    }

    #[test]
    fn paths_become_relative_to_the_music_folder_or_nothing() {
        let root = Path::new("/music");
        let rel = |e: &str| relative_path(e, Some(root));
        assert_eq!(rel("Artist/a.flac").as_deref(), Some("Artist/a.flac"));
        assert_eq!(rel("./Artist/a.flac").as_deref(), Some("Artist/a.flac"));
        assert_eq!(rel("Artist\\a.flac").as_deref(), Some("Artist/a.flac"));
        assert_eq!(
            rel("/music/Artist/a.flac").as_deref(),
            Some("Artist/a.flac")
        );
        assert_eq!(
            rel("file:///music/My%20Artist/a.flac").as_deref(),
            Some("My Artist/a.flac")
        );
        assert_eq!(
            rel("file:///music/%C3%A9t%C3%A9/%zz%E9").as_deref(),
            Some("été/%zz\u{fffd}")
        );
        assert_eq!(rel("/elsewhere/a.flac"), None);
        assert_eq!(rel("../outside.flac"), None);
        assert_eq!(rel("Artist/../../x.flac"), None);
        assert_eq!(relative_path("/music/a.flac", None), None);
    }
}
