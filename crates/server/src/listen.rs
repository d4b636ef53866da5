//! The accept loop: HTTP/1.1 connections served by hyper with the limits a server reachable from
//! a network needs, which `axum::serve` does not set.
//!
//! - **Header-read timeout.** A connection must deliver a request's whole header within
//!   `header_read_timeout` of waiting for it, or it is closed. hyper starts that clock whenever it
//!   waits for a request head, so it also closes idle keep-alive connections: one timeout bounds
//!   both a stalled half-sent request and an idle connection.
//! - **TCP_NODELAY** on every connection: small responses must not wait for Nagle's algorithm.
//! - **Peer address** on every request (`ConnectInfo<SocketAddr>`), for throttling by client.
//! - **Graceful shutdown**: on the signal, stop accepting, let open requests finish (event
//!   streams end themselves), and return when every connection is done.
//!
//! Not for: what to answer (the router) or which requests to refuse (the guards).

use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` resolves, then drains open connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    // Dropping the sender tells every connection to finish; its receivers closing tell us they
    // are done.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a connection reset before accept: keep serving.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let service = router.clone().map_request(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(axum::body::Body::new)
            },
        );
        let hyper_service = TowerToHyperService::new(service);
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), hyper_service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::trace!(error = %e, "connection ended");
                    }
                }
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(done);
        });
    }
    drop(listener);
    drop(stop_tx);
    drop(done_rx);
    // Every connection task holds a `done` receiver: wait until the last one is gone.
    done_tx.closed().await;
    Ok(())
}
