//! The flags of `strata demo`: which part of the story to run.

/// `strata demo [PART]`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The part to run; without one, the whole story.
    #[command(subcommand)]
    pub part: Option<DemoPart>,
}

/// The parts of `strata demo`.
#[derive(Debug, clap::Subcommand)]
pub enum DemoPart {
    /// One process's tour: a model, a SQLite store, predicates compiled to SQL, saves, faults,
    /// a cascading delete, validation, a conflict and URIs.
    Tour,
    /// A REST API behind a local cache: a fixture palettes API on 127.0.0.1, a RestStore
    /// over it, answers from the cache, a 304 refetch, an edit saved, the server gone.
    Rest,
    /// The demo's second process (started by `strata demo`, not by hand).
    #[command(hide = true)]
    Extension(super::story::ExtensionArgs),
}
