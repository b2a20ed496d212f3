//! [`Context::fetch_rows`]: dictionary fetches returning rows — grouped (`group_by`,
//! `having`), aggregated (`count`, `sum`, `avg`, `min`, `max`) or distinct — checked against
//! the model here and computed by the store (in SQL by SQL stores) under the rules of
//! [`store::dictionary`](crate::store::dictionary).
//!
//! As in Core Data, rows reflect what is saved in the store: the context's pending inserts,
//! edits and deletions are not included, whatever
//! [`FetchRequest::include_pending_changes`] says (save first to count them). Nothing here
//! registers an object.

use strata_model::{AttributeType, EntityIndex, Property};
use strata_predicate::{Expr, KeyPath, PathBase, PathComponent, Predicate, PredicateError};

use super::super::Context;
use super::PropertyPath;
use crate::Result;
use crate::fetch_request::{Aggregate, AggregateFunction, FetchError, FetchRequest, ResultRow, ResultType};
use crate::store::{ColumnValue, RowColumn, RowsRequest, StoreFetchResult, StoreKeyPath, StoreResultType};

impl Context {
    /// Runs a dictionaries fetch and returns its rows: one per group for grouped or
    /// aggregated requests, the distinct rows for distinct ones, one per object otherwise
    /// (the [`Context::fetch`] dictionaries without their IDs).
    ///
    /// Grouped, aggregated and distinct rows are computed by the store (in SQL by SQL
    /// stores) under the rules of [`store::dictionary`](crate::store::dictionary), from saved
    /// data only: as in Core Data, the context's pending inserts, edits and deletions are not
    /// included, whatever [`FetchRequest::include_pending_changes`] says (save first to count
    /// them). Sort descriptors then name results (a fetched key path such as `folder.name`,
    /// or an aggregate's name), and offset and limit count rows.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use strata_core::{Aggregate, Context, Coordinator, FetchRequest, ResultType, Value, memory_store::MemoryStore};
    /// # let model = Arc::new(strata_model::Model::from_json(r#"{"name":"M","version":1,"entities":[{"name":"Clip","attributes":[{"name":"kind","type":"string"},{"name":"score","type":"int64"}]}]}"#).unwrap());
    /// # let coordinator = Coordinator::new(model.clone());
    /// # coordinator.add_store("Default", Arc::new(MemoryStore::new(model)))?;
    /// let mut context = Context::new(coordinator);
    /// for (kind, score) in [("a", 1), ("b", 5), ("a", 2)] {
    ///     let clip = context.insert("Clip")?;
    ///     context.set(clip, "kind", kind)?;
    ///     context.set(clip, "score", score as i64)?;
    /// }
    /// context.save()?;
    /// let request = FetchRequest::new("Clip")
    ///     .result_type(ResultType::Dictionaries)
    ///     .properties(["kind"])
    ///     .group_by(["kind"])
    ///     .aggregate(Aggregate::sum("total", "score"))
    ///     .aggregate(Aggregate::count_all("n"));
    /// let rows = context.fetch_rows(&request)?;
    /// assert_eq!(rows[0].value("kind"), Some(&Value::from("a")));
    /// assert_eq!((rows[0].value("total"), rows[0].value("n")), (Some(&Value::Int64(3)), Some(&Value::Int64(2))));
    /// # Ok::<(), strata_core::Error>(())
    /// ```
    pub fn fetch_rows(&mut self, request: &FetchRequest) -> Result<Vec<ResultRow>> {
        if request.result_type_value() != ResultType::Dictionaries {
            return Err(FetchError::NeedsDictionaries.into());
        }
        if !request.returns_rows() {
            let result = self.fetch(request)?;
            return Ok(result
                .dictionaries()
                .iter()
                .map(|d| ResultRow { entries: d.entries.clone() })
                .collect());
        }
        let entity = self.entity_named(request.entity())?.index();
        let predicate = match request.predicate_ref() {
            Some(p) => Some(p.check(&self.model, entity).map_err(PredicateError::from)?),
            None => None,
        };
        let rows = self.plan_rows(request, entity)?;
        let names: Vec<String> = rows.columns.iter().map(|c| c.name.clone()).collect();
        let store_request = crate::store::StoreFetchRequest {
            entity,
            include_subentities: request.includes_subentities(),
            predicate,
            sort: request.sort_descriptors().to_vec(),
            offset: request.offset_value(),
            limit: request.limit_value(),
            result: StoreResultType::Rows(Box::new(rows)),
        };
        // At the pinned query generation, if any; rows never include pending changes.
        let values = match self.store_fetch(&store_request)? {
            StoreFetchResult::Rows(values) => values,
            _ => Vec::new(),
        };
        Ok(values
            .into_iter()
            .map(|row| ResultRow { entries: names.iter().cloned().zip(row).collect() })
            .collect())
    }

