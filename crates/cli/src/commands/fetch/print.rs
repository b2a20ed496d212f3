//! Printing a fetch result in the CLI's documented shapes.
//!
//! JSON (one line per result):
//! - objects: `{"id":"strata://…","entity":"Clip","values":{…},"relationships":{…}}`, values
//!   in attribute order (`Value::to_json`: RFC 3339 dates), to-one relationships as the
//!   destination URI or `null`, to-many as arrays of URIs;
//! - ids: `{"id":"strata://…"}`;
//! - count: the bare number;
//! - dictionaries: the requested key paths with their values (a to-one as its URI).
//!
//! Tables show the same data for people, with short IDs (`Clip/p3`). To-many destinations
//! are read with one batched coordinator call per entity and relationship, never one call
//! per object. Nothing here writes to the store.

use std::collections::BTreeMap;
use std::io::Write;

use strata::ObjectId;
use strata::core::{Context, Dictionary, FetchRequest, FetchResult, PropertyValue};
use strata::model::EntityIndex;

use super::super::Format;
use crate::output::{JsonObject, Table, short_id, value_cell, value_json};
use crate::store::OpenStore;

/// Writes `result` of `request` to `out` in `format`.
pub fn write(
    open: &OpenStore,
    context: &mut Context,
    request: &FetchRequest,
    result: &FetchResult,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match result {
        FetchResult::Count(n) => writeln!(out, "{n}")?,
        FetchResult::ObjectIds(ids) => {
            for &id in ids {
                match format {
                    Format::Table => writeln!(out, "{}", open.uri(id))?,
                    Format::Json => {
                        writeln!(out, "{}", JsonObject::new().field("id", open.uri(id).as_str()).finish())?
                    }
                }
            }
        }
        FetchResult::Objects(ids) => write_objects(open, context, ids, format, out)?,
        FetchResult::Dictionaries(rows) => write_dictionaries(open, request, rows, format, out)?,
    }
    Ok(())
}

/// One object's printable parts.
struct Printed {
    id: ObjectId,
    entity: String,
    /// (attribute, value) in attribute order.
    values: Vec<(String, strata::Value)>,
    /// (relationship, destinations, to-many) in relationship order.
    relationships: Vec<(String, Vec<ObjectId>, bool)>,
}

fn write_objects(
    open: &OpenStore,
    context: &mut Context,
    ids: &[ObjectId],
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let model = open.model().clone();
    let to_many = load_to_many(open, ids)?;
    let mut printed = Vec::with_capacity(ids.len());
    for &id in ids {
        let entity = model.entity_at(id.entity());
        let mut values = Vec::with_capacity(entity.attributes().len());
        for attribute in entity.attributes() {
            values.push((attribute.name().to_owned(), context.value(id, attribute.name())?));
        }
        let mut relationships = Vec::with_capacity(entity.relationships().len());
        for (index, relationship) in entity.relationships().iter().enumerate() {
            let destinations = if relationship.is_to_many() {
                to_many.get(&(id, index)).cloned().unwrap_or_default()
            } else {
                context.to_one(id, relationship.name())?.into_iter().collect()
            };
            relationships.push((relationship.name().to_owned(), destinations, relationship.is_to_many()));
        }
        printed.push(Printed { id, entity: entity.name().to_owned(), values, relationships });
    }
    match format {
        Format::Json => {
            for object in &printed {
                let mut values = JsonObject::new();
                for (name, value) in &object.values {
                    values = values.field(name, value_json(value, &object.entity, name)?);
                }
                let mut relationships = JsonObject::new();
                for (name, destinations, is_to_many) in &object.relationships {
                    let json = if *is_to_many {
                        destinations.iter().map(|&d| open.uri(d)).collect::<Vec<_>>().into()
                    } else {
                        destinations.first().map_or(serde_json::Value::Null, |&d| open.uri(d).into())
                    };
                    relationships = relationships.field(name, json);
                }
                let line = JsonObject::new()
                    .field("id", open.uri(object.id).as_str())
                    .field("entity", object.entity.as_str())
                    .field("values", values)
                    .field("relationships", relationships);
                writeln!(out, "{}", line.finish())?;
            }
        }
        Format::Table => {
            // Columns in first-seen order, so sub-entities' extra properties get their own.
            let mut columns: Vec<String> = vec!["id".to_owned()];
            for object in &printed {
                let names =
                    object.values.iter().map(|(n, _)| n).chain(object.relationships.iter().map(|(n, ..)| n));
                for name in names {
                    if !columns.contains(name) {
                        columns.push(name.clone());
                    }
                }
            }
            let mut table = Table::new(columns.clone());
            for object in &printed {
                let mut cells: BTreeMap<&str, String> = BTreeMap::new();
                cells.insert("id", short_id(&model, object.id));
                for (name, value) in &object.values {
                    cells.insert(name, value_cell(value));
                }
                for (name, destinations, _) in &object.relationships {
                    let shown: Vec<String> = destinations.iter().map(|&d| short_id(&model, d)).collect();
                    cells.insert(name, shown.join(" "));
                }
                table.row(columns.iter().map(|c| cells.remove(c.as_str()).unwrap_or_default()).collect());
            }
            write!(out, "{}", table.render())?;
            writeln!(out, "{} object(s)", printed.len())?;
        }
    }
    Ok(())
}

