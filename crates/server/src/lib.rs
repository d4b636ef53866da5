//! HTTP API, live events and the embedded web player.
//!
//! Two halves, as in Polaris: [`app`] is the domain side (library, cache, renderer, scanner,
//! enhancement state, event bus) and [`http`] is the transport (router, wire types, extractors,
//! the error → status mapping). [`Server`] ties them to a TCP listener.
//!
//! Not for: DSP (that is `auralis-render` and the stages behind it) or cache policy (that is
//! `auralis-cache`); the server only wires them to HTTP.

pub mod app;
pub mod config;
pub mod http;
pub mod listen;
mod lockfile;
pub mod net;
pub mod subsonic;

use std::net::SocketAddr;

pub use app::{App, Error};
pub use config::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server listening on its address; dropping it does not stop it, [`Server::shutdown`] does.
pub struct Server {
    addr: SocketAddr,
    app: App,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the library and the cache in the data folder, binds `config.addr`, starts serving
    /// at once and (if configured) scans the music folder in the background.
    pub async fn start(config: ServerConfig) -> Result<Server, Error> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|e| Error::internal(format!("cannot listen on {}: {e}", config.addr)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::internal(format!("cannot read the bound address: {e}")))?;
        let scan_on_start = config.scan_on_start;
        let header_read_timeout = config.header_read_timeout;
        let mut config = config;
        config.addr = addr;
        let app = App::open(config).await?;
        let router = http::router(app.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(listen::serve(
            listener,
            router,
            header_read_timeout,
            async {
                let _ = stopped.await;
            },
        ));
        if scan_on_start {
            app.library.start_scan();
        }
        Ok(Server {
            addr,
            app,
            stop: Some(stop),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until the task ends (an I/O error) or `shutdown` is called from elsewhere.
    pub async fn wait(self) -> std::io::Result<()> {
        let Server { stop, task, .. } = self;
        let _keep = stop;
        task.await.unwrap_or(Ok(()))
    }

    /// Stops accepting connections, lets open requests finish (SSE streams are cut), stops the
    /// background work and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.app.shutdown().await;
        let _ = self.task.await;
    }
}
