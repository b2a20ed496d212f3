//! strata-rest against a real HTTP server on 127.0.0.1: the fixture palettes API, the ready
//! client, and the REST store over both. Every wait is bounded.

mod client;
mod store;
mod support;
