//! The built `auralis` binary: master, analyze, errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn auralis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .output()
        .expect("run auralis")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn master_meets_the_loudness_and_peak_targets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mastered.flac");
    let o = auralis(&[
        "master",
        s(&fixture("drascula-track2-20s.flac")),
        s(&out),
        "--preset",
        "adaptive",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("LUFS") && stdout.contains("dBTP"),
        "{stdout}"
    );

    let mut src = auralis_source::Source::open(&out).unwrap();
    let info = src.info().clone();
    let input_frames = auralis_source::Source::open(&fixture("drascula-track2-20s.flac"))
        .unwrap()
        .info()
        .frames;
    assert_eq!(info.frames, input_frames, "no change of length");
    assert_eq!(info.bits_per_sample, Some(16));
    let frames = src.read_all().unwrap();
    let p = auralis_analysis::analyze(&frames, info.rate);
    // Adaptive targets -14 LUFS, ceiling -1 dBTP after encoding.
    assert!(
        (p.integrated_lufs - -14.0).abs() <= 1.0,
        "integrated {}",
        p.integrated_lufs
    );
    assert!(
        p.true_peak_dbtp <= -1.0 + 0.05,
        "true peak {}",
        p.true_peak_dbtp
    );
    assert!(frames.iter().flatten().all(|x| x.abs() < 1.0));
}

#[test]
fn master_with_intensity_zero_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dry.flac");
    let input = fixture("drascula-track1-8s.flac");
    let o = auralis(&["master", s(&input), s(&out), "--intensity", "0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a = auralis_source::Source::open(&input)
        .unwrap()
        .read_all()
        .unwrap();
    let b = auralis_source::Source::open(&out)
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(a.len(), b.len());
    // Dry mix through the dithered quantiser: within one LSB of the source.
    let max = a
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| [(x[0] - y[0]).abs(), (x[1] - y[1]).abs()])
        .fold(0f32, f32::max);
    assert!(max * 32768.0 <= 1.0, "{max}");
}

#[test]
fn analyze_json_parses() {
    let o = auralis(&["analyze", "--json", s(&fixture("drascula-track1-8s.flac"))]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sample_rate"], 44_100);
    assert_eq!(v["kind"], "Full");
    assert!(v["integrated_lufs"].as_f64().unwrap() < -5.0);
    assert!(v["true_peak_dbtp"].as_f64().is_some());
    let human = auralis(&["analyze", s(&fixture("drascula-track1-8s.mp3"))]);
    assert!(human.status.success());
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("LUFS") && text.contains("dBTP"), "{text}");
}

#[test]
fn corrupt_input_fails_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("corrupt.flac");
    let mut bytes = std::fs::read(fixture("drascula-track1-8s.flac")).unwrap();
    bytes.truncate(300);
    std::fs::write(&bad, &bytes).unwrap();
    let not_audio = dir.path().join("notes.mp3");
    std::fs::write(
        &not_audio,
        b"this is not audio at all, just some text\n".repeat(50),
    )
    .unwrap();
    let out = dir.path().join("out.flac");
    for input in [&bad, &not_audio, &dir.path().join("missing.flac")] {
        let o = auralis(&["master", s(input), s(&out)]);
        assert!(!o.status.success());
        let lines = stderr_lines(&o);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("auralis: error: "), "{lines:?}");
        assert!(
            lines[0].contains(input.file_name().unwrap().to_str().unwrap()),
            "{lines:?}"
        );
        assert!(!out.exists());
    }
    // An existing OUT is not replaced.
    std::fs::write(&out, b"precious").unwrap();
    let o = auralis(&["master", s(&bad), s(&out)]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    // Nothing else left behind (no temp files).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let o = auralis(&["analyze", s(&bad)]);
    assert!(!o.status.success());
    assert_eq!(stderr_lines(&o).len(), 1);
}

#[test]
fn bad_usage_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.flac");
    let input = fixture("drascula-track1-8s.flac");
    for args in [
        vec!["master", s(&input), s(&out), "--intensity", "1.5"],
        vec!["master", s(&input), s(&out), "--intensity", "-0.1"],
        vec!["master", s(&input), s(&out), "--intensity", "abc"],
        vec!["master", s(&input), s(&out), "--preset", "loud"],
        vec!["master", s(&input)],
    ] {
        let o = auralis(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("error"), "{err}");
        assert!(!out.exists());
    }
    let o = auralis(&["master", s(&input), s(&out), "--preset", "loud"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("adaptive"));
}

