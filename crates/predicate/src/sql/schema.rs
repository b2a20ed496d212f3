//! How a model maps to SQL tables: the [`SqlSchema`] contract the compiler reads, and
//! [`DefaultSchema`], the layout Strata's SQL stores create.
//!
//! The default layout:
//! - one table per inheritance hierarchy, named after the root entity, with `Z_PK INTEGER
//!   PRIMARY KEY`, `Z_ENT` (the [`EntityIndex`] of the row's concrete entity) and `Z_OPT`
//!   (the row version for optimistic locking), then one column per attribute of every entity
//!   of the hierarchy, named as the attribute; when two entities of one hierarchy declare the
//!   same name, the later one in hierarchy order (root first, then
//!   [`Model::descendants`] order) gets `<Entity>_<name>`;
//! - a to-one relationship is a foreign-key column on the source row (named as the
//!   relationship) when its inverse is to-many or missing. For a one-to-one pair the column
//!   sits on exactly one side, the *owner*: the side whose entity lists the relationship in a
//!   uniqueness constraint if exactly one side does, otherwise the side whose
//!   `(declaring entity name, relationship name)` sorts first (a relationship that is its own
//!   inverse owns itself). The other side reads the owner's column;
//! - a to-many relationship with a to-one inverse reads the inverse's column; a many-to-many
//!   pair shares one join table `Z_<Entity>_<relationship>` named after its owner (same rule),
//!   and a to-many relationship without inverse has its own; a join table holds `Z_SOURCE`
//!   (the owner side's key) and `Z_TARGET`, and is keyed by both;
//! - no `REFERENCES` clauses: the `noAction` delete rule allows dangling references, and
//!   contexts enforce delete rules themselves.
//!
//! SQL identifiers are case-insensitive, so every name here is unique without regard to
//! case; a name that would clash gets a `_2`, `_3`, … suffix. This module only describes the
//! layout; it never runs SQL.

use std::collections::{HashMap, HashSet};

use strata_model::{AttributeType, EntityIndex, Model, Relationship};

/// The primary-key column of every entity table.
pub const PRIMARY_KEY_COLUMN: &str = "Z_PK";
/// The column holding the [`EntityIndex`] of a row's concrete entity.
pub const ENTITY_COLUMN: &str = "Z_ENT";
/// The row-version column used for optimistic locking.
pub const VERSION_COLUMN: &str = "Z_OPT";
/// The join-table column holding the owner side's primary key.
pub const JOIN_SOURCE_COLUMN: &str = "Z_SOURCE";
/// The join-table column holding the other side's primary key.
pub const JOIN_TARGET_COLUMN: &str = "Z_TARGET";

/// How a model's entities and properties map to tables and columns: what the SQL compiler
/// needs to know. [`DefaultSchema`] is Strata's own layout; a store with another layout
/// implements this trait and the compiler follows it.
///
/// Every entity table must have the [`PRIMARY_KEY_COLUMN`] (an integer key, unique within
/// the table) and, when rows of several entities share it, the [`ENTITY_COLUMN`].
pub trait SqlSchema {
    /// The (unquoted) name of the table holding the rows of `entity`; `None` if the schema
    /// does not know the entity.
    fn table(&self, entity: EntityIndex) -> Option<&str>;

    /// Every entity whose rows live in the table of `entity` (itself included).
    fn table_entities(&self, entity: EntityIndex) -> &[EntityIndex];

    /// The value of [`ENTITY_COLUMN`] in rows whose concrete entity is `entity`.
    fn entity_code(&self, entity: EntityIndex) -> i64 {
        i64::from(entity.0)
    }

    /// The column of `entity`'s table holding `attribute` (inherited attributes included);
    /// `None` if the entity has no such attribute.
    fn attribute_column(&self, entity: EntityIndex, attribute: &str) -> Option<&str>;

    /// Where the relationship `relationship` of `entity` is stored; `None` if the entity has
    /// no such relationship.
    fn relationship_mapping(
        &self,
        entity: EntityIndex,
        relationship: &str,
    ) -> Option<RelationshipMapping<'_>>;
}

/// Where a relationship's links are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelationshipMapping<'a> {
    /// The source row holds the destination's primary key in `column` (to-one).
    ForeignKey {
        /// The column of the source table.
        column: &'a str,
    },
    /// Destination rows hold the source's primary key in `column` of the destination table
    /// (to-many with a to-one inverse, or the non-owner side of a one-to-one pair).
    InverseForeignKey {
        /// The column of the destination table.
        column: &'a str,
    },
    /// Rows of a join table pair the source's key (`source_column`) with a destination's key
    /// (`target_column`).
    JoinTable {
        /// The join table.
        table: &'a str,
        /// The column holding the source's primary key.
        source_column: &'a str,
        /// The column holding the destination's primary key.
        target_column: &'a str,
    },
}

