//! Cache benchmarks: `cargo run --release -p auralis-cache --example cache_bench`.
fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let report = auralis_cache::bench::run(dir.path(), 1_100_000, 2000).expect("benchmark");
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
