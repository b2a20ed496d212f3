//! `strata watch`: the `watching <uuid>` line once subscribed, one line per change committed
//! by another process (here `strata import`), exit after `--count` or `--timeout`, and the
//! CLI's error for a path that is not a store. Every wait is bounded by the watcher's own
//! `--timeout`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use super::support::{Env, json_lines, strata};

/// Starts `strata watch` on the env's store and waits for its `watching` line.
fn start_watch(env: &Env, extra: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let store = env.store();
    let mut args = vec!["watch", "--store", &store];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run strata watch");
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read the watcher's stderr");
    assert_eq!(line, format!("watching {}\n", env.uuid), "the first stderr line");
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    (child, stdout)
}

fn import_folder(env: &Env, name: &str) {
    let file = env
        .write(&format!("{name}.jsonl"), &format!(r#"{{"entity":"Folder","values":{{"name":"{name}"}}}}"#));
    assert_eq!(env.import(&file, &[]).ok(), "imported 1 objects (1 saves)\n");
}

fn next_line(stdout: &mut BufReader<std::process::ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read the watcher's stdout");
    assert!(!line.is_empty(), "the watcher ended before printing a change");
    line
}

#[test]
fn watch_prints_each_change_of_another_process_then_exits_after_count() {
    let env = Env::with_store();
    let (mut child, mut stdout) = start_watch(&env, &["--count", "2", "--timeout", "30", "--format", "json"]);
    let mut sequences = Vec::new();
    for name in ["Reading", "Kitchen"] {
        import_folder(&env, name);
        // Wait for this change's line before the next import, so the two never coalesce.
        let json = json_lines(&next_line(&mut stdout));
        assert_eq!(json[0]["store"], env.uuid.as_str());
        let token = json[0]["token"].as_str().expect("a token string");
        let sequence = json[0]["sequence"].as_u64().expect("a sequence");
        assert_eq!(token, format!("{}:{sequence}", env.uuid));
        sequences.push(sequence);
    }
    assert!(sequences[0] < sequences[1], "{sequences:?}");
    let status = child.wait().expect("wait for the watcher");
    assert!(status.success(), "watch exits successfully after --count");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read the rest");
    assert_eq!(rest, "", "nothing after the counted lines");
}

#[test]
fn watch_table_lines_are_tokens_and_the_timeout_ends_it() {
    let env = Env::with_store();
    let (mut child, mut stdout) = start_watch(&env, &["--timeout", "1.5"]);
    import_folder(&env, "Reading");
    let line = next_line(&mut stdout);
    let token = line.trim_end();
    assert!(token.starts_with(&format!("{}:", env.uuid)), "{line:?}");
    assert!(token.rsplit(':').next().is_some_and(|s| s.parse::<u64>().is_ok()), "{line:?}");
    let status = child.wait().expect("wait for the watcher");
    assert!(status.success(), "watch exits successfully at the timeout");
}

#[test]
fn watch_with_nothing_to_see_exits_at_the_timeout_and_refuses_non_stores() {
    let env = Env::with_store();
    let run = strata(&["watch", "--store", &env.store(), "--timeout", "0.3"]);
    assert_eq!(run.stderr, format!("watching {}\n", env.uuid));
    assert_eq!(run.ok(), "");
    let missing = env.path("missing.sqlite");
    let error = strata(&["watch", "--store", missing.to_str().unwrap_or_default()]).fails();
    assert!(error.contains("is not a Strata store"), "{error}");
    let error = strata(&["watch", "--store", &env.store(), "--timeout=-1"]).fails();
    assert!(error.contains("--timeout"), "{error}");
}
