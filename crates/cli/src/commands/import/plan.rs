//! Checking import lines against the store's model before anything is saved: entity and
//! property names (unknown names come with the nearest one), value types
//! (`Value::from_json` with the attribute's type), relationship shapes (one ref or an array)
//! and the entity of every referenced object. A file with a mistake on any line is refused
//! whole, so most errors leave the store untouched whatever `--save-every` says.
//!
//! This module reads the model only; it never touches a context or a store.

use std::collections::HashMap;

use strata::Value;
use strata::model::{Model, Property};

use super::error::{ImportProblem, WrongDestination};
use crate::import_file::{ImportRecord, Target};

/// One import line, checked: every name exists and every value has its attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// 1-based line number.
    pub line: usize,
    /// The entity's name.
    pub entity: String,
    /// The object's ref.
    pub reference: Option<String>,
    /// (attribute, value) pairs, values fitted to the attribute types.
    pub values: Vec<(String, Value)>,
    /// Relationship name → refs, shapes checked against the relationships.
    pub links: Vec<(String, Target)>,
}

/// Checks every record against `model` (see the module docs); the first mistake stops it.
pub fn plan(model: &Model, records: Vec<ImportRecord>) -> Result<Vec<Planned>, ImportProblem> {
    let mut refs: HashMap<String, (usize, String)> = HashMap::new();
    for record in &records {
        if let Some(r) = &record.reference {
            refs.insert(r.clone(), (record.line, record.entity.clone()));
        }
    }
    records.into_iter().map(|record| plan_one(model, &refs, record)).collect()
}

fn plan_one(
    model: &Model,
    refs: &HashMap<String, (usize, String)>,
    record: ImportRecord,
) -> Result<Planned, ImportProblem> {
    let line = record.line;
    let Some(entity) = model.entity(&record.entity) else {
        return Err(ImportProblem::UnknownEntity {
            line,
            suggestion: model.nearest_entity(&record.entity).map(str::to_owned),
            entity: record.entity,
        });
    };
    let entity_name = entity.name().to_owned();
    if entity.is_abstract() {
        return Err(ImportProblem::AbstractEntity { line, entity: entity_name });
    }
    let mut values = Vec::with_capacity(record.values.len());
    for (name, json) in record.values {
        let attribute = match entity.property(&name) {
            Some(Property::Attribute(a)) => a,
            Some(Property::Relationship(_)) => {
                return Err(ImportProblem::MisplacedProperty {
                    line,
                    entity: entity_name,
                    name,
                    is_relationship: true,
                });
            }
            None => {
                return Err(ImportProblem::UnknownProperty {
                    line,
                    kind: "attribute",
                    suggestion: entity.nearest_property(&name).map(str::to_owned),
                    entity: entity_name,
                    name,
                });
            }
        };
        let value = Value::from_json(&json, attribute.attribute_type()).map_err(|source| {
            ImportProblem::InvalidValue { line, entity: entity_name.clone(), attribute: name.clone(), source }
        })?;
        values.push((name, value));
    }
    let mut links = Vec::with_capacity(record.relationships.len());
    for (name, target) in record.relationships {
        let relationship = match entity.property(&name) {
            Some(Property::Relationship(r)) => r,
            Some(Property::Attribute(_)) => {
                return Err(ImportProblem::MisplacedProperty {
                    line,
                    entity: entity_name,
                    name,
                    is_relationship: false,
                });
            }
            None => {
                return Err(ImportProblem::UnknownProperty {
                    line,
                    kind: "relationship",
                    suggestion: entity.nearest_property(&name).map(str::to_owned),
                    entity: entity_name,
                    name,
                });
            }
        };
        let to_many = relationship.is_to_many();
        let targets: Vec<&String> = match (&target, to_many) {
            (Target::One(one), false) => one.iter().collect(),
            (Target::Many(many), true) => many.iter().collect(),
            _ => {
                return Err(ImportProblem::WrongShape {
                    line,
                    entity: entity_name,
                    relationship: name,
                    to_many,
                });
            }
        };
        let destination = model.entity_at(relationship.destination());
        for reference in targets {
            let Some((target_line, target_entity)) = refs.get(reference) else {
                // `read_records` already refuses refs no line defines; keep the check local.
                return Err(crate::import_file::LineError {
                    line,
                    problem: format!("relationship {name:?} names ref {reference:?}, which no line defines"),
                }
                .into());
            };
            let fits =
                model.entity(target_entity).is_some_and(|t| model.is_kind_of(t.index(), destination.index()));
            if !fits {
                return Err(ImportProblem::WrongDestination(Box::new(WrongDestination {
                    line,
                    entity: entity_name,
                    relationship: name.clone(),
                    reference: reference.clone(),
                    target_line: *target_line,
                    expected: destination.name().to_owned(),
                    found: target_entity.clone(),
                })));
            }
        }
        links.push((name, target));
    }
    Ok(Planned { line, entity: entity_name, reference: record.reference, values, links })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import_file::read_records;

    const MODEL: &str = include_str!("../../../../../examples/clips/model.json");

    fn check(text: &str) -> Result<Vec<Planned>, ImportProblem> {
        let model = Model::from_json(MODEL).unwrap();
        plan(&model, read_records(text).unwrap())
    }

    #[test]
    fn good_lines_get_typed_values() {
        let planned = check(
            r#"{"entity":"Clip","ref":"c","values":{"title":"a","score":3,"created":"2024-01-02T03:04:05Z"},"relationships":{"folder":"f","tags":[]}}
{"entity":"Folder","ref":"f","values":{"name":"x"}}"#,
        )
        .unwrap();
        let value = |name: &str| planned[0].values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        assert_eq!(value("score"), Some(Value::Double(3.0)));
        assert!(matches!(value("created"), Some(Value::Date(_))));
        assert_eq!(value("title"), Some(Value::String("a".into())));
        assert_eq!(planned[1].line, 2);
    }

    #[test]
    fn mistakes_name_their_line_and_the_nearest_name() {
        let cases = [
            (
                r#"{"entity":"Clpi"}"#,
                "line 1: the store's model has no entity \"Clpi\" (did you mean \"Clip\"?)",
            ),
            (
                r#"{"entity":"Clip","values":{"titel":"x"}}"#,
                "has no attribute \"titel\" (did you mean \"title\"?)",
            ),
            (r#"{"entity":"Clip","values":{"score":"high"}}"#, "line 1: Clip.score: expected a double value"),
            (r#"{"entity":"Clip","values":{"folder":"x"}}"#, "Clip.folder is a relationship"),
            (r#"{"entity":"Clip","relationships":{"title":null}}"#, "Clip.title is an attribute"),
            (
                r#"{"entity":"Clip","ref":"c","relationships":{"tags":"c"}}"#,
                "Clip.tags is a to-many relationship",
            ),
            (r#"{"entity":"Clip","ref":"c","relationships":{"folder":["c"]}}"#, "Clip.folder is a to-one"),
            (
                r#"{"entity":"Clip","ref":"c","relationships":{"folder":"c"}}"#,
                "Clip.folder holds Folder objects, but ref \"c\" (line 1) is a Clip",
            ),
            (r#"{"entity":"Clip","relationships":{"folders":null}}"#, "(did you mean \"folder\"?)"),
        ];
        for (text, message) in cases {
            let error = check(text).unwrap_err().to_string();
            assert!(error.contains(message), "{error:?} should contain {message:?}");
        }
    }
}
