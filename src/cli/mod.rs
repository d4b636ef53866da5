//! The `serve` and `scan` subcommands and what they share: default folders, byte sizes, the
//! allocator's arena limit.

pub mod analyze;
pub mod bench;
pub mod bench_cache;
pub mod master;
pub mod scan;
pub mod serve;
pub mod user;

use std::path::PathBuf;

use anyhow::Context;

/// The user's music folder: XDG_MUSIC_DIR (via `dirs`), else ~/Music.
pub fn default_music_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = dirs::audio_dir() {
        return Ok(d);
    }
    dirs::home_dir()
        .map(|h| h.join("Music"))
        .context("cannot find the home folder; pass MUSIC_DIR")
}

/// The user's data folder + `auralis/` (e.g. ~/.local/share/auralis).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("auralis"))
        .context("cannot find the user's data folder; pass --data-dir")
}

/// Parses a byte size: a plain number, or one with a K/M/G/T suffix (powers of 1024, an
/// optional `i` and `B`: `512M`, `1GiB`, `2G`).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected e.g. 1073741824, 512M or 1G"))?;
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit.trim_end_matches('B').trim_end_matches('I');
    let mult: u64 = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("invalid size unit in {s:?}: use K, M, G or T")),
    };
    Ok((value * mult as f64) as u64)
}

/// Keeps the resident memory of a long-running server flat under glibc malloc:
/// - every thread that allocates gets its own arena (up to 8 per core) and each keeps freed
///   memory: two arenas are plenty;
/// - blocks above the mmap threshold go back to the system when freed, but glibc raises that
///   threshold (up to 32 MiB) each time such a block is freed, after which decode/render
///   buffers of a few MiB are carved from the heap and stay resident. A fixed threshold keeps
///   them mmapped. It sits at 256 KiB, below one encoded chunk (about 0.9 MiB for 10 s of CD
///   audio), so the chunks tier 1 drops and the answers already sent go straight back to the
///   system instead of leaving holes in an arena.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's tuning parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("").is_err());
    }
}
