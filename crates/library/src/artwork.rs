//! Artwork: which folder images count as a cover, and reading the bytes on request (from the
//! track file or the folder image). Nothing here copies images into the database.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use lofty::config::ParseOptions;
use lofty::file::FileType;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::prelude::*;
use lofty::probe::Probe;

use crate::error::{LibraryError, Result};

const COVER_STEMS: &[&str] = &[
    "cover",
    "folder",
    "front",
    "album",
    "albumart",
    "albumartsmall",
];
const COVER_EXTS: &[&str] = &["jpg", "jpeg", "png", "webp", "gif", "bmp"];

/// Rank of a file name as a folder cover (lower is better), `None` when it is not one.
/// Case-insensitive: `Cover.JPG` counts.
pub(crate) fn cover_rank(file_name: &str) -> Option<usize> {
    let (stem, ext) = file_name.rsplit_once('.')?;
    let stem_rank = COVER_STEMS
        .iter()
        .position(|s| s.eq_ignore_ascii_case(stem))?;
    let ext_rank = COVER_EXTS
        .iter()
        .position(|e| e.eq_ignore_ascii_case(ext))?;
    Some(stem_rank * COVER_EXTS.len() + ext_rank)
}

/// The image's MIME type from its first bytes, else from the file extension.
pub(crate) fn sniff_mime(bytes: &[u8], name: Option<&Path>) -> String {
    let by_magic = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF8") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"BM") {
        Some("image/bmp")
    } else {
        None
    };
    if let Some(mime) = by_magic {
        return mime.to_string();
    }
    let ext = name
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("bmp") => "image/bmp",
        _ => "application/octet-stream",
    }
    .to_string()
}

/// The embedded picture of a track file: front cover if there is one, else the first picture.
pub(crate) fn embedded_picture(path: &Path) -> Result<Option<(Vec<u8>, String)>> {
    let file = File::open(path).map_err(|e| LibraryError::io(path, e))?;
    let mut probe = Probe::new(BufReader::new(file)).options(ParseOptions::new());
    if let Some(file_type) = FileType::from_path(path) {
        probe = probe.set_file_type(file_type);
    }
    let tagged = probe
        .guess_file_type()
        .map_err(|e| LibraryError::io(path, e))?
        .read()
        .map_err(|source| LibraryError::Tags {
            path: path.to_path_buf(),
            source,
        })?;
    let pictures: Vec<&Picture> = tagged.tags().iter().flat_map(|t| t.pictures()).collect();
    let chosen = pictures
        .iter()
        .find(|p| p.pic_type() == PictureType::CoverFront)
        .or_else(|| pictures.first());
    Ok(chosen.map(|picture| {
        let data = picture.data().to_vec();
        let mime = match picture.mime_type() {
            Some(MimeType::Unknown(_)) | None => sniff_mime(&data, None),
            Some(mime) => mime.as_str().to_string(),
        };
        (data, mime)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_names_are_ranked_case_insensitively() {
        assert_eq!(cover_rank("cover.jpg"), Some(0));
        assert!(cover_rank("Cover.JPG").is_some());
        assert!(cover_rank("FOLDER.png").is_some());
        assert!(cover_rank("cover.jpg") < cover_rank("folder.jpg"));
        assert!(cover_rank("cover.jpg") < cover_rank("cover.png"));
        assert_eq!(cover_rank("back.jpg"), None);
        assert_eq!(cover_rank("cover.txt"), None);
        assert_eq!(cover_rank("cover"), None);
    }

    #[test]
    fn mime_from_magic_then_extension() {
        assert_eq!(sniff_mime(&[0xFF, 0xD8, 0xFF, 0xE0], None), "image/jpeg");
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n....", None), "image/png");
        assert_eq!(sniff_mime(b"????", Some(Path::new("a.webp"))), "image/webp");
        assert_eq!(sniff_mime(b"????", None), "application/octet-stream");
    }
}