    /// Checks a rows request against the model and builds the store's request.
    fn plan_rows(&self, request: &FetchRequest, entity: EntityIndex) -> Result<RowsRequest> {
        let store_path =
            |p: PropertyPath| StoreKeyPath { keys: p.keys, ends_on_relationship: p.ends_on_relationship };
        let mut columns = Vec::new();
        if request.property_names().is_empty() && request.aggregates().is_empty() {
            let e = self.model.entity_at(entity);
            let attributes = e.attributes().iter().map(|a| (a.name(), false));
            let to_one = e.relationships().iter().filter(|r| !r.is_to_many()).map(|r| (r.name(), true));
            for (name, ends_on_relationship) in attributes.chain(to_one) {
                let path = StoreKeyPath { keys: vec![name.to_owned()], ends_on_relationship };
                columns.push(RowColumn { name: name.to_owned(), value: ColumnValue::KeyPath(path) });
            }
        }
        for path in request.property_names() {
            let checked = store_path(self.check_key_path(entity, path)?);
            columns.push(RowColumn { name: path.clone(), value: ColumnValue::KeyPath(checked) });
        }
        for aggregate in request.aggregates() {
            columns.push(self.check_aggregate(entity, aggregate)?);
        }
        let mut group_by = Vec::with_capacity(request.group_by_paths().len());
        for path in request.group_by_paths() {
            group_by.push(store_path(self.check_key_path(entity, path)?));
        }
        let rows = RowsRequest {
            columns,
            group_by,
            having: request.having_ref().cloned(),
            distinct: request.is_distinct(),
        };
        let names: Vec<String> = rows.columns.iter().map(|c| c.name.clone()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(FetchError::DuplicateResultName { name: name.clone() }.into());
            }
        }
        if rows.is_grouped() {
            for column in &rows.columns {
                if let ColumnValue::KeyPath(path) = &column.value
                    && !rows.group_by.contains(path)
                {
                    return Err(FetchError::UngroupedProperty { key_path: column.name.clone() }.into());
                }
            }
        }
        let unknown = |name: String| FetchError::UnknownResultName { name, results: names.clone() };
        let known = |path: &str| names.iter().any(|n| n == path || n.starts_with(&format!("{path}.")));
        if let Some(having) = &rows.having {
            let mut paths = Vec::new();
            key_paths(having, &mut paths);
            if let Some(bad) = paths.into_iter().find(|p| !known(p)) {
                return Err(unknown(bad).into());
            }
        }
        for sort in request.sort_descriptors() {
            let path = sort.keys().collect::<Vec<_>>().join(".");
            if !names.contains(&path) {
                return Err(unknown(path).into());
            }
        }
        Ok(rows)
    }

    /// Checks an aggregate: its key path reaches an attribute its function applies to.
    fn check_aggregate(&self, entity: EntityIndex, aggregate: &Aggregate) -> Result<RowColumn> {
        let function = aggregate.function();
        let name = aggregate.name().to_owned();
        let Some(path) = aggregate.key_path() else {
            return match function {
                AggregateFunction::Count => Ok(RowColumn {
                    name,
                    value: ColumnValue::Aggregate { function, key_path: None, attribute_type: None },
                }),
                _ => Err(FetchError::AggregateNeedsKeyPath { name, function }.into()),
            };
        };
        let checked = self.check_key_path(entity, path)?;
        if checked.ends_on_relationship {
            return Err(
                FetchError::AggregateNeedsAttribute { name, function, key_path: path.to_owned() }.into()
            );
        }
        let mut current = self.model.entity_at(entity);
        let mut ty = None;
        for key in &checked.keys {
            match current.property(key) {
                Some(Property::Relationship(r)) => current = self.model.entity_at(r.destination()),
                Some(Property::Attribute(a)) => ty = Some(a.attribute_type()),
                None => {}
            }
        }
        let Some(ty) = ty else {
            return Err(
                FetchError::AggregateNeedsAttribute { name, function, key_path: path.to_owned() }.into()
            );
        };
        let numeric = matches!(
            ty,
            AttributeType::Int16
                | AttributeType::Int32
                | AttributeType::Int64
                | AttributeType::Double
                | AttributeType::Float
                | AttributeType::Decimal
        );
        let fits = match function {
            AggregateFunction::Count => true,
            AggregateFunction::Sum | AggregateFunction::Avg => numeric,
            AggregateFunction::Min | AggregateFunction::Max => {
                numeric || matches!(ty, AttributeType::Date | AttributeType::String | AttributeType::Bool)
            }
        };
        if !fits {
            return Err(FetchError::AggregateType {
                name,
                function,
                key_path: path.to_owned(),
                attribute_type: ty,
            }
            .into());
        }
        let key_path = StoreKeyPath { keys: checked.keys, ends_on_relationship: false };
        Ok(RowColumn {
            name,
            value: ColumnValue::Aggregate { function, key_path: Some(key_path), attribute_type: Some(ty) },
        })
    }
}

/// The dotted key paths (up to the first collection operator) `predicate` reads from the
/// evaluated object.
fn key_paths(predicate: &Predicate, out: &mut Vec<String>) {
    match predicate {
        Predicate::True | Predicate::False => {}
        Predicate::And(parts) | Predicate::Or(parts) => parts.iter().for_each(|p| key_paths(p, out)),
        Predicate::Not(inner) => key_paths(inner, out),
        Predicate::Comparison(c) => {
            expr_paths(&c.left, out);
            expr_paths(&c.right, out);
        }
    }
}

fn expr_paths(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::KeyPath(path) => path_text(path, out),
        Expr::List(items, _) => items.iter().for_each(|e| expr_paths(e, out)),
        _ => {}
    }
}

fn path_text(path: &KeyPath, out: &mut Vec<String>) {
    if let PathBase::SelfObject = path.base {
        let keys: Vec<&str> = path
            .components
            .iter()
            .map_while(|c| match c {
                PathComponent::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect();
        if !keys.is_empty() {
            out.push(keys.join("."));
        }
    }
}
