//! System endpoints: `ping`, `getLicense`, `getOpenSubsonicExtensions`, `getScanStatus`,
//! `startScan`.

use super::response::{Attr, Envelope, Node};
use super::{Answer, Ctx, Params, Reply};

/// The OpenSubsonic extensions Auralis implements, with their versions.
pub const EXTENSIONS: &[(&str, i64)] = &[
    ("apiKeyAuthentication", 1),
    ("formPost", 1),
    ("transcodeOffset", 1),
    ("songLyrics", 1),
];

pub async fn ping(_: &Ctx, _: &Params) -> Answer {
    Ok(Reply::empty())
}

/// Auralis is free software: the licence is always valid.
pub async fn license(_: &Ctx, _: &Params) -> Answer {
    Ok(Reply::one(
        Node::new("license")
            .attr("valid", true)
            .attr("email", "")
            .attr("licenseExpires", "2099-12-31T00:00:00Z"),
    ))
}

/// Answers without authentication (the spec says so: apps call it before they sign in).
pub fn extensions() -> Envelope {
    Envelope::ok(Node::default().list(
        "openSubsonicExtensions",
        EXTENSIONS.iter().map(|(name, version)| {
            Node::new("openSubsonicExtension")
                .attr("name", *name)
                .values("versions", [Attr::Int(*version)])
        }),
    ))
}

fn scan_node(ctx: &Ctx) -> Node {
    let s = ctx.app.library.scan_status();
    Node::new("scanStatus")
        .attr("scanning", s.running)
        .attr("count", s.processed.max(s.seen))
}

pub async fn scan_status(ctx: &Ctx, _: &Params) -> Answer {
    Ok(Reply::one(scan_node(ctx)))
}

/// Starts a scan (admins only), unless one runs.
pub async fn start_scan(ctx: &Ctx, _: &Params) -> Answer {
    ctx.require_admin()?;
    ctx.app.library.start_scan();
    Ok(Reply::one(scan_node(ctx)))
}
