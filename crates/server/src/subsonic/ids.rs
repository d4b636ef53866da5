//! Subsonic ids are strings; Auralis prefixes them by kind so that `getCoverArt`, `star` and
//! the like can take any of them: `tr-12` (a track), `al-3` (an album), `ar-7` (an artist),
//! `pl-2` (a playlist), `dr-<hex>` (a folder, named by a hash of its path relative to the
//! music folder; `dr-root` is the music folder itself).
//!
//! Not for: resolving folder ids to paths (`browsing` does, from the library's folders).

use super::SubsonicError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Track(i64),
    Album(i64),
    Artist(i64),
    Playlist(i64),
    /// A folder: the xxh3 of its relative path; `None` for the music folder.
    Dir(Option<u64>),
}

impl Id {
    pub fn parse(s: &str) -> Result<Id, SubsonicError> {
        let bad = || SubsonicError::not_found(format!("no item with id {s:?}"));
        let num = |rest: &str| rest.parse::<i64>().map_err(|_| bad());
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tr-") {
            return Ok(Id::Track(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix("al-") {
            return Ok(Id::Album(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix("ar-") {
            return Ok(Id::Artist(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix("pl-") {
            return Ok(Id::Playlist(num(rest)?));
        }
        if s == "dr-root" {
            return Ok(Id::Dir(None));
        }
        if let Some(rest) = s.strip_prefix("dr-") {
            return u64::from_str_radix(rest, 16)
                .map(|h| Id::Dir(Some(h)))
                .map_err(|_| bad());
        }
        // Bare numbers are tracks (some apps strip what they do not understand).
        s.parse::<i64>().map(Id::Track).map_err(|_| bad())
    }

    pub fn track(s: &str) -> Result<i64, SubsonicError> {
        match Id::parse(s)? {
            Id::Track(t) => Ok(t),
            _ => Err(SubsonicError::not_found(format!("{s} is not a song"))),
        }
    }
}

pub fn track(id: i64) -> String {
    format!("tr-{id}")
}
pub fn album(id: i64) -> String {
    format!("al-{id}")
}
pub fn artist(id: i64) -> String {
    format!("ar-{id}")
}
pub fn playlist(id: i64) -> String {
    format!("pl-{id}")
}

/// The id of a folder given relative to the music folder.
pub fn dir(rel: &str) -> String {
    if rel.is_empty() {
        "dr-root".into()
    } else {
        format!("dr-{:016x}", dir_hash(rel))
    }
}

pub fn dir_hash(rel: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(rel.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_by_kind() {
        assert_eq!(Id::parse(&track(12)).unwrap(), Id::Track(12));
        assert_eq!(Id::parse(&album(3)).unwrap(), Id::Album(3));
        assert_eq!(Id::parse(&artist(7)).unwrap(), Id::Artist(7));
        assert_eq!(Id::parse(&playlist(2)).unwrap(), Id::Playlist(2));
        assert_eq!(Id::parse("dr-root").unwrap(), Id::Dir(None));
        assert_eq!(
            Id::parse(&dir("A/B")).unwrap(),
            Id::Dir(Some(dir_hash("A/B")))
        );
        assert_eq!(Id::parse("42").unwrap(), Id::Track(42));
        for bad in ["tr-x", "zz-1", "", "al-", "dr-xyz"] {
            assert_eq!(Id::parse(bad).unwrap_err().code, 70, "{bad}");
        }
        assert!(Id::track("al-1").is_err());
    }
}