#[test]
fn album_mode_masters_every_input_with_one_gain() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("album");
    let inputs = [
        fixture("drascula-track2-20s.flac"),
        fixture("drascula-track1-8s.flac"),
        fixture("drascula-track11-20s.flac"),
    ];
    let mut args = vec!["master", "--album", "--out-dir", s(&out_dir)];
    args.extend(inputs.iter().map(|p| s(p)));
    let o = auralis(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[3].starts_with("album: 3 tracks"), "{stdout}");
    // One gain for every track, as printed per track.
    let gains: Vec<&str> = lines[..3]
        .iter()
        .map(|l| l.split("gain ").nth(1).unwrap().split(' ').next().unwrap())
        .collect();
    assert!(gains.iter().all(|g| *g == gains[0]), "{gains:?}");
    for input in &inputs {
        let out = out_dir
            .join(input.file_stem().unwrap())
            .with_extension("flac");
        let a = auralis_source::Source::open(input).unwrap().info().frames;
        let b = auralis_source::Source::open(&out).unwrap().info().frames;
        assert_eq!(a, b, "{}", out.display());
    }
    // Without --album each file gets its own gain.
    let own = dir.path().join("own");
    let mut args = vec!["master", "--out-dir", s(&own)];
    args.extend(inputs.iter().map(|p| s(p)));
    let o = auralis(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
}

#[test]
fn album_mode_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("drascula-track1-8s.flac");
    // --album without --out-dir, and IN OUT with a third path: usage errors.
    for args in [
        vec!["master", "--album", s(&input), s(&input)],
        vec!["master", s(&input), s(&input), s(&input)],
    ] {
        let o = auralis(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    // Two inputs with the same stem, or an output over its input: refused, nothing written.
    let other = dir.path().join("drascula-track1-8s.wav");
    std::fs::copy(fixture("drascula-track1-8s.wav"), &other).unwrap();
    let out_dir = dir.path().join("out");
    let o = auralis(&["master", "--out-dir", s(&out_dir), s(&input), s(&other)]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("both"), "{o:?}");
    let copy = dir.path().join("x.flac");
    std::fs::copy(&input, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let o = auralis(&["master", "--out-dir", s(dir.path()), s(&copy)]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("overwrite"),
        "{o:?}"
    );
    let o = auralis(&["master", s(&copy), s(&copy)]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("overwrite"),
        "{o:?}"
    );
    assert_eq!(std::fs::read(&copy).unwrap(), before);
}

fn auralis_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run auralis");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn user_commands_manage_accounts_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let d = s(data.path());
    let out = auralis_with_stdin(
        &[
            "user",
            "add",
            "ada",
            "--admin",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "analytical engine\n",
    );
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("added ada, admin"));
    let out = auralis_with_stdin(
        &["user", "add", "bob", "--password-stdin", "--data-dir", d],
        "bob's password\n",
    );
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    // A taken name, a short password: one clear line each, a non-zero exit.
    let out = auralis_with_stdin(
        &["user", "add", "BOB", "--password-stdin", "--data-dir", d],
        "another password\n",
    );
    assert!(!out.status.success());
    assert_eq!(stderr_lines(&out).len(), 1, "{:?}", stderr_lines(&out));
    let out = auralis_with_stdin(
        &["user", "add", "carol", "--password-stdin", "--data-dir", d],
        "short\n",
    );
    assert!(!out.status.success());
    let out = auralis(&["user", "list", "--data-dir", d]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("ada  (admin)") && listed.contains("bob"),
        "{listed}"
    );
    assert!(!listed.contains("carol"), "{listed}");
    let out = auralis_with_stdin(
        &["user", "passwd", "bob", "--password-stdin", "--data-dir", d],
        "bob's new password\n",
    );
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    // The library now checks the new password (the web sign-in uses the same check).
    let lib = auralis_library::Library::open(data.path().join("library.sqlite")).unwrap();
    assert!(lib
        .verify_password("bob", "bob's new password")
        .unwrap()
        .is_some());
    assert!(lib
        .verify_password("bob", "bob's password")
        .unwrap()
        .is_none());
    drop(lib);
    let out = auralis(&["user", "remove", "bob", "--data-dir", d]);
    assert!(out.status.success(), "{:?}", stderr_lines(&out));
    let out = auralis(&["user", "remove", "bob", "--data-dir", d]);
    assert!(!out.status.success());
    assert!(
        stderr_lines(&out)[0].contains("no user named"),
        "{:?}",
        stderr_lines(&out)
    );
}

#[test]
fn a_second_server_on_the_same_data_folder_exits_at_once_with_one_line() {
    let music = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args([
            "serve",
            s(music.path()),
            "--addr",
            "127.0.0.1:0",
            "--no-scan",
        ])
        .args(["--data-dir", s(data.path())])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run auralis serve");
    // The first server holds the lock once it logs that it listens.
    let mut err = std::io::BufReader::new(first.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(n > 0, "the first server exited");
        if line.contains("listening") {
            break;
        }
    }
    let second = auralis(&[
        "serve",
        s(music.path()),
        "--addr",
        "127.0.0.1:0",
        "--no-scan",
        "--data-dir",
        s(data.path()),
    ]);
    assert!(!second.status.success());
    let lines = stderr_lines(&second);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("already using the data folder"),
        "{lines:?}"
    );
    // The first is untouched: still running.
    assert!(first.try_wait().unwrap().is_none());
    first.kill().unwrap();
    let _ = first.wait();
}