/// An entity table: one per inheritance hierarchy.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Table {
    /// The table name (the root entity's name unless that clashes).
    pub name: String,
    /// The entities whose rows it holds, root first.
    pub entities: Vec<EntityIndex>,
    /// Its columns: `Z_PK`, `Z_ENT`, `Z_OPT`, then attributes and foreign keys.
    pub columns: Vec<Column>,
}

/// A column of an entity table.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Column {
    /// The column name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// What a column of an entity table holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ColumnKind {
    /// `Z_PK`.
    PrimaryKey,
    /// `Z_ENT`.
    EntityCode,
    /// `Z_OPT`.
    Version,
    /// An attribute, stored as [`Value::to_sql`](strata_model::Value::to_sql) says.
    Attribute {
        /// The entity declaring the attribute.
        entity: EntityIndex,
        /// The attribute's name.
        attribute: String,
        /// The attribute's type.
        ty: AttributeType,
    },
    /// A to-one relationship's destination key.
    ForeignKey {
        /// The entity declaring the relationship.
        entity: EntityIndex,
        /// The relationship's name.
        relationship: String,
        /// The destination entity.
        destination: EntityIndex,
    },
}

/// A join table of a many-to-many pair or of a to-many relationship without inverse.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JoinTable {
    /// The table name (`Z_<Entity>_<relationship>`).
    pub name: String,
    /// The entity declaring the owning relationship; `Z_SOURCE` holds its keys.
    pub entity: EntityIndex,
    /// The owning relationship.
    pub relationship: String,
    /// The destination entity; `Z_TARGET` holds its keys.
    pub destination: EntityIndex,
}

/// An index (or a unique index enforcing a uniqueness constraint).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The indexed table.
    pub table: String,
    /// The indexed columns, in order.
    pub columns: Vec<String>,
    /// Whether it is a unique index.
    pub unique: bool,
    /// For a partial index: the entity codes (`Z_ENT` values) of the rows it covers.
    pub entity_codes: Option<Vec<i64>>,
}

/// Strata's table layout for a model (see the module documentation).
///
/// Built once per model; cheap to query. Its DDL is
/// [`DefaultSchema::create_statements`].
#[derive(Debug, Clone)]
pub struct DefaultSchema {
    pub(super) tables: Vec<Table>,
    pub(super) join_tables: Vec<JoinTable>,
    pub(super) indexes: Vec<Index>,
    entities: Vec<EntityLayout>,
}

#[derive(Debug, Clone)]
struct EntityLayout {
    table: usize,
    attributes: HashMap<String, String>,
    relationships: HashMap<String, Mapping>,
}

#[derive(Debug, Clone)]
enum Mapping {
    ForeignKey(String),
    InverseForeignKey(String),
    JoinTable { table: usize, reversed: bool },
}

/// Hands out names unique without regard to case.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn take(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        let mut n = 2;
        while !self.0.insert(name.to_lowercase()) {
            name = format!("{wanted}_{n}");
            n += 1;
        }
        name
    }

    /// Like `take`, but tries `fallback` before numbering.
    fn take_or(&mut self, wanted: &str, fallback: &str) -> String {
        if self.0.contains(&wanted.to_lowercase()) { self.take(fallback) } else { self.take(wanted) }
    }
}

