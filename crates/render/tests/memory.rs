//! `master_file` streams: a counting global allocator records the peak heap in use while a
//! 3-minute track is analysed and mastered, and the test fails if it ever comes near the
//! size of the decoded track (the whole file held once would be 63.5 MB of f32 frames).
//! No timing: only bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use auralis_encode::{BitDepth, FlacWriter};
use auralis_master::Preset;
use auralis_render::master_file;
use auralis_source::Source;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grow(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn master_file_never_holds_the_track() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.flac");
    let rate = 44_100u32;
    let minutes = 3;
    let total = minutes * 60 * rate as usize;
    // Written piece by piece, so making the input does not hold it either.
    let music = Source::open(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/drascula-track2-20s.flac"),
    )
    .unwrap()
    .read_all()
    .unwrap();
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        let mut w = FlacWriter::new(file, rate, BitDepth::Sixteen, 0, false).unwrap();
        let mut n = 0;
        while n < total {
            let take = music.len().min(total - n);
            w.write(&music[..take]).unwrap();
            n += take;
        }
        w.finish().unwrap();
    }
    drop(music);

    let track_bytes = total * std::mem::size_of::<[f32; 2]>();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = dir.path().join("out.flac");
    let summary = master_file(&input, &out, Preset::Adaptive, 1.0, |_| {}).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    eprintln!(
        "peak heap during master_file: {:.1} MiB for a {:.1} MiB track",
        peak as f64 / 1048576.0,
        track_bytes as f64 / 1048576.0
    );
    assert_eq!(summary.frames, total as u64);
    assert!(
        peak < track_bytes / 3 && peak < 24 << 20,
        "master_file held {peak} bytes at once; the decoded track is {track_bytes} bytes"
    );
}
