//! `/api/events`: the event bus as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::app::App;

#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream",
        description = "Events chunk_cached, track_progress, track_cached, evicted, scan, enhancement")))]
pub async fn events(State(app): State<App>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = app.events.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let sse = match rx.recv().await {
            Ok(ev) => {
                let (name, data) = crate::http::convert::event_wire(&ev);
                Event::default().event(name).data(data)
            }
            // A slow client lost some events; it goes on with the newer ones.
            Err(RecvError::Lagged(n)) => Event::default().comment(format!("lagged {n}")),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(sse), rx))
    })
    // Graceful shutdown waits for open responses: end the stream when the server stops.
    .take_until(app.stopped());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
