//! The `auralis` command line: one module per subcommand under `src/cli/`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "auralis",
    version,
    about = "Self-hosted music server that masters every track on the fly"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the music server and web player.
    Serve(cli::serve::ServeArgs),
    /// Scan a music folder into the library database.
    Scan(cli::scan::ScanArgs),
    /// Master an audio file to FLAC.
    Master(cli::master::MasterArgs),
    /// Print a file's loudness / peak / spectrum profile.
    Analyze(cli::analyze::AnalyzeArgs),
    /// Measure the speed of every stage on the test fixtures.
    Bench(cli::bench::BenchArgs),
    /// Manage user accounts (add, list, passwd, remove).
    User(cli::user::UserArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(a) => cli::serve::run(a),
        Command::Scan(a) => cli::scan::run(a),
        Command::Master(a) => cli::master::run(a),
        Command::Analyze(a) => cli::analyze::run(a),
        Command::Bench(a) => cli::bench::run(a),
        Command::User(a) => cli::user::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain joined, e.g. "cannot master x.flac: x.flac: ...".
            eprintln!("auralis: error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string().replace('\n', " ");
        // Skip causes already contained in the previous message (thiserror `transparent`).
        if !parts.last().is_some_and(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
