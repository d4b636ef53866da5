//! A simulated listening session over the fake renderer (the server runs the same session over
//! a real fixture track with the real renderer).
mod common;

use auralis_cache::session::{listening_session, mismatches};
use common::*;

#[tokio::test]
async fn listening_session_is_served_from_the_expected_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(6);
    let cache = open(config(dir.path()), &r);
    let steps = listening_session(&cache, A, B, Preset::Adaptive, Preset::Warm)
        .await
        .unwrap();
    assert!(mismatches(&steps).is_empty(), "{:#?}", mismatches(&steps));
    assert!(steps.len() >= 20);
    for s in &steps {
        assert_eq!(s.bytes, r.expected(s.track, s.chunk, s.variant).len());
    }
}
