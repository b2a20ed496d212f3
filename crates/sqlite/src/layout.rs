//! [`Layout`]: everything the store needs to know about its tables, computed once when the
//! store opens from the model and `DefaultSchema` — quoted names, the select list that
//! reads a whole row, where each attribute and relationship of each entity lives, the
//! `INSERT` text of each entity, the uniqueness constraints to name when an index refuses a
//! row. Hot paths index into it and never look a name up in the schema.
//!
//! This module only describes; it never runs SQL, and it never invents a layout of its own:
//! tables, columns and join tables are exactly `strata_predicate::sql::DefaultSchema`'s.

use std::collections::HashMap;

use strata_core::StoreError;
use strata_model::{AttributeType, EntityIndex, Model};
use strata_predicate::sql::{
    ColumnKind, DefaultSchema, ENTITY_COLUMN, JOIN_SOURCE_COLUMN, JOIN_TARGET_COLUMN, PRIMARY_KEY_COLUMN,
    RelationshipMapping, SqlSchema, VERSION_COLUMN, quote_identifier,
};

use crate::error::STORE_TYPE;

/// The alias of the row being read in every statement the store builds (the predicate
/// compiler is given the same alias).
pub(crate) const ROW_ALIAS: &str = "t0";

/// Positions of the fixed columns at the start of every row select list.
pub(crate) const SELECT_KEY: usize = 0;
/// See [`SELECT_KEY`].
pub(crate) const SELECT_ENTITY: usize = 1;
/// See [`SELECT_KEY`].
pub(crate) const SELECT_VERSION: usize = 2;

/// The store's tables, entities and constraints (see the module docs).
#[derive(Debug)]
pub(crate) struct Layout {
    /// The layout the predicate compiler reads.
    pub schema: DefaultSchema,
    /// One per entity table (inheritance hierarchy), in schema order.
    pub tables: Vec<TableLayout>,
    /// One per entity, by entity index.
    pub entities: Vec<EntityLayout>,
}

/// One entity table.
#[derive(Debug)]
pub(crate) struct TableLayout {
    /// The quoted table name.
    pub name: String,
    /// The unquoted name, as recorded in `Z_PRIMARYKEY`.
    pub raw_name: String,
    /// The root entity of the hierarchy stored here.
    pub root: EntityIndex,
    /// The entities whose rows live here.
    pub entities: Vec<EntityIndex>,
    /// The select list reading a whole row of this table aliased [`ROW_ALIAS`]: key, entity
    /// code, version, every column, then the sub-selects that find one-to-one partners and
    /// the concrete entities of polymorphic destinations.
    pub row_select: String,
    /// `SELECT <row_select> … WHERE Z_PK IN rarray(?1)`: whole rows by key list.
    pub rows_by_key: String,
    /// `SELECT Z_PK, Z_ENT, Z_OPT … WHERE Z_PK IN rarray(?1)`: what a save checks.
    pub states_by_key: String,
    /// Join-table columns holding keys of this table's rows: (quoted join table, quoted
    /// column). Deleting rows deletes their links through these.
    pub join_columns: Vec<(String, String)>,
}

/// One entity: where its attributes and relationships are.
#[derive(Debug)]
pub(crate) struct EntityLayout {
    /// Index into [`Layout::tables`].
    pub table: usize,
    /// One per attribute, in the entity's attribute order.
    pub attributes: Vec<AttributeSlot>,
    /// One per relationship, in the entity's relationship order.
    pub relationships: Vec<RelationshipSlot>,
    /// Attribute or relationship by name, for the in-memory evaluator.
    pub by_name: HashMap<String, Named>,
    /// `INSERT INTO … (Z_PK, Z_ENT, Z_OPT, attributes…, owned foreign keys…) VALUES (?1,
    /// <entity code>, 1, ?2, …)`: one new row, its key, values and foreign keys bound.
    pub insert_sql: String,
    /// The relationships whose foreign key the insert writes, in parameter order.
    pub insert_foreign_keys: Vec<usize>,
    /// Uniqueness constraints the entity's rows obey (inherited ones included).
    pub unique: Vec<UniqueConstraint>,
}

