//! `search2` and `search3`: artists, albums and songs matching a query, each paged on its own.
//! An empty query (or `""`, as some apps send) matches everything: apps page through it to
//! sync a whole library.

use crate::app::library::SearchPages;

use super::response::Node;
use super::{Answer, Ctx, Params, Reply, SubsonicError};

/// Most items of one kind per answer.
const MAX_PAGE: usize = 500;

/// The query as typed: surrounding quotes and a trailing wildcard dropped (apps send `""` and
/// `term*`); every word must match.
fn clean_query(q: &str) -> String {
    q.trim()
        .trim_matches('"')
        .trim_end_matches('*')
        .trim()
        .to_string()
}

fn page(p: &Params, kind: &str) -> Result<(usize, usize), SubsonicError> {
    Ok((
        p.count(&format!("{kind}Count"), 20, MAX_PAGE)?,
        p.count(&format!("{kind}Offset"), 0, usize::MAX)?,
    ))
}

pub async fn search(ctx: &Ctx, p: &Params, id3: bool) -> Answer {
    let query = clean_query(p.get("query").unwrap_or(""));
    let pages = SearchPages {
        artists: page(p, "artist")?,
        albums: page(p, "album")?,
        tracks: page(p, "song")?,
    };
    let found = ctx.app.library.search(query, pages).await?;
    let name = if id3 {
        "searchResult3"
    } else {
        "searchResult2"
    };
    Ok(Reply::one(
        Node::new(name)
            .list("artist", ctx.artists(&found.artists).await?)
            .list("album", ctx.albums("album", &found.albums, !id3).await?)
            .list("song", ctx.songs("song", &found.tracks).await?),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_lose_quotes_and_wildcards() {
        assert_eq!(super::clean_query("\"\""), "");
        assert_eq!(super::clean_query(" beat* "), "beat");
        assert_eq!(super::clean_query("abba"), "abba");
    }
}
