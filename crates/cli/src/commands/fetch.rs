//! `strata fetch`: run a fetch request on a store and print the result.
//!
//! The flags are read raw by clap ([`FetchArgs`]), then checked against the store's model
//! into a [`FetchRequest`] ([`FetchArgs::validate`]): predicate and sort errors come back
//! with a caret under the fault. The request runs through a context, as an application's
//! would; printing is in [`print`](mod@print). A fetch never writes to the store.

mod print;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use strata::core::{FetchRequest, ResultType};
use strata::model::Model;
use strata::predicate::{SortDescriptor, Span, render_caret};

use super::Format;
use super::predicate::prepare;
use crate::store::OpenStore;

/// Flags of `strata fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The store file.
    #[arg(long)]
    pub store: PathBuf,
    /// The entity to fetch (objects of its sub-entities are included).
    #[arg(long)]
    pub entity: String,
    /// Only objects for which this predicate holds (NSPredicate format:
    /// `title BEGINSWITH[c] %@ AND score > 2`).
    #[arg(long = "where", value_name = "PREDICATE")]
    pub predicate: Option<String>,
    /// A value for the next `%@`/`%K`/`%d`/… placeholder: JSON when it parses, else text.
    #[arg(long = "arg", value_name = "VALUE")]
    pub args: Vec<String>,
    /// A value for a `$VARIABLE`: NAME=VALUE, the value read like --arg.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Sort keys, most significant first: "key [asc|desc], …" (a key may end in :ci or
    /// :localized; key paths through to-one relationships are allowed).
    #[arg(long, value_name = "KEYS")]
    pub sort: Option<String>,
    /// Return at most N results.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Skip the first N results (after sorting).
    #[arg(long, value_name = "N")]
    pub offset: Option<usize>,
    /// What to print: whole objects (the default, or dictionaries when --properties is
    /// given), object URIs, the number of matches, or dictionaries of --properties.
    #[arg(long, value_enum)]
    pub result: Option<ResultKind>,
    /// Comma-separated properties for dictionaries: attributes or key paths through to-one
    /// relationships (`title,folder.name`).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub properties: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// The `--result` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultKind {
    /// Whole objects: values and relationships.
    Objects,
    /// Object URIs.
    Ids,
    /// The number of matching objects (after offset and limit).
    Count,
    /// The requested properties of each object.
    Dictionaries,
}

impl From<ResultKind> for ResultType {
    fn from(kind: ResultKind) -> ResultType {
        match kind {
            ResultKind::Objects => ResultType::Objects,
            ResultKind::Ids => ResultType::ObjectIds,
            ResultKind::Count => ResultType::Count,
            ResultKind::Dictionaries => ResultType::Dictionaries,
        }
    }
}

impl FetchArgs {
    /// The fetch request these flags describe, checked against `model`: the entity exists,
    /// the predicate parses and fits it, the sort keys parse and fit it, and the flags agree
    /// with each other. Errors are ready to print (with a caret where one helps).
    pub fn validate(&self, model: &Model) -> anyhow::Result<FetchRequest> {
        let Some(entity) = model.entity(&self.entity) else {
            return Err(match model.nearest_entity(&self.entity) {
                Some(near) => {
                    anyhow!("the store's model has no entity {:?} (did you mean {near:?}?)", self.entity)
                }
                None => anyhow!("the store's model has no entity {:?}", self.entity),
            });
        };
        let mut request = FetchRequest::new(entity.name());
        match &self.predicate {
            Some(text) => {
                request = request.predicate(prepare(model, entity.index(), text, &self.args, &self.vars)?);
            }
            None if !self.args.is_empty() || !self.vars.is_empty() => {
                bail!("--arg and --var fill placeholders of a predicate: give one with --where")
            }
            None => {}
        }
        if let Some(text) = &self.sort {
            let sort = SortDescriptor::parse_list(text).map_err(|e| {
                let span = Span::new(e.offset, e.offset + 1);
                anyhow!("invalid --sort: {}\n{}", e.kind, render_caret(text, span))
            })?;
            for descriptor in &sort {
                descriptor.check(model, entity.index()).map_err(|e| anyhow!("invalid --sort: {e}"))?;
            }
            request = request.sort(sort);
        }
        if let Some(limit) = self.limit {
            request = request.limit(limit);
        }
        if let Some(offset) = self.offset {
            request = request.offset(offset);
        }
        let result = match (self.result, self.properties.is_empty()) {
            (None, true) => ResultKind::Objects,
            (None, false) | (Some(ResultKind::Dictionaries), _) => ResultKind::Dictionaries,
            (Some(other), false) => {
                bail!("--properties applies to --result dictionaries, not --result {}", kind_name(other))
            }
            (Some(other), true) => other,
        };
        let properties: Vec<String> = self.properties.iter().map(|p| p.trim().to_owned()).collect();
        if properties.iter().any(String::is_empty) {
            bail!("--properties has an empty name (write them as title,folder.name)");
        }
        Ok(request.result_type(result.into()).properties(properties))
    }
}

fn kind_name(kind: ResultKind) -> &'static str {
    match kind {
        ResultKind::Objects => "objects",
        ResultKind::Ids => "ids",
        ResultKind::Count => "count",
        ResultKind::Dictionaries => "dictionaries",
    }
}

/// Opens the store, validates the flags against its model, fetches and prints.
pub fn run(args: &FetchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let open = OpenStore::open(&args.store)?;
    let request = args.validate(open.model())?;
    let mut context = open.context();
    let result = context.fetch(&request)?;
    // Results can be long: buffer them rather than write a line at a time.
    let mut buffered = BufWriter::new(out);
    print::write(&open, &mut context, &request, &result, args.format, &mut buffered)?;
    buffered.flush()?;
    Ok(())
}
