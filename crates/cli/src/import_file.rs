//! Reading `strata import` files: JSON lines, one object per line,
//!
//! ```json
//! {"entity":"Clip","ref":"c1","values":{"title":"…"},"relationships":{"folder":"f1","tags":["t1"]}}
//! ```
//!
//! where `ref` names the object for other lines of the same file (forward references are
//! allowed) and relationships name refs: a string for a to-one, an array for a to-many,
//! `null` to leave a to-one empty. This module only reads and shapes lines; it never
//! touches a store, so a malformed file is refused before anything is written.

use std::collections::HashMap;

/// One line of an import file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    /// 1-based line number, for messages.
    pub line: usize,
    /// The entity name.
    pub entity: String,
    /// The object's reference, if other lines point at it.
    pub reference: Option<String>,
    /// Attribute values as JSON, read later against the attribute types.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Relationship name → referenced objects.
    pub relationships: Vec<(String, Target)>,
}

/// What a relationship of an import line points at.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A to-one destination, or `None` for an empty to-one.
    One(Option<String>),
    /// To-many destinations.
    Many(Vec<String>),
}

/// A line that cannot be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// Reads every non-blank line of `text`; the first bad line stops the reading. References
/// must be unique and every referenced name must be defined somewhere in the file.
pub fn read_records(text: &str) -> Result<Vec<ImportRecord>, LineError> {
    let mut records = Vec::new();
    let mut defined: HashMap<String, usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let record = read_line(line_no, line)?;
        if let Some(r) = &record.reference
            && let Some(first) = defined.insert(r.clone(), line_no)
        {
            return Err(LineError {
                line: line_no,
                problem: format!("ref {r:?} is already used on line {first}"),
            });
        }
        records.push(record);
    }
    for record in &records {
        for (name, target) in &record.relationships {
            let names: Vec<&String> = match target {
                Target::One(one) => one.iter().collect(),
                Target::Many(many) => many.iter().collect(),
            };
            if let Some(missing) = names.into_iter().find(|n| !defined.contains_key(*n)) {
                return Err(LineError {
                    line: record.line,
                    problem: format!("relationship {name:?} names ref {missing:?}, which no line defines"),
                });
            }
        }
    }
    Ok(records)
}

fn read_line(line: usize, text: &str) -> Result<ImportRecord, LineError> {
    let fail = |problem: String| LineError { line, problem };
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let serde_json::Value::Object(mut object) = json else {
        return Err(fail("expected a JSON object".into()));
    };
    let entity = match object.remove("entity") {
        Some(serde_json::Value::String(s)) => s,
        Some(_) => return Err(fail("\"entity\" must be a string".into())),
        None => return Err(fail("missing \"entity\"".into())),
    };
    let reference = match object.remove("ref") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => return Err(fail("\"ref\" must be a string".into())),
    };
    let values = match object.remove("values") {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(map)) => map,
        Some(_) => return Err(fail("\"values\" must be an object".into())),
    };
    let mut relationships = Vec::new();
    match object.remove("relationships") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(map)) => {
            for (name, target) in map {
                let target = match target {
                    serde_json::Value::Null => Target::One(None),
                    serde_json::Value::String(s) => Target::One(Some(s)),
                    serde_json::Value::Array(items) => Target::Many(
                        items
                            .into_iter()
                            .map(|item| match item {
                                serde_json::Value::String(s) => Ok(s),
                                other => {
                                    Err(fail(format!("relationship {name:?}: refs are strings, got {other}")))
                                }
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    other => {
                        return Err(fail(format!(
                            "relationship {name:?} must be a ref, an array of refs or null, got {other}"
                        )));
                    }
                };
                relationships.push((name, target));
            }
        }
        Some(_) => return Err(fail("\"relationships\" must be an object".into())),
    }
    if let Some(unknown) = object.keys().next() {
        return Err(fail(format!(
            "unknown field {unknown:?} (a line has entity, ref, values and relationships)"
        )));
    }
    Ok(ImportRecord { line, entity, reference, values, relationships })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_with_forward_references() {
        let text = r#"{"entity":"Clip","ref":"c1","values":{"title":"a"},"relationships":{"folder":"f1","tags":["t1"]}}

{"entity":"Folder","ref":"f1","values":{"name":"x"}}
{"entity":"Tag","ref":"t1","values":{"name":"rust"},"relationships":{"clips":[]}}"#;
        let records = read_records(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].line, 3);
        assert_eq!(records[0].relationships[0], ("folder".to_owned(), Target::One(Some("f1".into()))));
        assert_eq!(records[0].relationships[1], ("tags".to_owned(), Target::Many(vec!["t1".into()])));
    }

    #[test]
    fn bad_lines_name_their_number() {
        let cases = [
            ("{\"entity\":\"Clip\"}\nnot json", 2, "not JSON"),
            ("[1]", 1, "expected a JSON object"),
            ("{\"values\":{}}", 1, "missing \"entity\""),
            (
                "{\"entity\":\"Clip\",\"ref\":\"a\"}\n{\"entity\":\"Clip\",\"ref\":\"a\"}",
                2,
                "already used on line 1",
            ),
            ("{\"entity\":\"Clip\",\"relationships\":{\"folder\":\"nope\"}}", 1, "which no line defines"),
            ("{\"entity\":\"Clip\",\"relationships\":{\"folder\":3}}", 1, "must be a ref"),
            ("{\"entity\":\"Clip\",\"valeus\":{}}", 1, "unknown field \"valeus\""),
        ];
        for (text, line, message) in cases {
            let error = read_records(text).unwrap_err();
            assert_eq!(error.line, line, "{text}");
            assert!(error.to_string().contains(message), "{error} should mention {message}");
            assert!(error.to_string().starts_with(&format!("line {line}: ")));
        }
    }
}
