//! Integration tests of strata-tracker: trackers within one process (`tracking`), the
//! cleaner's rules (`cleaning`), and real processes sharing an app group (`processes`).

mod cleaning;
mod processes;
mod support;
mod tracking;
