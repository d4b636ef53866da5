//! One module per API area; each handler extracts, calls the app, maps the error.

pub mod account;
pub mod cache;
pub mod enhancement;
pub mod events;
pub mod favorites;
pub mod history;
pub mod library;
pub mod player;
pub mod playlists;
pub mod stream;
pub mod tracks;
pub mod users;
pub mod web;
