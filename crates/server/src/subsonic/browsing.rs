//! Browsing: `getMusicFolders`, `getIndexes` and `getMusicDirectory` (folder style, for DSub
//! and other older apps), `getArtists`, `getArtist`, `getAlbum`, `getSong`, `getGenres`.
//!
//! Folder-style browsing walks the music folder's real folders (ids `dr-…`, named by a hash
//! of the relative path, so no path is ever in a URL); `getMusicDirectory` also opens the
//! album and artist ids that album lists hand out, as apps expect.

use std::collections::{BTreeMap, BTreeSet};

use super::ids::{self, Id};
use super::response::Node;
use super::{model, Answer, Ctx, Params, Reply, SubsonicError};

/// Articles left out when artists are sorted and indexed ("The Beatles" under B).
pub const IGNORED_ARTICLES: &str = "The El La Los Las Le Les Die Das Der";

/// The one music folder's id.
const FOLDER_ID: i64 = 0;

pub async fn music_folders(_: &Ctx, _: &Params) -> Answer {
    Ok(Reply::one(
        Node::new("musicFolders").list(
            "musicFolder",
            [Node::new("musicFolder")
                .attr("id", FOLDER_ID)
                .attr("name", "Music")],
        ),
    ))
}

/// A name without a leading ignored article, for sorting and indexing.
fn sort_name(name: &str) -> String {
    let trimmed = name.trim();
    for article in IGNORED_ARTICLES.split(' ') {
        if let Some(rest) = trimmed.strip_prefix(article) {
            if let Some(rest) = rest.strip_prefix(' ') {
                return rest.trim_start().to_lowercase();
            }
        }
    }
    trimmed.to_lowercase()
}

/// The index letter of a name: its first letter, upper case; `#` for anything else.
fn index_of(name: &str) -> String {
    match sort_name(name).chars().next() {
        Some(c) if c.is_alphabetic() => c.to_uppercase().collect(),
        _ => "#".into(),
    }
}

/// Groups `(name, node)` pairs under their index letters, letters in order, `#` last.
fn indexed(items: Vec<(String, Node)>) -> Vec<Node> {
    let mut groups: BTreeMap<String, Vec<(String, Node)>> = BTreeMap::new();
    for (name, node) in items {
        groups
            .entry(index_of(&name))
            .or_default()
            .push((name, node));
    }
    let mut keys: Vec<String> = groups.keys().cloned().collect();
    keys.sort_by_key(|k| (k == "#", k.clone()));
    keys.into_iter()
        .filter_map(|k| {
            let mut items = groups.remove(&k)?;
            items.sort_by_key(|(name, _)| sort_name(name));
            Some(
                Node::new("index")
                    .attr("name", k)
                    .list("artist", items.into_iter().map(|(_, n)| n)),
            )
        })
        .collect()
}

fn now_ms() -> i64 {
    auralis_library::accounts::unix_now().saturating_mul(1000)
}

/// Every folder of the music folder that holds tracks, with its ancestors.
async fn folder_tree(ctx: &Ctx) -> Result<BTreeSet<String>, SubsonicError> {
    let mut all = BTreeSet::new();
    for dir in ctx.app.library.folders().await? {
        let mut d = dir.trim_matches('/').to_string();
        loop {
            all.insert(d.clone());
            match d.rfind('/') {
                Some(i) => d.truncate(i),
                None if !d.is_empty() => d.clear(),
                None => break,
            }
        }
    }
    Ok(all)
}

fn parent_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

fn base_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn folder_node(rel: &str) -> Node {
    Node::new("child")
        .attr("id", ids::dir(rel))
        .attr("parent", ids::dir(parent_of(rel)))
        .attr("isDir", true)
        .attr("title", base_name(rel))
        .attr("name", base_name(rel))
}

/// The top folders, as "artists" in indexes; tracks right in the music folder as children.
pub async fn indexes(ctx: &Ctx, p: &Params) -> Answer {
    let last_modified = now_ms();
    if let Some(since) = p.int("ifModifiedSince")? {
        if since >= last_modified {
            return Ok(Reply::one(
                Node::new("indexes")
                    .attr("lastModified", last_modified)
                    .attr("ignoredArticles", IGNORED_ARTICLES),
            ));
        }
    }
    let tree = folder_tree(ctx).await?;
    let top: Vec<(String, Node)> = tree
        .iter()
        .filter(|d| !d.is_empty() && !d.contains('/'))
        .map(|d| {
            (
                d.clone(),
                Node::new("artist")
                    .attr("id", ids::dir(d))
                    .attr("name", d.as_str()),
            )
        })
        .collect();
    let root_tracks = ctx.app.library.tracks_in_folder(String::new()).await?;
    let songs = ctx.songs("child", &root_tracks).await?;
    Ok(Reply::one(
        Node::new("indexes")
            .attr("lastModified", last_modified)
            .attr("ignoredArticles", IGNORED_ARTICLES)
            .list("index", indexed(top))
            .list("child", songs),
    ))
}