impl DefaultSchema {
    /// The default layout for `model`.
    pub fn new(model: &Model) -> DefaultSchema {
        let mut schema_names = Names::default();
        let mut tables = Vec::new();
        let mut table_of = vec![0; model.entities().len()];
        // Columns keyed by (declaring entity, property name).
        let mut own_columns: HashMap<(EntityIndex, &str), String> = HashMap::new();
        for root in model.entities().iter().filter(|e| e.parent().is_none()) {
            let entities = model.descendants(root.index());
            let mut names = Names::default();
            let mut columns = vec![
                Column { name: names.take(PRIMARY_KEY_COLUMN), kind: ColumnKind::PrimaryKey },
                Column { name: names.take(ENTITY_COLUMN), kind: ColumnKind::EntityCode },
                Column { name: names.take(VERSION_COLUMN), kind: ColumnKind::Version },
            ];
            for &index in &entities {
                table_of[index.get()] = tables.len();
                let entity = model.entity_at(index);
                for a in entity.attributes().iter().filter(|a| a.declared_in() == index) {
                    let name = names.take_or(a.name(), &format!("{}_{}", entity.name(), a.name()));
                    own_columns.insert((index, a.name()), name.clone());
                    let kind = ColumnKind::Attribute {
                        entity: index,
                        attribute: a.name().to_owned(),
                        ty: a.attribute_type(),
                    };
                    columns.push(Column { name, kind });
                }
                for r in entity.relationships().iter().filter(|r| r.declared_in() == index) {
                    if !stores_foreign_key(model, r) {
                        continue;
                    }
                    let name = names.take_or(r.name(), &format!("{}_{}", entity.name(), r.name()));
                    own_columns.insert((index, r.name()), name.clone());
                    let kind = ColumnKind::ForeignKey {
                        entity: index,
                        relationship: r.name().to_owned(),
                        destination: r.destination(),
                    };
                    columns.push(Column { name, kind });
                }
            }
            tables.push(Table { name: schema_names.take(root.name()), entities, columns });
        }

        let mut join_tables: Vec<JoinTable> = Vec::new();
        let mut join_of: HashMap<(EntityIndex, &str), usize> = HashMap::new();
        let mut layouts = Vec::with_capacity(model.entities().len());
        for entity in model.entities() {
            let attributes = entity
                .attributes()
                .iter()
                .filter_map(|a| {
                    Some((a.name().to_owned(), own_columns.get(&(a.declared_in(), a.name()))?.clone()))
                })
                .collect();
            let mut relationships = HashMap::new();
            for r in entity.relationships() {
                let inverse = model.inverse_of(r);
                let mapping = match inverse {
                    _ if stores_foreign_key(model, r) => {
                        own_columns.get(&(r.declared_in(), r.name())).cloned().map(Mapping::ForeignKey)
                    }
                    Some(inv) if !inv.is_to_many() => own_columns
                        .get(&(inv.declared_in(), inv.name()))
                        .cloned()
                        .map(Mapping::InverseForeignKey),
                    _ => {
                        // Many-to-many or to-many without inverse: a join table named after
                        // the owning side.
                        let (owner, reversed) = match inverse {
                            Some(inv) if !owns_pair(model, r, inv) => (inv, true),
                            _ => (r, false),
                        };
                        let key = (owner.declared_in(), owner.name());
                        let table = *join_of.entry(key).or_insert_with(|| {
                            let owner_entity = model.entity_at(owner.declared_in()).name();
                            join_tables.push(JoinTable {
                                name: schema_names.take(&format!("Z_{owner_entity}_{}", owner.name())),
                                entity: owner.declared_in(),
                                relationship: owner.name().to_owned(),
                                destination: owner.destination(),
                            });
                            join_tables.len() - 1
                        });
                        Some(Mapping::JoinTable { table, reversed })
                    }
                };
                if let Some(mapping) = mapping {
                    relationships.insert(r.name().to_owned(), mapping);
                }
            }
            layouts.push(EntityLayout { table: table_of[entity.index().get()], attributes, relationships });
        }

        let mut schema = DefaultSchema { tables, join_tables, indexes: Vec::new(), entities: layouts };
        schema.indexes = schema.plan_indexes(model, &mut schema_names);
        schema
    }

    /// The entity tables, one per inheritance hierarchy, in root-entity order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The join tables.
    pub fn join_tables(&self) -> &[JoinTable] {
        &self.join_tables
    }

    /// Every index the DDL creates (join-table keys excluded: they are primary keys).
    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    /// The entity table of `entity`.
    pub fn table_of(&self, entity: EntityIndex) -> Option<&Table> {
        self.entities.get(entity.get()).map(|l| &self.tables[l.table])
    }

    /// The column holding `property` of `entity` if it is an attribute or a to-one
    /// relationship stored on `entity`'s row.
    fn property_column(&self, entity: EntityIndex, property: &str) -> Option<&str> {
        self.attribute_column(entity, property).or_else(|| {
            match self.relationship_mapping(entity, property) {
                Some(RelationshipMapping::ForeignKey { column }) => Some(column),
                _ => None,
            }
        })
    }

