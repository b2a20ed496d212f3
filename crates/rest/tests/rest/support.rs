//! Shared set-up: the palettes model, a fixture server, and the ready client for it.

use std::sync::Arc;

use strata_model::Model;
use strata_rest::fixture::{PalettesOptions, PalettesServer};
use strata_rest::{ConventionalClient, EntityMapping, Paging};

/// The example palettes model (`examples/palettes/model.json`).
pub const MODEL: &str = include_str!("../../../../examples/palettes/model.json");

/// The example palettes model.
pub fn model() -> Arc<Model> {
    Arc::new(Model::from_json(MODEL).expect("the example palettes model parses"))
}

/// A fixture server with `palettes` palettes, `page_size` per page.
pub fn server(palettes: usize, page_size: usize) -> PalettesServer {
    PalettesServer::start(PalettesOptions::default().with_palettes(palettes).with_page_size(page_size))
        .expect("the fixture server starts on 127.0.0.1")
}

/// The ready client for the fixture's API, paging by `page`/`per_page` of `page_size`.
pub fn client(model: &Model, server: &PalettesServer, page_size: usize) -> ConventionalClient {
    ConventionalClient::builder(server.url())
        .entity(EntityMapping::new("Palette", "/palettes").numeric_ids(true))
        .paging(Paging::page_number("page", "per_page", page_size))
        .build(model)
        .expect("the client's configuration fits the model")
}
