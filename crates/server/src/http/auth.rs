//! Authentication as extractors: a handler that takes [`Auth`] cannot be reached without a
//! signed-in user or an API key, one that takes [`Admin`] not without an admin, so a route's
//! guard is visible in its signature (and a router-wide test proves every route has one).
//!
//! Credentials: `Authorization: Bearer <API key>`, or the session cookie set at sign-in.
//!
//! Not for: checking passwords or storing sessions (the auth service does that).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;

use crate::app::{AuthService, Caller, Error};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "auralis_session";
/// The cookie's lifetime in the browser; the server ends a session after 30 days without use,
/// and the page refreshes the cookie on every load.
const COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;

/// A signed-in user, or an API key's user.
pub struct Auth(pub Caller);

/// An admin.
pub struct Admin(pub Caller);

/// The caller if there are valid credentials, without refusing anyone (for public routes).
pub struct MaybeAuth(pub Option<Caller>);

/// The session token in the request's cookies.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}

fn bearer(headers: &HeaderMap) -> Option<Result<String, Error>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let key = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    Some(
        key.ok_or_else(|| {
            Error::unauthorized("the Authorization header must be `Bearer <API key>`")
        }),
    )
}

/// The `Set-Cookie` value that signs a browser in.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={COOKIE_MAX_AGE}{secure}"
    );
    // A token is base64url: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that signs a browser out.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Resolves the request's credentials once (the result is kept in the request's extensions).
async fn resolve(parts: &mut Parts, auth: &AuthService) -> Result<Caller, Error> {
    if let Some(c) = parts.extensions.get::<Caller>() {
        return Ok(c.clone());
    }
    let caller = if let Some(key) = bearer(&parts.headers) {
        auth.api_key(key?)
            .await?
            .ok_or_else(|| Error::unauthorized("this API key is not valid (revoked?)"))?
    } else if let Some(token) = session_token(&parts.headers) {
        auth.session(token)
            .await?
            .ok_or_else(|| Error::unauthorized("your session has ended; sign in again"))?
    } else {
        return Err(Error::unauthorized("sign in first (or send an API key)"));
    };
    parts.extensions.insert(caller.clone());
    Ok(caller)
}

impl<S> FromRequestParts<S> for Auth
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        resolve(parts, &AuthService::from_ref(state))
            .await
            .map(Auth)
    }
}

impl<S> FromRequestParts<S> for Admin
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let caller = resolve(parts, &AuthService::from_ref(state)).await?;
        if caller.user.admin {
            Ok(Admin(caller))
        } else {
            Err(Error::forbidden("only an admin may do this"))
        }
    }
}

impl<S> FromRequestParts<S> for MaybeAuth
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match resolve(parts, &AuthService::from_ref(state)).await {
            Ok(c) => Ok(MaybeAuth(Some(c))),
            Err(Error::Unauthorized(_)) => Ok(MaybeAuth(None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_found_among_other_cookies() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; auralis_session=tok; b=2"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("tok"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("auralis_session="));
        assert_eq!(session_token(&h), None);
        let c = session_cookie("tok", true);
        let c = c.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!session_cookie("tok", false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
