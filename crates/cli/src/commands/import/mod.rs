//! `strata import`: JSON lines into a store, through a context as an application would —
//! values fitted to their attributes, relationships set with `set_to_one` / `set_to_many` so
//! inverses are maintained, and the model's validation applied by every save.
//!
//! The file is read and checked whole first ([`plan`]); then objects are inserted in
//! batches: one save at the end, or one every `--save-every N` objects. Within a batch every
//! object is inserted before any relationship is set, so refs may point forward. A ref into
//! a later batch is remembered and set when that batch inserts its destination (as an
//! addition to a to-many); by then the source is saved, and is named by its permanent ID,
//! since the context is reset after every intermediate save to keep its memory flat.
//!
//! A failed save writes nothing of its batch; earlier batches stay, and the error says so.

mod error;
mod plan;

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use strata::core::{Context, StoreError, ValidationError};
use strata::{Error, ObjectId};

use error::{ImportError, ImportProblem, LineViolation, SavedSoFar};
use plan::Planned;

use crate::import_file::{Target, read_records};
use crate::store::OpenStore;

/// Flags of `strata import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The store file (the model comes from the store).
    #[arg(long)]
    pub store: PathBuf,
    /// The JSON-lines file: one object per line,
    /// {"entity":"Clip","ref":"c1","values":{…},"relationships":{"folder":"f1","tags":["t1"]}}.
    pub file: PathBuf,
    /// The transaction author recorded with the import's saves.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// The name of the importing context, recorded with its saves.
    #[arg(long = "context", value_name = "NAME")]
    pub context_name: Option<String>,
    /// Save after every N objects instead of once at the end (keeps memory flat on large
    /// files). An object whose required relationship points to a later batch fails
    /// validation: put destinations first in such files.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub save_every: Option<u64>,
}

/// Imports the file and prints "imported N objects (M saves)".
pub fn run(args: &ImportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.store)?;
    let fail = |problem: ImportProblem| ImportError { problem, saved: SavedSoFar::default() };
    let text = std::fs::read_to_string(&args.file)
        .map_err(|source| fail(ImportProblem::Read { path: args.file.clone(), source }))?;
    let records = read_records(&text).map_err(|e| fail(e.into()))?;
    drop(text);
    let planned = plan::plan(open.model(), records).map_err(fail)?;
    let batch = args.save_every.map_or(planned.len(), |n| usize::try_from(n).unwrap_or(usize::MAX)).max(1);

    let mut context = open.context();
    context.set_transaction_author(args.author.as_deref());
    context.set_name(args.context_name.as_deref());
    let mut importer = Importer {
        open: &open,
        context,
        refs: HashMap::new(),
        deferred: HashMap::new(),
        lines: HashMap::new(),
        saved: SavedSoFar::default(),
        progress: progress_bar(planned.len()),
    };
    for chunk in planned.chunks(batch) {
        let stored =
            importer.import_batch(chunk).map_err(|problem| ImportError { problem, saved: importer.saved });
        if let Err(e) = stored {
            importer.progress.abandon();
            return Err(e.into());
        }
    }
    importer.progress.finish_and_clear();
    writeln!(out, "imported {} objects ({} saves)", importer.saved.objects, importer.saved.saves)?;
    Ok(())
}

/// A progress bar on a terminal; nothing when stderr is a pipe or a file.
fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} objects {msg}") {
        bar.set_style(style);
    }
    bar
}

/// A relationship of an earlier batch waiting for its destination's batch.
struct Deferred {
    source: ObjectId,
    line: usize,
    reference: Option<String>,
    relationship: String,
    to_many: bool,
}

struct Importer<'a> {
    open: &'a OpenStore,
    context: Context,
    /// Every ref inserted so far: temporary IDs in the current batch, permanent before.
    refs: HashMap<String, ObjectId>,
    /// Relationships waiting for a ref of a later batch, by that ref.
    deferred: HashMap<String, Vec<Deferred>>,
    /// The line (and ref) of every object the current batch inserted or changed.
    lines: HashMap<ObjectId, (usize, Option<String>)>,
    saved: SavedSoFar,
    progress: ProgressBar,
}

