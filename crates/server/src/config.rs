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
/// Default header-read timeout: a request's headers must arrive within it (also the idle
/// keep-alive limit).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time limit of an API request (event streams and chunks excepted).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default caps on open event streams, per user and in all.
/// Subsonic streams one user may have open: a few devices, each with a stream and a prefetch.
pub const DEFAULT_MEDIA_STREAMS_PER_USER: usize = 8;
/// Subsonic streams open in all.
pub const DEFAULT_MEDIA_STREAMS: usize = 64;
pub const DEFAULT_EVENT_STREAMS_PER_USER: usize = 16;
pub const DEFAULT_EVENT_STREAMS: usize = 256;
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
    /// Host names the server answers to besides localhost, the loopback addresses and the bound
    /// address (e.g. the name a reverse proxy forwards). Other `Host`s get 421.
    pub public_hosts: Vec<String>,
    /// Proxies whose `X-Forwarded-Proto`/`X-Forwarded-For` are believed (the client address
    /// for throttling, `Secure` cookies behind TLS).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    pub event_streams_per_user: usize,
    pub event_streams: usize,
    /// Caps on Subsonic media streams open at once (each holds encoder state and a few
    /// chunks): per user, and in all.
    pub media_streams_per_user: usize,
    pub media_streams: usize,
    /// The argon2 cost of new password hashes; `None` keeps the library's default. Test suites
    /// lower it.
    pub password_policy: Option<auralis_library::PasswordPolicy>,
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
            public_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            event_streams_per_user: DEFAULT_EVENT_STREAMS_PER_USER,
            event_streams: DEFAULT_EVENT_STREAMS,
            media_streams_per_user: DEFAULT_MEDIA_STREAMS_PER_USER,
            media_streams: DEFAULT_MEDIA_STREAMS,
            password_policy: None,
        }
    }

    pub fn library_path(&self) -> PathBuf {
        self.data_dir.join(LIBRARY_FILE)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join(CACHE_DIR)
    }

    /// The key file of the encrypted password copies (Subsonic token auth).
    pub fn secret_key_path(&self) -> PathBuf {
        self.data_dir
            .join(auralis_library::accounts::secret_box::SECRET_KEY_FILE)
    }
}
