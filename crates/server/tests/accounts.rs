//! Accounts through the real server: first run, sign-in and its cookie, every route's guard
//! (taken from the OpenAPI document, so no route is missed), per-user settings, API keys,
//! throttling, users and passwords, sessions across a restart.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{json, Value};

/// Routes anyone may call.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/api/health"),
    ("get", "/api/auth/status"),
    ("post", "/api/auth/setup"),
    ("post", "/api/auth/login"),
];

/// Routes only an admin may call.
const ADMIN_ONLY: &[(&str, &str)] = &[
    ("post", "/api/library/scan"),
    ("delete", "/api/cache"),
    ("get", "/api/cache/queue"),
    ("get", "/api/users"),
    ("post", "/api/users"),
    ("delete", "/api/users/{id}"),
];

/// Every (method, path) of the OpenAPI document, sign-out last (it ends the session).
async fn routes(ts: &TestServer) -> Vec<(String, String)> {
    let doc = ts.get_json("/api/openapi.json").await;
    let mut out: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    out.sort_by_key(|(m, p)| (p == "/api/auth/logout", m.clone(), p.clone()));
    out
}

/// Sends `method path` (ids filled in with `id`) with `{}` as a JSON body where one is taken;
/// the status.
async fn call(client: &reqwest::Client, base: &str, method: &str, path: &str, id: i64) -> u16 {
    let url = format!(
        "{base}{}",
        path.replace("{id}", &id.to_string()).replace("{n}", "0")
    );
    let req = match method {
        "get" => client.get(&url),
        "post" => client.post(&url).json(&json!({})),
        "put" => client.put(&url).json(&json!({})),
        "delete" => client.delete(&url),
        other => panic!("method {other}"),
    };
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn first_run_setup_once_sign_in_and_the_cookie() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start_first_run(config(music.path(), data.path())).await;
    let status: Value = get_json_as(&ts.anon, &ts.url("/api/auth/status")).await;
    assert_eq!(status, json!({"setup_required": true, "user": null}));
    // No default credentials: nothing signs in before setup.
    let r = ts
        .anon
        .post(ts.url("/api/auth/login"))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Rules on the name and the password.
    for (name, password) in [("", "long enough"), ("ok", "short")] {
        let r = ts
            .anon
            .post(ts.url("/api/auth/setup"))
            .json(&json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{name:?}/{password:?}");
    }
    let r = ts
        .anon
        .post(ts.url("/api/auth/setup"))
        .json(&json!({"username": "Ada", "password": "analytical engine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for part in ["auralis_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain http, no trusted proxy: {set}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["user"]["name"], "Ada");
    assert_eq!(body["user"]["admin"], true);
    let ada = client_with_cookie(set.split(';').next().unwrap());
    let status: Value = get_json_as(&ada, &ts.url("/api/auth/status")).await;
    assert_eq!(status["setup_required"], false);
    assert_eq!(status["user"]["name"], "Ada");
    // Setup happens once.
    let again = ts
        .anon
        .post(ts.url("/api/auth/setup"))
        .json(&json!({"username": "Eve", "password": "take it over"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    // Sign-in: wrong password and unknown user answer alike.
    for (name, password) in [("Ada", "wrong password"), ("Nobody", "analytical engine")] {
        let r = ts
            .anon
            .post(ts.url("/api/auth/login"))
            .json(&json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["message"], "wrong user name or password");
    }
    let second = sign_in(&ts.base, "ada", "analytical engine").await; // names ignore case
    assert_eq!(
        second
            .get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Sign-out ends that session only, and clears its cookie.
    let out = second
        .post(ts.url("/api/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        second
            .get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        ada.get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    ts.shutdown().await;
}

#[tokio::test]
async fn every_route_has_its_guard() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    synthetic_wav(&music.path().join("a.wav"), 44100, 4.0, 440.0);
    let ts = TestServer::start(music.path(), data.path()).await;
    let routes = routes(&ts).await;
    assert!(routes.len() >= 30, "{} routes", routes.len());
    let public: BTreeSet<(String, String)> = PUBLIC
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let admin_only: BTreeSet<(String, String)> = ADMIN_ONLY
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    for r in public.iter().chain(&admin_only) {
        assert!(routes.contains(r), "{r:?} is not in the document");
    }
    // Without credentials: 401 everywhere but the public routes.
    for (method, path) in &routes {
        let status = call(&ts.anon, &ts.base, method, path, 1).await;
        let is_public = public.contains(&(method.clone(), path.clone()));
        assert_eq!(
            status == 401,
            !is_public,
            "{method} {path} without credentials answered {status}"
        );
    }
    // With a key that is not one: 401 too.
    let bogus = reqwest::Client::new();
    for (method, path) in routes.iter().filter(|r| !public.contains(*r)) {
        let url = format!(
            "{}{}",
            ts.base,
            path.replace("{id}", "1").replace("{n}", "0")
        );
        let status = bogus
            .request(method.to_uppercase().parse().unwrap(), &url)
            .bearer_auth("aur_not-a-key")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 401, "{method} {path}");
    }
    // A user who is not an admin: 403 exactly on the admin routes. The user's own id fills
    // `{id}` (a user may change their own password).
    let bob = ts.add_user("bob", "bob's password", false).await;
    let bob_id = ts.get_json("/api/users").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "bob")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    for (method, path) in &routes {
        let status = call(&bob, &ts.base, method, path, bob_id).await;
        let admin = admin_only.contains(&(method.clone(), path.clone()));
        assert_ne!(status, 401, "{method} {path}: bob is signed in");
        assert_eq!(
            status == 403,
            admin,
            "{method} {path} as a non-admin answered {status}"
        );
    }
    // The admin is refused nowhere (a user id that does not exist keeps deletes harmless).
    for (method, path) in &routes {
        let status = call(&ts.client, &ts.base, method, path, 999_999).await;
        assert!(
            status != 401 && status != 403,
            "{method} {path} as the admin answered {status}"
        );
    }
    ts.shutdown().await;
}

#[tokio::test]
async fn enhancement_is_per_user_and_its_events_stay_private() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let bob = ts.add_user("bob", "bob's password", false).await;
    let mut admin_events = Events::open(&ts).await;
    for (path, body) in [
        ("/api/enhancement/preset", json!({"preset": "warm"})),
        ("/api/enhancement/toggle", json!({"enabled": false})),
    ] {
        let r = post_json_as(&bob, &ts.url(path), body).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    let bobs: Value = get_json_as(&bob, &ts.url("/api/enhancement")).await;
    assert_eq!(
        bobs,
        json!({"enabled": false, "preset": "warm", "intensity": 1.0, "loudness": "track"})
    );
    let admins = ts.get_json("/api/enhancement").await;
    assert_eq!(
        admins,
        json!({"enabled": true, "preset": "adaptive", "intensity": 1.0, "loudness": "track"})
    );
    // The admin's own change is announced to the admin's stream; bob's two were not.
    let r = ts
        .post_json("/api/enhancement/intensity", json!({"intensity": 0.25}))
        .await;
    assert_eq!(r.status(), 200);
    let ev = admin_events
        .until("enhancement", |_| true)
        .await
        .expect("the admin's enhancement event");
    assert_eq!(
        ev,
        json!({"enabled": true, "preset": "adaptive", "intensity": 0.25, "loudness": "track"})
    );
    ts.shutdown().await;
    // Persisted per user.
    let ts = TestServer::start(music.path(), data.path()).await;
    assert_eq!(ts.get_json("/api/enhancement").await["intensity"], 0.25);
    let bob = sign_in(&ts.base, "bob", "bob's password").await;
    let bobs: Value = get_json_as(&bob, &ts.url("/api/enhancement")).await;
    assert_eq!(bobs["preset"], "warm");
    ts.shutdown().await;
}

#[tokio::test]
async fn api_keys_work_until_revoked_and_sessions_survive_a_restart() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let r = ts
        .post_json("/api/auth/keys", json!({"name": "my script"}))
        .await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("aur_"), "{key}");
    let with_key = |path: &str| ts.anon.get(ts.url(path)).bearer_auth(&key).send();
    assert_eq!(with_key("/api/tracks").await.unwrap().status(), 200);
    // Listed (with its last use), never shown again.
    let list = ts.get_json("/api/auth/keys").await;
    let item = &list["items"][0];
    assert_eq!(item["name"], "my script");
    assert!(item["last_used"].as_i64().is_some(), "{list}");
    assert!(item.get("key").is_none());
    // Another user cannot revoke it.
    let bob = ts.add_user("bob", "bob's password", false).await;
    let id = made["id"].as_i64().unwrap();
    let r = bob
        .delete(ts.url(&format!("/api/auth/keys/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(with_key("/api/tracks").await.unwrap().status(), 200);
    // Revoked: refused.
    let r = ts
        .client
        .delete(ts.url(&format!("/api/auth/keys/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(with_key("/api/tracks").await.unwrap().status(), 401);
    // A session survives a restart of the server.
    let cookie = ts.cookie.clone();
    ts.shutdown().await;
    let ts = TestServer::start(music.path(), data.path()).await;
    let old = client_with_cookie(&cookie);
    assert_eq!(
        old.get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    ts.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_name_and_per_address() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let login = |name: &'static str, password: &'static str| {
        ts.anon
            .post(ts.url("/api/auth/login"))
            .json(&json!({"username": name, "password": password}))
            .send()
    };
    for _ in 0..10 {
        assert_eq!(login(ADMIN, "wrong").await.unwrap().status(), 401);
    }
    let r = login(ADMIN, "wrong").await.unwrap();
    assert_eq!(r.status(), 429);
    let wait = retry_after(&r);
    assert!((1..=60).contains(&wait), "{wait}");
    // Even the right password waits: the check is not even run.
    assert_eq!(login(ADMIN, ADMIN_PASSWORD).await.unwrap().status(), 429);
    // The address is blocked too (all these came from 127.0.0.1), for any name.
    assert_eq!(login("someone", "else").await.unwrap().status(), 429);
    // The session the test started with is untouched.
    assert_eq!(ts.get("/api/tracks").await.status(), 200);
    ts.shutdown().await;
}

/// Behind a TLS proxy the cookie is `Secure`, but only when the proxy is trusted: anyone else's
/// `X-Forwarded-Proto` is ignored. The throttle counts the client the trusted proxy names.
#[tokio::test]
async fn the_cookie_is_secure_behind_a_trusted_tls_proxy_only() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut c = config(music.path(), data.path());
    c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let ts = TestServer::start_with(c).await;
    let login = |proto: &'static str, client: &'static str, password: &'static str| {
        ts.anon
            .post(ts.url("/api/auth/login"))
            .header("x-forwarded-proto", proto)
            .header("x-forwarded-for", client)
            .json(&json!({"username": ADMIN, "password": password}))
            .send()
    };
    let r = login("https", "192.0.2.7", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(r.status(), 200);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("Secure"), "{set}");
    let r = login("http", "192.0.2.7", ADMIN_PASSWORD).await.unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(!set.contains("Secure"), "{set}");
    // The addresses the proxy forwards are the clients: one guessing is blocked, another not.
    for _ in 0..10 {
        let r = login("https", "198.51.100.1", "wrong").await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = ts
        .anon
        .post(ts.url("/api/auth/login"))
        .header("x-forwarded-for", "198.51.100.1")
        .json(&json!({"username": "nobody", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        429,
        "the guessing address is blocked for any name"
    );
    let r = ts
        .anon
        .post(ts.url("/api/auth/login"))
        .header("x-forwarded-for", "198.51.100.2")
        .json(&json!({"username": "nobody", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "another client behind the proxy is not");
    ts.shutdown().await;

    // The same headers from a server that trusts no proxy change nothing.
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let r = ts
        .anon
        .post(ts.url("/api/auth/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        !set.contains("Secure"),
        "an untrusted X-Forwarded-Proto: {set}"
    );
    ts.shutdown().await;
}

/// Wrong passwords sent all at once are counted as they arrive, not after each is verified:
/// of 30 parallel guesses, at most 10 are checked; the rest get 429 without an argon2 hash.
#[tokio::test]
async fn a_burst_of_parallel_guesses_is_throttled_too() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let guesses = (0..30).map(|i| {
        ts.anon
            .post(ts.url("/api/auth/login"))
            .json(&json!({"username": ADMIN, "password": format!("guess {i}")}))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 30, "{statuses:?}");
    assert_eq!(checked, 10, "{statuses:?}");
    ts.shutdown().await;
}

#[tokio::test]
async fn users_and_passwords() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let ts = TestServer::start(music.path(), data.path()).await;
    let bob = ts.add_user("bob", "bob's password", false).await;
    let r = ts
        .post_json(
            "/api/users",
            json!({"username": "BOB", "password": "another one"}),
        )
        .await;
    assert_eq!(r.status(), 409, "names are unique, ignoring case");
    let users = ts.get_json("/api/users").await;
    let id_of = |name: &str| {
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (admin_id, bob_id) = (id_of(ADMIN), id_of("bob"));
    // The last admin cannot be removed.
    let r = ts
        .client
        .delete(ts.url(&format!("/api/users/{admin_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    // Bob changes his own password: the old one is needed and checked.
    let change = |old: Option<&str>, new: &str| {
        let mut body = json!({"new_password": new});
        if let Some(o) = old {
            body["old_password"] = json!(o);
        }
        bob.post(ts.url(&format!("/api/users/{bob_id}/password")))
            .json(&body)
            .send()
    };
    assert_eq!(
        change(None, "bob's new password").await.unwrap().status(),
        400
    );
    assert_eq!(
        change(Some("not it"), "bob's new password")
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        change(Some("bob's password"), "bob's new password")
            .await
            .unwrap()
            .status(),
        204
    );
    // Bob cannot change the admin's.
    let r = bob
        .post(ts.url(&format!("/api/users/{admin_id}/password")))
        .json(&json!({"new_password": "hijacked!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The admin sets Bob's without the old one; Bob's other sessions end.
    let bob_elsewhere = sign_in(&ts.base, "bob", "bob's new password").await;
    let r = ts
        .post_json(
            &format!("/api/users/{bob_id}/password"),
            json!({"new_password": "set by the admin"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        bob_elsewhere
            .get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let bob = sign_in(&ts.base, "bob", "set by the admin").await;
    // Removing a user ends everything of theirs.
    let r = ts
        .client
        .delete(ts.url(&format!("/api/users/{bob_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        bob.get(ts.url("/api/tracks"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = ts
        .client
        .delete(ts.url(&format!("/api/users/{bob_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    ts.shutdown().await;
}
