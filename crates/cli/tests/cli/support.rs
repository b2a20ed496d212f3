//! Running the binary and setting up stores.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

/// The example model, shared with the README and the demo.
pub const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/clips/model.json");

/// A small data set with forward references (clips come before their folders and tags).
pub const DATA: &str = r#"{"entity":"Clip","ref":"c1","values":{"title":"Rust ownership","score":5,"pinned":true,"created":"2024-09-01T09:00:00Z"},"relationships":{"folder":"f1","tags":["t1","t2"]}}
{"entity":"Clip","ref":"c2","values":{"title":"SQLite internals","score":4.5,"created":"2024-07-15T09:00:00Z"},"relationships":{"folder":"f1","tags":["t2"]}}
{"entity":"Clip","ref":"c3","values":{"title":"Crème brûlée","score":3,"visits":7},"relationships":{"folder":"f2"}}
{"entity":"Clip","ref":"c4","values":{"title":"loose note","score":1}}
{"entity":"Folder","ref":"f1","values":{"name":"Reading"}}
{"entity":"Folder","ref":"f2","values":{"name":"Kitchen"}}
{"entity":"Tag","ref":"t1","values":{"name":"rust"}}
{"entity":"Tag","ref":"t2","values":{"name":"db"}}
"#;

/// What a run of the binary printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "strata failed: {}", self.stderr);
        self.stdout
    }

    /// Asserts a failure reported the CLI's way and returns stderr.
    pub fn fails(self) -> String {
        assert_ne!(self.code, Some(0), "strata should fail; it printed {}", self.stdout);
        assert!(self.code.is_some(), "strata was killed (a panic?): {}", self.stderr);
        assert!(self.stderr.starts_with("error: "), "stderr must start with 'error: ': {}", self.stderr);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(self.stdout.is_empty(), "a failure printed results: {}", self.stdout);
        self.stderr
    }
}

/// Runs `strata` with `args`.
pub fn strata(args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_strata")).args(args).output().expect("run strata");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Every line of `text` as a JSON value (each line must be one JSON document).
pub fn json_lines(text: &str) -> Vec<Json> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect()
}

/// A temporary directory with a store path in it.
pub struct Env {
    dir: tempfile::TempDir,
    /// The store UUID, once `init` ran.
    pub uuid: String,
}

impl Env {
    /// An empty directory.
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("temporary directory"), uuid: String::new() }
    }

    /// A new store with the example model.
    pub fn with_store() -> Env {
        let mut env = Env::new();
        let out = strata(&["init", "--store", &env.store(), "--model", MODEL, "--format", "json"]).ok();
        env.uuid = json_lines(&out)[0]["uuid"].as_str().expect("uuid").to_owned();
        env
    }

    /// A store holding [`DATA`].
    pub fn with_data() -> Env {
        let env = Env::with_store();
        let file = env.write("data.jsonl", DATA);
        assert_eq!(env.import(&file, &[]).ok(), "imported 8 objects (1 saves)\n");
        env
    }

    /// A path in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The store path, as text.
    pub fn store(&self) -> String {
        text(&self.path("store.sqlite"))
    }

    /// Writes a file in the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write a file");
        text(&path)
    }

    /// `strata import --store <store> <file> <extra…>`.
    pub fn import(&self, file: &str, extra: &[&str]) -> Run {
        let store = self.store();
        let mut args = vec!["import", "--store", &store, file];
        args.extend_from_slice(extra);
        strata(&args)
    }

    /// `strata fetch --store <store> --entity <entity> <extra…>`.
    pub fn fetch(&self, entity: &str, extra: &[&str]) -> Run {
        let store = self.store();
        let mut args = vec!["fetch", "--store", &store, "--entity", entity];
        args.extend_from_slice(extra);
        strata(&args)
    }

    /// Rows per entity, from `strata inspect --format json`.
    pub fn rows(&self) -> Json {
        let out = strata(&["inspect", "--store", &self.store(), "--format", "json"]).ok();
        json_lines(&out)[0]["rows"].clone()
    }

    /// The URI of `Entity/p<key>` in this store.
    pub fn uri(&self, entity_key: &str) -> String {
        format!("strata://{}/{entity_key}", self.uuid)
    }
}

fn text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temporary path").to_owned()
}