/// The to-many destinations of every object: one coordinator call per (entity,
/// relationship), whatever the number of objects.
fn load_to_many(
    open: &OpenStore,
    ids: &[ObjectId],
) -> anyhow::Result<BTreeMap<(ObjectId, usize), Vec<ObjectId>>> {
    let model = open.model();
    let mut by_entity: BTreeMap<EntityIndex, Vec<ObjectId>> = BTreeMap::new();
    for &id in ids {
        by_entity.entry(id.entity()).or_default().push(id);
    }
    let mut lists = BTreeMap::new();
    for (entity, sources) in by_entity {
        for (index, relationship) in model.entity_at(entity).relationships().iter().enumerate() {
            if !relationship.is_to_many() {
                continue;
            }
            let related = open.coordinator.related(&sources, index)?;
            for (&source, destinations) in sources.iter().zip(related) {
                lists.insert((source, index), destinations);
            }
        }
    }
    Ok(lists)
}

fn write_dictionaries(
    open: &OpenStore,
    request: &FetchRequest,
    rows: &[Dictionary],
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let model = open.model();
    // Without --properties the context returns every attribute and to-one: take the
    // columns from the first row.
    let columns: Vec<String> = if request.property_names().is_empty() {
        rows.first().map(|r| r.entries.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default()
    } else {
        request.property_names().to_vec()
    };
    let mut table = Table::new(columns.clone());
    for row in rows {
        let entity = model.entity_at(row.id.entity()).name();
        match format {
            Format::Json => {
                let mut line = JsonObject::new();
                for (key, value) in &row.entries {
                    let json = match value {
                        PropertyValue::Value(v) => value_json(v, entity, key)?,
                        PropertyValue::Object(Some(id)) => open.uri(*id).into(),
                        PropertyValue::Object(None) => serde_json::Value::Null,
                    };
                    line = line.field(key, json);
                }
                writeln!(out, "{}", line.finish())?;
            }
            Format::Table => table.row(
                columns
                    .iter()
                    .map(|c| match row.get(c) {
                        Some(PropertyValue::Value(v)) => value_cell(v),
                        Some(PropertyValue::Object(Some(id))) => short_id(model, *id),
                        Some(PropertyValue::Object(None)) | None => String::new(),
                    })
                    .collect(),
            ),
        }
    }
    if format == Format::Table {
        write!(out, "{}", table.render())?;
        writeln!(out, "{} object(s)", rows.len())?;
    }
    Ok(())
}
