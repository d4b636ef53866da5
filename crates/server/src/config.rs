//! Server settings: where the music and the data live, where to listen, and the cache's budget.
//!
//! Not for: parsing command lines (the CLI builds this) or reading environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default listening address: loopback only, unless the user says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8765";
/// Default chunk length in seconds.
pub const DEFAULT_CHUNK_SECONDS: f64 = 10.0;
/// Default number of whole tracks kept in tier 2.
pub const DEFAULT_TIER2_TRACKS: usize = 2;
/// Default tier 2 byte budget (1 GiB).
pub const DEFAULT_TIER2_BYTES: u64 = 1 << 30;
/// Default seconds without a position update after which a listener is forgotten.
pub const DEFAULT_LISTENER_IDLE_SECONDS: u64 = 120;
/// Default number of listeners tracked at once.
pub const DEFAULT_MAX_LISTENERS: usize = 64;
/// File name of the SQLite library inside the data folder.
pub const LIBRARY_FILE: &str = "library.sqlite";
/// Folder of the tier 2 cache inside the data folder.
pub const CACHE_DIR: &str = "cache";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The music folder: the only folder audio is read from.
    pub music_dir: PathBuf,
    /// The data folder: the SQLite library and tier 2 live here, nothing is written elsewhere.
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    pub chunk_seconds: f64,
    pub tier2_tracks: usize,
    pub tier2_bytes: u64,
    /// Scan the music folder (then analyse it) as soon as the server starts.
    pub scan_on_start: bool,
    /// A listener with no position update for this long is forgotten (pins released).
    pub listener_idle: Duration,
    /// Listeners tracked at once; a new one replaces the least recently active.
    pub max_listeners: usize,
}

impl ServerConfig {
    pub fn new(music_dir: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            music_dir,
            data_dir,
            addr: DEFAULT_ADDR.parse().expect("default address is valid"),
            chunk_seconds: DEFAULT_CHUNK_SECONDS,
            tier2_tracks: DEFAULT_TIER2_TRACKS,
            tier2_bytes: DEFAULT_TIER2_BYTES,
            scan_on_start: true,
            listener_idle: Duration::from_secs(DEFAULT_LISTENER_IDLE_SECONDS),
            max_listeners: DEFAULT_MAX_LISTENERS,
        }
    }

    pub fn library_path(&self) -> PathBuf {
        self.data_dir.join(LIBRARY_FILE)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join(CACHE_DIR)
    }
}
