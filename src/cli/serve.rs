//! `auralis serve [MUSIC_DIR]`: the music server and web player.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use auralis_server::{Server, ServerConfig};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Music folder [default: the user's music folder (XDG_MUSIC_DIR), else ~/Music]
    pub music_dir: Option<PathBuf>,
    /// Address to listen on (loopback unless told otherwise)
    #[arg(long, default_value = auralis_server::config::DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Data folder for the library database and the tier 2 cache
    /// [default: the user's data folder + auralis/]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Chunk length in seconds
    #[arg(long, default_value_t = auralis_server::config::DEFAULT_CHUNK_SECONDS)]
    pub chunk_seconds: f64,
    /// Whole tracks kept in tier 2 (disk)
    #[arg(long, default_value_t = auralis_server::config::DEFAULT_TIER2_TRACKS)]
    pub tier2_tracks: usize,
    /// Byte budget of tier 2, e.g. 1073741824, 512M, 1G
    #[arg(long, default_value = "1G", value_parser = super::parse_bytes)]
    pub tier2_bytes: u64,
    /// Do not scan the music folder at start
    #[arg(long)]
    pub no_scan: bool,
    /// Seconds without a position update after which a listener (a player tab or app) is
    /// forgotten and its pinned track released
    #[arg(long, default_value_t = auralis_server::config::DEFAULT_LISTENER_IDLE_SECONDS)]
    pub listener_idle_seconds: u64,
    /// Listeners tracked at once; a new one replaces the least recently active
    #[arg(long, default_value_t = auralis_server::config::DEFAULT_MAX_LISTENERS)]
    pub max_listeners: usize,
    /// A host name the server is reached by (repeatable), e.g. the name a reverse proxy
    /// forwards or the machine's name on the home network. localhost, loopback and the bound
    /// address are always allowed; requests for any other Host get 421
    #[arg(long = "public-host", value_name = "NAME")]
    pub public_hosts: Vec<String>,
    /// The address of a reverse proxy whose X-Forwarded-Proto/X-Forwarded-For are believed
    /// (repeatable): sign-in cookies get `Secure` behind TLS, throttling sees the real client
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    super::limit_malloc_arenas();
    // Logs to stderr, `RUST_LOG` to filter (default: info). Harmless if already set up.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    if !(args.chunk_seconds.is_finite() && args.chunk_seconds >= 0.1) {
        anyhow::bail!("--chunk-seconds must be at least 0.1");
    }
    let music_dir = match args.music_dir {
        Some(d) => d,
        None => super::default_music_dir()?,
    };
    let music_dir = music_dir
        .canonicalize()
        .with_context(|| format!("music folder {}", music_dir.display()))?;
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => super::default_data_dir()?,
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    let data_dir = data_dir
        .canonicalize()
        .with_context(|| format!("data folder {}", data_dir.display()))?;
    let mut config = ServerConfig::new(music_dir, data_dir);
    config.addr = args.addr;
    config.chunk_seconds = args.chunk_seconds;
    config.tier2_tracks = args.tier2_tracks;
    config.tier2_bytes = args.tier2_bytes;
    config.scan_on_start = !args.no_scan;
    config.listener_idle = std::time::Duration::from_secs(args.listener_idle_seconds.max(1));
    config.max_listeners = args.max_listeners.max(1);
    config.public_hosts = args.public_hosts;
    config.trusted_proxies = args.trusted_proxies;

    // Two async workers are plenty for a personal server and keep memory small; audio work runs
    // on the cache's own threads, SQLite on a few blocking threads.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("auralis-http")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let music = config.music_dir.clone();
        let data = config.data_dir.clone();
        let server = Server::start(config).await?;
        tracing::info!(
            music = %music.display(),
            data = %data.display(),
            "Auralis is listening: open http://{}/ in a browser",
            server.addr()
        );
        if server.app().auth.setup_required().await.unwrap_or(false) {
            tracing::info!(
                "no account yet: the page asks for the admin account (or run `auralis user add \
                 NAME --admin --data-dir {}`)",
                data.display()
            );
        }
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        tracing::info!("stopping");
        server.shutdown().await;
        Ok(())
    })
}
