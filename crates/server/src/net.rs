//! Which host names the server answers to and which proxies it believes: the policy behind the
//! Host check (DNS rebinding) and the client address used for throttling and `Secure` cookies.
//!
//! Not for: applying it to requests (`http::guard` does that).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::http::uri::Authority;
use axum::http::HeaderMap;

use crate::config::ServerConfig;

/// Which hosts and proxies the server trusts.
#[derive(Debug)]
pub struct NetPolicy {
    bound: SocketAddr,
    /// Lower-case names (and IP literals) from `--public-host`.
    public_hosts: Vec<String>,
    trusted_proxies: Vec<IpAddr>,
}

impl NetPolicy {
    pub fn new(config: &ServerConfig, bound: SocketAddr) -> Arc<NetPolicy> {
        let public_hosts = config
            .public_hosts
            .iter()
            .map(|h| host_name(h).unwrap_or_else(|| h.to_ascii_lowercase()))
            .collect();
        Arc::new(NetPolicy {
            bound,
            public_hosts,
            trusted_proxies: config.trusted_proxies.clone(),
        })
    }

    /// Does the server answer to this `Host` header?
    pub fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if name == "localhost" || self.public_hosts.contains(&name) {
            return true;
        }
        match IpAddr::from_str(&name) {
            Ok(ip) => {
                ip.is_loopback()
                    || ip == self.bound.ip()
                    // Bound to every interface: any address of this machine; an IP literal
                    // cannot be rebound to another site.
                    || self.bound.ip().is_unspecified()
            }
            Err(_) => false,
        }
    }

    /// The client's address and whether its request came over HTTPS, believing forwarding
    /// headers only from a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> (IpAddr, bool) {
        if !self.trusted_proxies.contains(&peer) {
            return (peer, false);
        }
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        // The address the proxy saw is the last one it appended.
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| IpAddr::from_str(v.trim()).ok());
        (forwarded.unwrap_or(peer), https)
    }
}

/// The lower-case host name (without port or IPv6 brackets) of a `Host` header value.
fn host_name(host: &str) -> Option<String> {
    let authority = Authority::from_str(host.trim()).ok()?;
    let name = authority.host();
    let name = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    let name = name.trim_end_matches('.');
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::path::PathBuf;

    fn policy(bound: &str, public: &[&str], proxies: &[&str]) -> Arc<NetPolicy> {
        let mut c = ServerConfig::new(PathBuf::from("/m"), PathBuf::from("/d"));
        c.public_hosts = public.iter().map(|s| s.to_string()).collect();
        c.trusted_proxies = proxies.iter().map(|s| s.parse().unwrap()).collect();
        NetPolicy::new(&c, bound.parse().unwrap())
    }

    #[test]
    fn hosts_the_server_answers_to() {
        let p = policy("127.0.0.1:8765", &["music.example.org"], &[]);
        for ok in [
            "localhost:8765",
            "LOCALHOST",
            "127.0.0.1:8765",
            "[::1]:8765",
            "music.example.org",
            "Music.Example.Org.:443",
        ] {
            assert!(p.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:8765",
            "192.168.1.5:8765",
            "localhost.evil.example",
            "",
            "music.example.org.evil",
            "a b",
        ] {
            assert!(!p.host_allowed(bad), "{bad}");
        }
        // Bound to every interface: the machine's LAN address works, a name still does not.
        let lan = policy("0.0.0.0:8765", &[], &[]);
        assert!(lan.host_allowed("192.168.1.5:8765"));
        assert!(lan.host_allowed("[fe80::1]:8765"));
        assert!(!lan.host_allowed("evil.example:8765"));
        // Bound to one address: that one.
        let one = policy("192.168.1.5:8765", &[], &[]);
        assert!(one.host_allowed("192.168.1.5:8765"));
        assert!(!one.host_allowed("10.0.0.9:8765"));
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let p = policy("127.0.0.1:8765", &[], &["10.0.0.2"]);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 203.0.113.7"),
        );
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let other: IpAddr = "10.0.0.3".parse().unwrap();
        assert_eq!(p.client(proxy, &h), ("203.0.113.7".parse().unwrap(), true));
        assert_eq!(p.client(other, &h), (other, false));
    }
}