/// What a name of an entity refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Named {
    /// The attribute at this index.
    Attribute(usize),
    /// The relationship at this index.
    Relationship(usize),
}

/// An attribute's column.
#[derive(Debug)]
pub(crate) struct AttributeSlot {
    /// The quoted column name.
    pub column: String,
    /// Its position in the table's row select list.
    pub select: usize,
    /// The attribute's type.
    pub ty: AttributeType,
}

/// Where a relationship's links live.
#[derive(Debug)]
pub(crate) enum RelationshipSlot {
    /// A to-one relationship whose foreign key is on this row.
    Owned {
        /// The quoted column.
        column: String,
        /// Its position in the row select list.
        select: usize,
        /// Who it points at.
        destination: Destination,
    },
    /// The non-owner side of a one-to-one pair: the partner row holds the key.
    Partner {
        /// Index into [`Layout::tables`] of the partner's table.
        owner_table: usize,
        /// The quoted column of the partner's table.
        column: String,
        /// The position of the partner's key in this row's select list.
        select: usize,
        /// Who it points at.
        destination: Destination,
    },
    /// A to-many relationship whose destinations hold the key (its inverse is to-one).
    InverseKey {
        /// Index into [`Layout::tables`] of the destination table.
        table: usize,
        /// The quoted column of the destination table.
        column: String,
        /// Who it points at.
        destination: Destination,
    },
    /// A join-stored to-many relationship.
    Join {
        /// The quoted join table.
        table: String,
        /// The quoted column holding this side's key.
        source: String,
        /// The quoted column holding the destinations' keys.
        target: String,
        /// Who it points at.
        destination: Destination,
    },
}

/// The destination of a relationship, and how a row's concrete entity is learned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Destination {
    /// The declared destination entity.
    pub entity: EntityIndex,
    /// Index into [`Layout::tables`] of its table.
    pub table: usize,
    /// Whether the destination has sub-entities, so a key alone does not say which entity a
    /// destination row is.
    pub polymorphic: bool,
    /// For to-one slots of polymorphic destinations: the position in the row select list of
    /// the destination's entity code.
    pub entity_select: Option<usize>,
}

/// A uniqueness constraint, for naming it when its unique index refuses a row.
#[derive(Debug)]
pub(crate) struct UniqueConstraint {
    /// The entity declaring it.
    pub entity: String,
    /// Its properties, as declared.
    pub properties: Vec<String>,
    /// Each property's quoted column and where the row's value comes from.
    pub columns: Vec<(String, Named)>,
    /// The entity codes the unique index covers, when it is partial.
    pub entity_codes: Option<Vec<i64>>,
}

/// A select list under construction: expressions, deduplicated.
#[derive(Default)]
struct SelectList {
    items: Vec<String>,
    index: HashMap<String, usize>,
}

impl SelectList {
    fn add(&mut self, expression: String) -> usize {
        if let Some(&i) = self.index.get(&expression) {
            return i;
        }
        self.items.push(expression.clone());
        self.index.insert(expression, self.items.len() - 1);
        self.items.len() - 1
    }
}

fn column(alias: &str, column: &str) -> String {
    format!("{}.{}", quote_identifier(alias), quote_identifier(column))
}

