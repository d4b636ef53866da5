//! Helpers the server benchmarks share: the release server as a child process, its memory,
//! sign-in, waiting for the scan, generated tracks and latency percentiles.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Peak resident memory (VmHWM) of a process, KiB.
pub fn hwm_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM:")
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resident memory (VmRSS) of a process, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub struct ServerProc {
    pub child: Child,
    pub base: String,
}

impl ServerProc {
    pub fn start(bin: &Path, music: &Path, data: &Path, log: &Path) -> ServerProc {
        let port = free_port();
        let log = std::fs::File::create(log).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(music)
            .arg("--data-dir")
            .arg(data)
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot start the server binary");
        ServerProc {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        // SIGINT: the server shuts down gracefully.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let _ = self.child.wait();
    }
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/api/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not come up");
}

/// A client with `cookie` on every request.
pub fn with_cookie(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Creates the admin on a first run (or signs it in) and returns the session cookie.
pub async fn admin_cookie(base: &str) -> String {
    let anon = reqwest::Client::new();
    let creds = json!({"username": "bench", "password": "bench password"});
    let mut r = anon
        .post(format!("{base}/api/auth/setup"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    if r.status() == 409 {
        r = anon
            .post(format!("{base}/api/auth/login"))
            .json(&creds)
            .send()
            .await
            .unwrap();
    }
    assert!(r.status().is_success(), "setup/login: {}", r.status());
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

pub async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

pub async fn wait_scan_idle(client: &reqwest::Client, base: &str) -> Value {
    for _ in 0..6000 {
        let s = get_json(client, &format!("{base}/api/library/scan")).await;
        if s["running"] == false && s["last_report"] != Value::Null {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan did not finish");
}

pub async fn play_until_cached(client: &reqwest::Client, base: &str, id: i64) -> f64 {
    let started = Instant::now();
    let r = client
        .post(format!("{base}/api/player/position"))
        .json(&json!({"track_id": id, "position_s": 0.0, "next_track_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    for _ in 0..60000 {
        let s = get_json(client, &format!("{base}/api/cache/track/{id}")).await;
        if s["fully_cached"] == true {
            return started.elapsed().as_secs_f64();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("track {id} never fully cached");
}

pub fn write_wav(path: &Path, seconds: f64, seed: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let mut x = seed.max(1);
    let n = (seconds * 44100.0) as u64;
    for i in 0..n {
        let t = i as f64 / 44100.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let noise = (x as f64 / u32::MAX as f64 - 0.5) * 0.05;
        let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 0.5 * t).sin();
        let l = 0.25 * env * (2.0 * std::f64::consts::PI * 220.0 * t).sin() + noise;
        let r = 0.25 * env * (2.0 * std::f64::consts::PI * 330.0 * t).sin() + noise;
        w.write_sample((l * 32767.0) as i16).unwrap();
        w.write_sample((r * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

pub struct Latencies(pub Vec<Duration>);

impl Latencies {
    pub fn pct(&mut self, p: f64) -> Duration {
        self.0.sort();
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i]
    }
    /// Percentiles only (for runs that are not about throughput).
    pub fn percentiles(&mut self, what: &str) -> String {
        format!(
            "{what}: {} requests: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.0.len(),
            self.pct(0.5).as_secs_f64() * 1e3,
            self.pct(0.9).as_secs_f64() * 1e3,
            self.pct(0.99).as_secs_f64() * 1e3,
            self.pct(1.0).as_secs_f64() * 1e3,
        )
    }

    pub fn line(&mut self, what: &str, seconds: f64) -> String {
        let n = self.0.len();
        format!(
            "{what}: {n} requests in {seconds:.0} s ({:.0}/s): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            n as f64 / seconds,
            self.pct(0.5).as_secs_f64() * 1e3,
            self.pct(0.9).as_secs_f64() * 1e3,
            self.pct(0.99).as_secs_f64() * 1e3,
            self.pct(1.0).as_secs_f64() * 1e3,
        )
    }
}