/// A folder's subfolders and tracks; an artist's albums; an album's tracks.
pub async fn music_directory(ctx: &Ctx, p: &Params) -> Answer {
    let id = p.required("id")?;
    match Id::parse(id)? {
        Id::Dir(hash) => {
            let tree = folder_tree(ctx).await?;
            let rel = match hash {
                None => String::new(),
                Some(h) => tree
                    .iter()
                    .find(|d| !d.is_empty() && ids::dir_hash(d) == h)
                    .cloned()
                    .ok_or_else(|| SubsonicError::not_found("Directory not found"))?,
            };
            let subfolders: Vec<Node> = tree
                .iter()
                .filter(|d| !d.is_empty() && parent_of(d) == rel && **d != rel)
                .map(|d| folder_node(d))
                .collect();
            let tracks = ctx.app.library.tracks_in_folder(rel.clone()).await?;
            let mut dir = Node::new("directory").attr("id", ids::dir(&rel)).attr(
                "name",
                if rel.is_empty() {
                    "Music"
                } else {
                    base_name(&rel)
                },
            );
            if !rel.is_empty() {
                dir = dir.attr("parent", ids::dir(parent_of(&rel)));
            }
            let mut children = subfolders;
            children.extend(ctx.songs("child", &tracks).await?);
            Ok(Reply::one(dir.list("child", children)))
        }
        Id::Artist(a) => {
            let artist = ctx.app.library.artist(a).await?;
            let albums = ctx.app.library.albums_of_album_artist(a).await?;
            Ok(Reply::one(
                Node::new("directory")
                    .attr("id", ids::artist(a))
                    .attr("name", &artist.name)
                    .list("child", ctx.albums("child", &albums, true).await?),
            ))
        }
        Id::Album(a) => {
            let detail = ctx.app.library.album(a).await?;
            let mut dir = Node::new("directory")
                .attr("id", ids::album(a))
                .attr("name", &detail.album.title);
            if let Some(ar) = detail.album.artist_id {
                dir = dir.attr("parent", ids::artist(ar));
            }
            Ok(Reply::one(
                dir.list("child", ctx.songs("child", &detail.tracks).await?),
            ))
        }
        _ => Err(SubsonicError::not_found("Directory not found")),
    }
}

/// ID3 browsing: every album artist under its index letter.
pub async fn artists(ctx: &Ctx, _: &Params) -> Answer {
    let artists: Vec<_> = ctx
        .app
        .library
        .artists()
        .await?
        .into_iter()
        .filter(|a| a.album_count > 0)
        .collect();
    let nodes = ctx.artists(&artists).await?;
    let items = artists.iter().map(|a| a.name.clone()).zip(nodes).collect();
    Ok(Reply::one(
        Node::new("artists")
            .attr("ignoredArticles", IGNORED_ARTICLES)
            .list("index", indexed(items)),
    ))
}

pub async fn artist(ctx: &Ctx, p: &Params) -> Answer {
    let id = match Id::parse(p.required("id")?)? {
        Id::Artist(a) => a,
        _ => return Err(SubsonicError::not_found("Artist not found")),
    };
    let artist = ctx.app.library.artist(id).await?;
    let albums = ctx.app.library.albums_of_album_artist(id).await?;
    let node = ctx
        .artists(std::slice::from_ref(&artist))
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| model::artist(&artist, None));
    Ok(Reply::one(
        node.attr("albumCount", albums.len())
            .list("album", ctx.albums("album", &albums, false).await?),
    ))
}

pub async fn album(ctx: &Ctx, p: &Params) -> Answer {
    let id = match Id::parse(p.required("id")?)? {
        Id::Album(a) => a,
        _ => return Err(SubsonicError::not_found("Album not found")),
    };
    let detail = ctx.app.library.album(id).await?;
    let node = ctx
        .albums("album", std::slice::from_ref(&detail.album), false)
        .await?
        .into_iter()
        .next()
        .unwrap_or_else(|| model::album(&detail.album, None, false));
    Ok(Reply::one(
        node.list("song", ctx.songs("song", &detail.tracks).await?),
    ))
}

pub async fn song(ctx: &Ctx, p: &Params) -> Answer {
    let id = ids::Id::track(p.required("id")?)?;
    let track = ctx.app.library.track(id).await?;
    let node = ctx
        .songs("song", std::slice::from_ref(&track))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| SubsonicError::not_found("Song not found"))?;
    Ok(Reply::one(node))
}

pub async fn genres(ctx: &Ctx, _: &Params) -> Answer {
    let genres = ctx.app.library.genres().await?;
    Ok(Reply::one(Node::new("genres").list(
        "genre",
        genres.into_iter().map(|g| {
            Node::new("genre")
                .attr("songCount", g.song_count)
                .attr("albumCount", g.album_count)
                .text(g.name)
        }),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_ignored_for_the_index() {
        assert_eq!(index_of("The Beatles"), "B");
        assert_eq!(index_of("Theremin Trio"), "T");
        assert_eq!(index_of("2 Unlimited"), "#");
        assert_eq!(index_of("émilie"), "É");
        let groups = indexed(vec![
            ("Zed".into(), Node::new("artist").attr("name", "Zed")),
            (
                "The Abbas".into(),
                Node::new("artist").attr("name", "The Abbas"),
            ),
            ("42".into(), Node::new("artist").attr("name", "42")),
        ]);
        let names: Vec<_> = groups
            .iter()
            .map(|g| {
                super::super::response::Envelope::ok(Node::default().child(g.clone())).to_json()
            })
            .collect();
        assert!(names[0].contains("\"name\":\"A\""), "{names:?}");
        assert!(names[2].contains("\"name\":\"#\""), "{names:?}");
    }
}