impl Layout {
    /// The layout of `model`'s store.
    pub fn new(model: &Model) -> Result<Layout, StoreError> {
        let schema = DefaultSchema::new(model);
        let table_index = |entity: EntityIndex| -> usize {
            let name = schema.table(entity).unwrap_or_default();
            schema.tables().iter().position(|t| t.name == name).unwrap_or(0)
        };
        let mut selects: Vec<SelectList> = schema.tables().iter().map(|_| SelectList::default()).collect();
        for (t, table) in schema.tables().iter().enumerate() {
            let list = &mut selects[t];
            list.add(column(ROW_ALIAS, PRIMARY_KEY_COLUMN));
            list.add(column(ROW_ALIAS, ENTITY_COLUMN));
            list.add(column(ROW_ALIAS, VERSION_COLUMN));
            for c in &table.columns {
                if matches!(c.kind, ColumnKind::Attribute { .. } | ColumnKind::ForeignKey { .. }) {
                    list.add(column(ROW_ALIAS, &c.name));
                }
            }
        }
        let mut entities = Vec::with_capacity(model.entities().len());
        for entity in model.entities() {
            let index = entity.index();
            let t = table_index(index);
            let table_name = quote_identifier(&schema.tables()[t].name);
            let mut attributes = Vec::new();
            let mut by_name = HashMap::new();
            for (i, a) in entity.attributes().iter().enumerate() {
                let raw = schema.attribute_column(index, a.name()).unwrap_or(a.name());
                let select = selects[t].add(column(ROW_ALIAS, raw));
                attributes.push(AttributeSlot {
                    column: quote_identifier(raw),
                    select,
                    ty: a.attribute_type(),
                });
                by_name.insert(a.name().to_owned(), Named::Attribute(i));
            }
            let mut relationships = Vec::new();
            for (i, r) in entity.relationships().iter().enumerate() {
                by_name.insert(r.name().to_owned(), Named::Relationship(i));
                let dest_table = table_index(r.destination());
                let mut destination = Destination {
                    entity: r.destination(),
                    table: dest_table,
                    polymorphic: model.descendants(r.destination()).len() > 1,
                    entity_select: None,
                };
                let dest_name = quote_identifier(&schema.tables()[dest_table].name);
                let slot = match schema.relationship_mapping(index, r.name()) {
                    Some(RelationshipMapping::ForeignKey { column: raw }) => {
                        let select = selects[t].add(column(ROW_ALIAS, raw));
                        if destination.polymorphic {
                            destination.entity_select = Some(selects[t].add(format!(
                                "(SELECT \"s\".\"Z_ENT\" FROM {dest_name} AS \"s\" \
                                 WHERE \"s\".\"Z_PK\" = {})",
                                column(ROW_ALIAS, raw)
                            )));
                        }
                        RelationshipSlot::Owned { column: quote_identifier(raw), select, destination }
                    }
                    Some(RelationshipMapping::InverseForeignKey { column: raw }) if !r.is_to_many() => {
                        let partner = |what: &str| {
                            format!(
                                "(SELECT \"s\".{what} FROM {dest_name} AS \"s\" WHERE \"s\".{} = {} \
                                 ORDER BY \"s\".\"Z_PK\" LIMIT 1)",
                                quote_identifier(raw),
                                column(ROW_ALIAS, PRIMARY_KEY_COLUMN)
                            )
                        };
                        let select = selects[t].add(partner("\"Z_PK\""));
                        if destination.polymorphic {
                            destination.entity_select = Some(selects[t].add(partner("\"Z_ENT\"")));
                        }
                        RelationshipSlot::Partner {
                            owner_table: dest_table,
                            column: quote_identifier(raw),
                            select,
                            destination,
                        }
                    }
                    Some(RelationshipMapping::InverseForeignKey { column: raw }) => {
                        RelationshipSlot::InverseKey {
                            table: dest_table,
                            column: quote_identifier(raw),
                            destination,
                        }
                    }
                    Some(RelationshipMapping::JoinTable { table, source_column, target_column }) => {
                        RelationshipSlot::Join {
                            table: quote_identifier(table),
                            source: quote_identifier(source_column),
                            target: quote_identifier(target_column),
                            destination,
                        }
                    }
                    // The default schema maps every relationship; refuse the model rather than
                    // guess if a future version does not.
                    _ => {
                        return Err(StoreError::Unsupported {
                            store_type: STORE_TYPE.to_owned(),
                            operation: "a relationship the table layout does not map",
                        });
                    }
                };
                relationships.push(slot);
            }
            let mut insert_columns = vec![
                quote_identifier(PRIMARY_KEY_COLUMN),
                quote_identifier(ENTITY_COLUMN),
                quote_identifier(VERSION_COLUMN),
            ];
            insert_columns.extend(attributes.iter().map(|a| a.column.clone()));
            let mut insert_foreign_keys = Vec::new();
            for (i, slot) in relationships.iter().enumerate() {
                if let RelationshipSlot::Owned { column, .. } = slot {
                    insert_columns.push(column.clone());
                    insert_foreign_keys.push(i);
                }
            }
            // The entity code and a new row's version are the same for every row: literals,
            // not parameters bound again for each row.
            let mut values: Vec<String> = (1..insert_columns.len() - 1).map(|i| format!("?{i}")).collect();
            values.splice(1..1, [schema.entity_code(index).to_string(), "1".to_owned()]);
            let insert_sql = format!(
                "INSERT INTO {table_name} ({}) VALUES ({})",
                insert_columns.join(", "),
                values.join(", ")
            );
            let unique = unique_constraints(model, &schema, index, &by_name, &relationships);
            entities.push(EntityLayout {
                table: t,
                attributes,
                relationships,
                by_name,
                insert_sql,
                insert_foreign_keys,
                unique,
            });
        }
        let mut tables: Vec<TableLayout> = schema
            .tables()
            .iter()
            .zip(selects)
            .map(|(table, list)| {
                let name = quote_identifier(&table.name);
                let row_select = list.items.join(", ");
                TableLayout {
                    rows_by_key: format!(
                        "SELECT {row_select} FROM {name} AS \"{ROW_ALIAS}\" \
                         WHERE \"{ROW_ALIAS}\".\"Z_PK\" IN rarray(?1)"
                    ),
                    states_by_key: format!(
                        "SELECT \"Z_PK\", \"Z_ENT\", \"Z_OPT\" FROM {name} WHERE \"Z_PK\" IN rarray(?1)"
                    ),
                    name,
                    raw_name: table.name.clone(),
                    root: table.entities.first().copied().unwrap_or(EntityIndex(0)),
                    entities: table.entities.clone(),
                    row_select,
                    join_columns: Vec::new(),
                }
            })
            .collect();
        for join in schema.join_tables() {
            let name = quote_identifier(&join.name);
            tables[table_index(join.entity)]
                .join_columns
                .push((name.clone(), quote_identifier(JOIN_SOURCE_COLUMN)));
            tables[table_index(join.destination)]
                .join_columns
                .push((name, quote_identifier(JOIN_TARGET_COLUMN)));
        }
        Ok(Layout { schema, tables, entities })
    }

