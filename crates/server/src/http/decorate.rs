//! Library items as the caller sees them: each track with the caller's favourite flag and
//! plays, each album and artist with the caller's favourite flag. One query per kind and page,
//! never one per item.

use auralis_library::people::ItemKind;
use auralis_library::{Album, Artist, Track};

use super::dto;
use crate::app::{PeopleService, Result};

pub async fn tracks(
    people: &PeopleService,
    user: i64,
    tracks: &[Track],
) -> Result<Vec<dto::Track>> {
    let marks = people
        .track_marks(user, tracks.iter().map(|t| t.id).collect())
        .await?;
    Ok(tracks
        .iter()
        .map(|t| dto::Track::from(t).marked(marks.get(&t.id)))
        .collect())
}

pub async fn track(people: &PeopleService, user: i64, t: &Track) -> Result<dto::Track> {
    Ok(tracks(people, user, std::slice::from_ref(t))
        .await?
        .remove(0))
}

pub async fn albums(
    people: &PeopleService,
    user: i64,
    albums: &[Album],
) -> Result<Vec<dto::Album>> {
    let favorites = people
        .favorite_ids(user, ItemKind::Album, albums.iter().map(|a| a.id).collect())
        .await?;
    Ok(albums
        .iter()
        .map(|a| dto::Album {
            favorite: favorites.contains(&a.id),
            ..a.into()
        })
        .collect())
}

pub async fn artists(
    people: &PeopleService,
    user: i64,
    artists: &[Artist],
) -> Result<Vec<dto::Artist>> {
    let favorites = people
        .favorite_ids(
            user,
            ItemKind::Artist,
            artists.iter().map(|a| a.id).collect(),
        )
        .await?;
    Ok(artists
        .iter()
        .map(|a| dto::Artist {
            favorite: favorites.contains(&a.id),
            ..a.into()
        })
        .collect())
}