    fn plan_indexes(&self, model: &Model, names: &mut Names) -> Vec<Index> {
        let mut indexes = Vec::new();
        let mut add = |table: &str, columns: Vec<String>, unique: bool, entity_codes: Option<Vec<i64>>| {
            let prefix = if unique { "Z_UNIQUE" } else { "Z_INDEX" };
            let mut wanted = format!("{prefix}_{table}_{}", columns.join("_"));
            // PostgreSQL truncates identifiers at 63 bytes; keep room for a `_n` suffix.
            if wanted.len() > 56 {
                let mut cut = 56;
                while !wanted.is_char_boundary(cut) {
                    cut -= 1;
                }
                wanted.truncate(cut);
            }
            let name = names.take(&wanted);
            indexes.push(Index { name, table: table.to_owned(), columns, unique, entity_codes });
        };
        for table in &self.tables {
            if table.entities.len() > 1 {
                add(&table.name, vec![ENTITY_COLUMN.to_owned()], false, None);
            }
            for column in &table.columns {
                let indexed = match &column.kind {
                    ColumnKind::Attribute { entity, attribute, .. } => {
                        model.entity_at(*entity).attribute(attribute).is_some_and(|a| a.is_indexed())
                    }
                    ColumnKind::ForeignKey { .. } => true,
                    _ => false,
                };
                if indexed {
                    add(&table.name, vec![column.name.clone()], false, None);
                }
            }
        }
        for join in &self.join_tables {
            add(&join.name, vec![JOIN_TARGET_COLUMN.to_owned(), JOIN_SOURCE_COLUMN.to_owned()], false, None);
        }
        for entity in model.entities() {
            let index = entity.index();
            let Some(table) = self.table_of(index) else { continue };
            // A constraint on an entity covers its sub-entities too; a partial index keeps
            // other entities sharing the table out of it.
            let kinds = model.descendants(index);
            let entity_codes = (kinds.len() < table.entities.len())
                .then(|| kinds.iter().map(|&e| self.entity_code(e)).collect());
            let own = |list: &&Vec<String>| {
                // Inherited constraints and indexes are the parent's, created once there.
                entity.parent().is_none_or(|p| {
                    let parent = model.entity_at(p);
                    !parent.uniqueness_constraints().contains(list) && !parent.indexes().contains(list)
                })
            };
            let columns_of = |list: &Vec<String>| -> Option<Vec<String>> {
                list.iter().map(|p| self.property_column(index, p).map(str::to_owned)).collect()
            };
            for list in entity.uniqueness_constraints().iter().filter(own) {
                // A constraint naming the non-owner side of a one-to-one pair has no column
                // here; such a link is unique by construction, so nothing is lost but the
                // combination with other properties (documented limitation).
                if let Some(columns) = columns_of(list) {
                    add(&table.name, columns, true, entity_codes.clone());
                }
            }
            for list in entity.indexes().iter().filter(own) {
                if let Some(columns) = columns_of(list) {
                    add(&table.name, columns, false, None);
                }
            }
        }
        indexes
    }
}

impl SqlSchema for DefaultSchema {
    fn table(&self, entity: EntityIndex) -> Option<&str> {
        self.table_of(entity).map(|t| t.name.as_str())
    }

    fn table_entities(&self, entity: EntityIndex) -> &[EntityIndex] {
        self.table_of(entity).map_or(&[], |t| t.entities.as_slice())
    }

    fn attribute_column(&self, entity: EntityIndex, attribute: &str) -> Option<&str> {
        self.entities.get(entity.get())?.attributes.get(attribute).map(String::as_str)
    }

    fn relationship_mapping(
        &self,
        entity: EntityIndex,
        relationship: &str,
    ) -> Option<RelationshipMapping<'_>> {
        Some(match self.entities.get(entity.get())?.relationships.get(relationship)? {
            Mapping::ForeignKey(column) => RelationshipMapping::ForeignKey { column },
            Mapping::InverseForeignKey(column) => RelationshipMapping::InverseForeignKey { column },
            Mapping::JoinTable { table, reversed } => {
                let (source_column, target_column) = if *reversed {
                    (JOIN_TARGET_COLUMN, JOIN_SOURCE_COLUMN)
                } else {
                    (JOIN_SOURCE_COLUMN, JOIN_TARGET_COLUMN)
                };
                RelationshipMapping::JoinTable {
                    table: &self.join_tables[*table].name,
                    source_column,
                    target_column,
                }
            }
        })
    }
}

/// Whether `r` is a to-one relationship whose foreign key sits on its own row.
fn stores_foreign_key(model: &Model, r: &Relationship) -> bool {
    if r.is_to_many() {
        return false;
    }
    match model.inverse_of(r) {
        Some(inv) if !inv.is_to_many() => owns_pair(model, r, inv),
        _ => true,
    }
}

/// Whether `r` is the owner of the pair `r` ↔ `inverse` (see the module documentation).
fn owns_pair(model: &Model, r: &Relationship, inverse: &Relationship) -> bool {
    let constrained = |rel: &Relationship| {
        model
            .entity_at(rel.declared_in())
            .uniqueness_constraints()
            .iter()
            .any(|c| c.iter().any(|p| p == rel.name()))
    };
    let (mine, theirs) = (constrained(r), constrained(inverse));
    if mine != theirs {
        return mine;
    }
    let key =
        |rel: &Relationship| (model.entity_at(rel.declared_in()).name().to_owned(), rel.name().to_owned());
    key(r) <= key(inverse)
}