    /// The layout of `entity`, if the model has it.
    pub fn entity(&self, entity: EntityIndex) -> Option<&EntityLayout> {
        self.entities.get(entity.get())
    }
}

/// The uniqueness constraints rows of `entity` obey, each attributed to the highest ancestor
/// declaring it (inherited constraints are listed by every descendant).
fn unique_constraints(
    model: &Model,
    schema: &DefaultSchema,
    entity: EntityIndex,
    by_name: &HashMap<String, Named>,
    relationships: &[RelationshipSlot],
) -> Vec<UniqueConstraint> {
    let mut out = Vec::new();
    for list in model.entity_at(entity).uniqueness_constraints() {
        let mut declaring = entity;
        while let Some(parent) = model.entity_at(declaring).parent() {
            if !model.entity_at(parent).uniqueness_constraints().contains(list) {
                break;
            }
            declaring = parent;
        }
        let mut columns = Vec::with_capacity(list.len());
        for property in list {
            let column = match by_name.get(property) {
                Some(&Named::Attribute(i)) => {
                    let attribute = &model.entity_at(entity).attributes()[i];
                    schema
                        .attribute_column(entity, attribute.name())
                        .map(|c| (quote_identifier(c), Named::Attribute(i)))
                }
                Some(&Named::Relationship(i)) => match &relationships[i] {
                    RelationshipSlot::Owned { column, .. } => Some((column.clone(), Named::Relationship(i))),
                    _ => None,
                },
                None => None,
            };
            columns.push(column);
        }
        // A constraint naming the non-owner side of a one-to-one pair has no unique index
        // (see `DefaultSchema`); it can never be the one an index enforces.
        let Some(columns) = columns.into_iter().collect::<Option<Vec<_>>>() else { continue };
        let kinds = model.descendants(declaring);
        let table_entities = schema.table_entities(entity);
        let entity_codes = (kinds.len() < table_entities.len())
            .then(|| kinds.iter().map(|&e| schema.entity_code(e)).collect());
        out.push(UniqueConstraint {
            entity: model.entity_at(declaring).name().to_owned(),
            properties: list.clone(),
            columns,
            entity_codes,
        });
    }
    out
}
