//! How results look: JSON lines with their fields in a fixed order, aligned text tables for
//! people, and the text forms of values and object IDs both use.
//!
//! The JSON shapes are part of the CLI's contract (scripts parse them), so every object is
//! written field by field in the documented order rather than through a map whose order
//! depends on serde_json's features. This module only formats: it never reads a store.

use std::fmt::Write as _;

use anyhow::Context as _;
use strata::model::Model;
use strata::{ObjectId, Value};

/// A JSON object written field by field, in the order the fields are added.
#[derive(Debug, Default)]
pub struct JsonObject {
    text: String,
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> JsonObject {
        JsonObject::default()
    }

    /// Adds a field (keys are escaped as JSON strings).
    pub fn field(mut self, key: &str, value: impl Into<JsonText>) -> JsonObject {
        self.text.push(if self.text.is_empty() { '{' } else { ',' });
        self.text.push_str(&serde_json::Value::from(key).to_string());
        self.text.push(':');
        self.text.push_str(&value.into().0);
        self
    }

    /// The object's text, one line.
    pub fn finish(self) -> String {
        if self.text.is_empty() { "{}".to_owned() } else { self.text + "}" }
    }
}

/// The text of a JSON value, ready to splice into a [`JsonObject`].
#[derive(Debug, Clone)]
pub struct JsonText(String);

impl From<serde_json::Value> for JsonText {
    fn from(value: serde_json::Value) -> JsonText {
        JsonText(value.to_string())
    }
}

impl From<JsonObject> for JsonText {
    fn from(object: JsonObject) -> JsonText {
        JsonText(object.finish())
    }
}

impl From<&str> for JsonText {
    fn from(text: &str) -> JsonText {
        JsonText(serde_json::Value::from(text).to_string())
    }
}

/// The JSON form of an attribute value (`Value::to_json`: dates as RFC 3339, binary as
/// base64), with the attribute named if it cannot be written.
pub fn value_json(value: &Value, entity: &str, attribute: &str) -> anyhow::Result<serde_json::Value> {
    value.to_json().with_context(|| format!("cannot print {entity}.{attribute}"))
}

/// A value as a table cell: its JSON form without quotes around text, empty for nil.
pub fn value_cell(value: &Value) -> String {
    match value.to_json() {
        Ok(serde_json::Value::Null) => String::new(),
        Ok(serde_json::Value::String(s)) => s,
        Ok(json) => json.to_string(),
        Err(_) => value.to_string(),
    }
}

/// An object ID in short form for tables: `Clip/p3` (the URI without scheme and store).
pub fn short_id(model: &Model, id: ObjectId) -> String {
    let uri = id.uri(model);
    // Permanent URIs are strata://<store>/<Entity>/p<key>: keep the last two parts.
    let mut parts = uri.rsplitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(key), Some(entity)) => format!("{entity}/{key}"),
        _ => uri,
    }
}

/// Aligned text columns for people: a header row, then one row per item.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    show_header: bool,
    max_cell: usize,
}

/// The widest a cell is shown; longer text is cut with `…`.
const MAX_CELL: usize = 40;

impl Table {
    /// A table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
            show_header: true,
            max_cell: MAX_CELL,
        }
    }

    /// A table of `columns` columns printed without a header row and without cutting
    /// long cells (key/value lists, where the values are the point).
    pub fn headerless(columns: usize) -> Table {
        Table {
            header: vec![String::new(); columns],
            rows: Vec::new(),
            show_header: false,
            max_cell: usize::MAX,
        }
    }

    /// Adds a row (missing cells are empty, extra cells are dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, columns separated by two spaces; nothing for a
    /// table without columns.
    pub fn render(&self) -> String {
        if self.header.is_empty() {
            return String::new();
        }
        let cell = |text: &str| -> String {
            let flat = text.replace(['\n', '\r', '\t'], " ");
            match flat.char_indices().nth(self.max_cell.saturating_sub(1)) {
                Some((i, _)) if flat.chars().count() > self.max_cell => format!("{}…", &flat[..i]),
                _ => flat,
            }
        };
        let rows: Vec<Vec<String>> = std::iter::once(&self.header)
            .chain(&self.rows)
            .map(|r| (0..self.header.len()).map(|i| cell(r.get(i).map_or("", String::as_str))).collect())
            .collect();
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        let skip = usize::from(!self.show_header);
        for row in rows.iter().skip(skip) {
            let mut line = String::new();
            for (i, text) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(text);
                } else {
                    let _ = write!(line, "{text:<width$}  ", width = widths[i]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_keep_their_field_order_and_escape_keys() {
        let inner = JsonObject::new().field("z", serde_json::json!(1)).field("a", serde_json::json!(null));
        let line = JsonObject::new().field("id", "x\"y").field("values", inner).finish();
        assert_eq!(line, r#"{"id":"x\"y","values":{"z":1,"a":null}}"#);
        assert_eq!(JsonObject::new().finish(), "{}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["values"]["z"], 1);
    }

    #[test]
    fn tables_align_and_cut_long_cells() {
        let mut table = Table::new(["id", "title"]);
        table.row(vec!["Clip/p1".into(), "a".repeat(50)]);
        table.row(vec!["C/p10".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "id       title");
        assert!(lines[1].starts_with("Clip/p1  aaaa"));
        assert_eq!(lines[1].chars().count(), "Clip/p1  ".len() + MAX_CELL);
        assert!(lines[1].ends_with('…'));
        assert_eq!(lines[2], "C/p10");
        assert_eq!(Table::new(Vec::<String>::new()).render(), "");
        let mut pairs = Table::headerless(2);
        pairs.row(vec!["uuid".into(), "x".into()]);
        pairs.row(vec!["model hash".into(), "y".repeat(50)]);
        assert_eq!(pairs.render(), format!("uuid        x\nmodel hash  {}\n", "y".repeat(50)));
    }

    #[test]
    fn cells_show_text_without_quotes_and_nil_as_empty() {
        assert_eq!(value_cell(&Value::String("hi".into())), "hi");
        assert_eq!(value_cell(&Value::Null), "");
        assert_eq!(value_cell(&Value::Double(2.5)), "2.5");
        assert_eq!(value_cell(&Value::Bool(true)), "true");
    }
}