impl Importer<'_> {
    fn import_batch(&mut self, batch: &[Planned]) -> Result<(), ImportProblem> {
        let context_error =
            |line: usize| move |source: Error| ImportProblem::Context { line, source: Box::new(source) };
        let mut ids = Vec::with_capacity(batch.len());
        for p in batch {
            let id = self.context.insert(&p.entity).map_err(context_error(p.line))?;
            if let Some(r) = &p.reference {
                self.refs.insert(r.clone(), id);
            }
            self.lines.insert(id, (p.line, p.reference.clone()));
            ids.push(id);
        }
        for (p, &id) in batch.iter().zip(&ids) {
            for (name, value) in &p.values {
                self.context.set(id, name, value.clone()).map_err(context_error(p.line))?;
            }
            for (name, target) in &p.links {
                self.link(p, id, name, target).map_err(context_error(p.line))?;
            }
            self.progress.inc(1);
        }
        // Relationships of earlier batches whose destinations this batch inserted.
        for p in batch {
            let Some(r) = &p.reference else { continue };
            let (Some(waiting), Some(&target)) = (self.deferred.remove(r), self.refs.get(r)) else {
                continue;
            };
            for d in waiting {
                self.lines.insert(d.source, (d.line, d.reference.clone()));
                let linked = if d.to_many {
                    self.context.add_to_many(d.source, &d.relationship, target)
                } else {
                    self.context.set_to_one(d.source, &d.relationship, Some(target))
                };
                linked.map_err(context_error(d.line))?;
            }
        }
        self.save(batch, &ids)
    }

    /// Sets one relationship of a line's new object; refs into later batches are deferred.
    fn link(&mut self, p: &Planned, id: ObjectId, name: &str, target: &Target) -> Result<(), Error> {
        let mut defer = |reference: &str, to_many: bool| {
            self.deferred.entry(reference.to_owned()).or_default().push(Deferred {
                source: id,
                line: p.line,
                reference: p.reference.clone(),
                relationship: name.to_owned(),
                to_many,
            });
        };
        match target {
            Target::One(None) => self.context.set_to_one(id, name, None),
            Target::One(Some(r)) => match self.refs.get(r).copied() {
                Some(destination) => self.context.set_to_one(id, name, Some(destination)),
                None => {
                    defer(r, false);
                    Ok(())
                }
            },
            Target::Many(refs) => {
                let mut destinations = Vec::with_capacity(refs.len());
                for r in refs {
                    match self.refs.get(r) {
                        Some(&destination) => destinations.push(destination),
                        None => defer(r, true),
                    }
                }
                self.context.set_to_many(id, name, &destinations)
            }
        }
    }

    /// Saves the batch; on success refs and deferred sources move to permanent IDs and the
    /// context is reset.
    fn save(&mut self, batch: &[Planned], ids: &[ObjectId]) -> Result<(), ImportProblem> {
        self.progress.set_message("saving…");
        let outcome = self.context.save().map_err(|e| self.describe_failure(e))?;
        self.progress.set_message("");
        for p in batch {
            let Some(r) = &p.reference else { continue };
            if let Some(id) = self.refs.get_mut(r) {
                *id = outcome.permanent_id(*id).unwrap_or(*id);
            }
        }
        for waiting in self.deferred.values_mut() {
            for d in waiting {
                d.source = outcome.permanent_id(d.source).unwrap_or(d.source);
            }
        }
        self.context.reset();
        self.lines.clear();
        self.saved.objects += ids.len();
        self.saved.saves += 1;
        self.saved.through_line = batch.last().map_or(self.saved.through_line, |p| p.line);
        Ok(())
    }

    fn describe_failure(&self, error: Error) -> ImportProblem {
        match error {
            Error::Validation(ValidationError { violations, .. }) => ImportProblem::Invalid {
                violations: violations
                    .into_iter()
                    .map(|v| {
                        let place = self.lines.get(&v.object);
                        let other_line = match &v.problem {
                            strata::core::Problem::NotUnique { other, .. } => {
                                self.lines.get(other).map(|(l, _)| *l)
                            }
                            _ => None,
                        };
                        LineViolation {
                            line: place.map(|(l, _)| *l),
                            reference: place.and_then(|(_, r)| r.clone()),
                            object: self.open.uri(v.object),
                            entity: v.entity,
                            property: v.property,
                            problem: v.problem,
                            other_line,
                        }
                    })
                    .collect(),
            },
            Error::Store(StoreError::Uniqueness { entity, properties, id, existing, .. }) => {
                ImportProblem::Duplicate {
                    line: self.lines.get(&id).map(|(l, _)| *l),
                    entity,
                    properties,
                    existing: existing.map(|e| self.open.uri(e)),
                }
            }
            source => ImportProblem::Save { source: Box::new(source) },
        }
    }
}
