//! `/api/events`: the event bus as Server-Sent Events, for one signed-in user: everything shared
//! (cache and scan progress) plus that user's own enhancement changes. Open streams are capped
//! per user and in all (503 beyond).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use crate::app::{App, Error, Result};
use crate::http::auth::Auth;

#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream",
        description = "Events chunk_cached, track_progress, track_cached, evicted, scan, enhancement"),
        (status = 401, body = crate::http::error::ErrorBody),
        (status = 503, body = crate::http::error::ErrorBody, description = "Too many open streams")))]
pub async fn events(State(app): State<App>, Auth(caller): Auth) -> Result<Response> {
    let user = caller.user.id;
    let permit = app.streams.acquire(user).ok_or(Error::Busy {
        message: "too many event streams are open; close some pages".into(),
        retry_after: 5,
    })?;
    let rx = app.events.subscribe();
    let stream = futures::stream::unfold((rx, permit), move |(mut rx, permit)| async move {
        loop {
            let sse = match rx.recv().await {
                Ok(ev) if !ev.visible_to(user) => continue,
                Ok(ev) => {
                    let (name, data) = crate::http::convert::event_wire(&ev);
                    Event::default().event(name).data(data)
                }
                // A slow client lost some events; it goes on with the newer ones.
                Err(RecvError::Lagged(n)) => Event::default().comment(format!("lagged {n}")),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok::<_, Infallible>(sse), (rx, permit)));
        }
    })
    // Graceful shutdown waits for open responses: end the stream when the server stops.
    .take_until(app.stopped());
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
