//! Tier 2 on disk: stale keys, damaged files, restarts.
mod common;

use auralis_cache::{Tier, Variant};
use common::*;

#[tokio::test]
async fn a_changed_file_is_never_served_stale() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let old = r.expected(A, 0, Variant::Original);
    r.modify_file(A);
    let new = r.expected(A, 0, Variant::Original);
    assert_ne!(old, new);
    // Not the playing track: described afresh on request.
    cache
        .update_position(&me(), B, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    let (b, t) = cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    assert_eq!(
        (t, b.to_vec()),
        (Tier::Miss, r.expected(A, 1, Variant::Original))
    );
    // The playing track: re-described by update_position, tier 1 is rebuilt.
    cache
        .update_position(&me(), A, 0, Preset::Adaptive, None)
        .await
        .unwrap();
    cache.wait_idle().await;
    let (b, t) = cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Tier1, &new[..]));
    // And after a restart.
    drop(cache);
    r.modify_file(A);
    let cache = open(config(dir.path()), &r);
    let (b, t) = cache.get_chunk(A, 2, adaptive()).await.unwrap();
    assert_eq!((t, b.to_vec()), (Tier::Miss, r.expected(A, 2, adaptive())));
}

#[tokio::test]
async fn a_new_dsp_version_is_never_served_old_audio() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(2);
    let cache = open(config(dir.path()), &r);
    cache.get_chunk(A, 0, adaptive()).await.unwrap();
    drop(cache);
    r.set_dsp_version(2);
    let cache = open(config(dir.path()), &r);
    let (b, t) = cache.get_chunk(A, 0, adaptive()).await.unwrap();
    assert_eq!((t, b.to_vec()), (Tier::Miss, r.expected(A, 0, adaptive())));
    assert_eq!(r.render_count(A, 0, adaptive()), 2);
}

async fn damage_and_check(damage: impl Fn(&std::path::Path)) {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(3);
    let cache = open(config(dir.path()), &r);
    let want = r.expected(A, 1, Variant::Original);
    cache.get_chunk(A, 0, Variant::Original).await.unwrap();
    cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    let path = cache.chunk_path(A, 1, Variant::Original).await.unwrap();
    damage(&path);
    let (b, t) = cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Miss, &want[..]));
    assert_eq!(cache.stats().damaged_files, 1);
    assert_eq!(r.render_count(A, 1, Variant::Original), 2);
    // Rebuilt on disk, valid again.
    let (b, t) = cache.get_chunk(A, 1, Variant::Original).await.unwrap();
    assert_eq!((t, &b[..]), (Tier::Tier2, &want[..]));
}

#[tokio::test]
async fn a_truncated_file_is_discarded_and_rebuilt() {
    damage_and_check(|p| {
        let len = std::fs::metadata(p).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_flipped_byte_is_discarded_and_rebuilt() {
    damage_and_check(|p| {
        let mut data = std::fs::read(p).unwrap();
        let i = data.len() / 2;
        data[i] ^= 0x40;
        std::fs::write(p, data).unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_empty_file_is_discarded_and_rebuilt() {
    damage_and_check(|p| std::fs::write(p, b"").unwrap()).await;
}

#[tokio::test]
async fn a_valid_file_under_the_wrong_key_is_not_served() {
    damage_and_check(|p| {
        // A well-formed chunk file of another chunk (checksum fine, key says chunk 0).
        std::fs::copy(p.with_file_name("0.chunk"), p).unwrap();
    })
    .await;
}

#[tokio::test]
async fn tier2_survives_a_restart_and_leftovers_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(4);
    {
        let cache = open(config(dir.path()), &r);
        cache
            .update_position(&me(), A, 0, Preset::Adaptive, None)
            .await
            .unwrap();
        cache.wait_idle().await;
    }
    // A server killed mid-write leaves temp files behind, and maybe a half-deleted track.
    std::fs::write(dir.path().join("tmp/123-4.tmp"), b"partial").unwrap();
    std::fs::create_dir_all(dir.path().join("trash/9-9/original")).unwrap();
    let stray = dir.path().join("tracks").join(
        std::fs::read_dir(dir.path().join("tracks"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .file_name(),
    );
    std::fs::write(stray.join("original/7.chunk.tmp"), b"x").unwrap();

    let r2 = renderer(4);
    let cache = open(config(dir.path()), &r2);
    let s = cache.stats();
    assert_eq!((s.tier2_chunks, s.tracks_cached), (8, 1));
    assert_eq!(s.tier2_bytes, disk_bytes(&dir.path().join("tracks")));
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("trash")).unwrap().count(),
        0
    );
    assert!(!stray.join("original/7.chunk.tmp").exists());
    for c in 0..4 {
        let (b, t) = cache.get_chunk(A, c, adaptive()).await.unwrap();
        assert_eq!(
            (t, b.to_vec()),
            (Tier::Tier2, r2.expected(A, c, adaptive()))
        );
    }
    assert!(cache
        .is_track_fully_cached(A, Preset::Adaptive)
        .await
        .unwrap());
    assert_eq!(r2.total_renders(), 0);
}

#[tokio::test]
async fn a_restart_with_a_smaller_budget_evicts_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(2);
    {
        let mut c = config(dir.path());
        c.max_tracks = 3;
        let cache = open(c, &r);
        fill(&cache, A, 2).await;
        fill(&cache, B, 2).await;
        fill(&cache, C, 2).await;
    }
    let mut c = config(dir.path());
    c.max_tracks = 1;
    let cache = open(c, &r);
    assert_eq!(cache.stats().tracks_cached, 1);
}

/// Drops this thread's power to read what file permissions forbid (CAP_DAC_OVERRIDE,
/// CAP_DAC_READ_SEARCH), so a test running as root meets permissions as a user does. Linux
/// capabilities are per thread: the other tests keep theirs.
fn obey_file_permissions_on_this_thread() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    const DAC: u32 = (1 << 1) | (1 << 2);
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with the v3 header and two data words, on this thread.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !DAC;
        assert_eq!(libc::syscall(libc::SYS_capset, &header, data.as_ptr()), 0);
    }
}

#[test]
fn an_unreadable_cache_folder_is_skipped_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let r = renderer(2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cache = open(config(dir.path()), &r);
        fill(&cache, A, 2).await;
    });
    // A second track folder that cannot be listed.
    let locked = dir.path().join("tracks/00000000000000ab");
    std::fs::create_dir_all(locked.join("original")).unwrap();
    std::fs::write(locked.join("original/0.chunk"), b"x").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    obey_file_permissions_on_this_thread();
    assert!(
        std::fs::read_dir(&locked).is_err(),
        "the folder must be unreadable for the test to mean anything"
    );
    // Start-up goes on without it; the readable track is still served from disk.
    let cache = open(config(dir.path()), &r);
    let s = cache.stats();
    assert_eq!((s.tracks_cached, s.tier2_chunks), (1, 4));
    let tier = rt.block_on(async { cache.get_chunk(A, 1, adaptive()).await.unwrap().1 });
    assert_eq!(tier, Tier::Tier2);
    drop(cache);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}
