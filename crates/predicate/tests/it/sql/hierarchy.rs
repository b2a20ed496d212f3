//! The default layout beyond the Clips model: an inheritance hierarchy sharing one table
//! (with a sub-entity column renamed on a clash and a partial unique index), one-to-one
//! pairs (owner chosen by uniqueness constraint, and self-inverse), a to-many without
//! inverse in its own join table — and predicates through each of them agreeing with
//! the in-memory evaluator.

use strata_model::{Model, Value};
use strata_predicate::Predicate;
use strata_predicate::sql::{DefaultSchema, Dialect, RelationshipMapping, SqlSchema, entity_filter};

use super::db::{Db, memory_ids, v};
use crate::support::{Kind, Shape, TestGraph, TestObject};

const MODEL: &str = r#"{ "name": "H", "version": 1, "entities": [
  { "name": "Item", "abstract": true,
    "attributes": [ { "name": "title", "type": "string", "indexed": true } ],
    "relationships": [ { "name": "owner", "destination": "Person", "toMany": false, "inverse": "items" } ] },
  { "name": "Note", "parent": "Item",
    "attributes": [ { "name": "body", "type": "string" } ],
    "uniquenessConstraints": [ [ "title" ] ] },
  { "name": "Link", "parent": "Item",
    "attributes": [ { "name": "body", "type": "binary" }, { "name": "href", "type": "uri" } ] },
  { "name": "Person",
    "attributes": [ { "name": "name", "type": "string" } ],
    "relationships": [
      { "name": "items", "destination": "Item", "toMany": true, "inverse": "owner" },
      { "name": "spouse", "destination": "Person", "toMany": false, "inverse": "spouse" },
      { "name": "passport", "destination": "Passport", "toMany": false, "inverse": "holder" },
      { "name": "friends", "destination": "Person", "toMany": true } ],
    "indexes": [ [ "name", "spouse" ] ] },
  { "name": "Passport",
    "attributes": [ { "name": "number", "type": "string" } ],
    "relationships": [ { "name": "holder", "destination": "Person", "toMany": false, "inverse": "passport" } ],
    "uniquenessConstraints": [ [ "holder" ] ] } ] }"#;

const ITEM_KEYS: &[(&str, Kind)] = &[("title", Kind::Attribute), ("owner", Kind::ToOne { inverse: "items" })];

const SHAPE: Shape = &[
    ("Item", ITEM_KEYS),
    (
        "Note",
        &[("title", Kind::Attribute), ("owner", Kind::ToOne { inverse: "items" }), ("body", Kind::Attribute)],
    ),
    (
        "Link",
        &[
            ("title", Kind::Attribute),
            ("owner", Kind::ToOne { inverse: "items" }),
            ("body", Kind::Attribute),
            ("href", Kind::Attribute),
        ],
    ),
    (
        "Person",
        &[
            ("name", Kind::Attribute),
            ("items", Kind::ToMany { inverse: "owner" }),
            ("spouse", Kind::ToOne { inverse: "spouse" }),
            ("passport", Kind::ToOne { inverse: "holder" }),
            // The model's `friends` has no inverse; the graph keeps one the model never sees.
            ("friends", Kind::ToMany { inverse: "friendOf" }),
            ("friendOf", Kind::ToMany { inverse: "friends" }),
        ],
    ),
    ("Passport", &[("number", Kind::Attribute), ("holder", Kind::ToOne { inverse: "passport" })]),
];

fn model() -> Model {
    Model::from_json(MODEL).unwrap_or_else(|e| panic!("hierarchy model: {e}"))
}

#[test]
fn hierarchy_layout_and_ddl() {
    let model = model();
    let schema = DefaultSchema::new(&model);
    let ddl = schema.create_statements(Dialect::Sqlite);
    assert_eq!(
        ddl[0],
        r#"CREATE TABLE "Item" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "title" TEXT, "owner" INTEGER, "body" TEXT, "Link_body" BLOB, "href" TEXT)"#
    );
    assert_eq!(
        ddl[1],
        r#"CREATE TABLE "Person" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "name" TEXT, "spouse" INTEGER)"#,
        "the passport column sits on Passport, whose uniqueness constraint names it"
    );
    assert_eq!(
        ddl[2],
        r#"CREATE TABLE "Passport" ("Z_PK" INTEGER PRIMARY KEY, "Z_ENT" INTEGER NOT NULL, "Z_OPT" INTEGER NOT NULL, "number" TEXT, "holder" INTEGER)"#
    );
    assert!(ddl.contains(&r#"CREATE TABLE "Z_Person_friends" ("Z_SOURCE" INTEGER NOT NULL, "Z_TARGET" INTEGER NOT NULL, PRIMARY KEY ("Z_SOURCE", "Z_TARGET")) WITHOUT ROWID"#.to_owned()), "{ddl:#?}");
    let note = model.entity("Note").unwrap().index();
    assert!(
        ddl.contains(&format!(
            r#"CREATE UNIQUE INDEX "Z_UNIQUE_Item_title" ON "Item" ("title") WHERE "Z_ENT" IN ({})"#,
            note.0
        )),
        "{ddl:#?}"
    );
    assert!(
        ddl.contains(
            &r#"CREATE UNIQUE INDEX "Z_UNIQUE_Passport_holder" ON "Passport" ("holder")"#.to_owned()
        )
    );
    assert!(ddl.contains(&r#"CREATE INDEX "Z_INDEX_Item_Z_ENT" ON "Item" ("Z_ENT")"#.to_owned()));
    assert!(ddl.contains(&r#"CREATE INDEX "Z_INDEX_Item_title" ON "Item" ("title")"#.to_owned()));
    assert!(
        ddl.contains(
            &r#"CREATE INDEX "Z_INDEX_Person_name_spouse" ON "Person" ("name", "spouse")"#.to_owned()
        )
    );

    let person = model.entity("Person").unwrap().index();
    assert_eq!(schema.attribute_column(model.entity("Link").unwrap().index(), "body"), Some("Link_body"));
    assert_eq!(
        schema.attribute_column(note, "title"),
        Some("title"),
        "inherited attributes share the column"
    );
    assert_eq!(
        schema.relationship_mapping(person, "passport"),
        Some(RelationshipMapping::InverseForeignKey { column: "holder" })
    );
    assert_eq!(
        schema.relationship_mapping(person, "spouse"),
        Some(RelationshipMapping::ForeignKey { column: "spouse" })
    );
    assert_eq!(
        schema.relationship_mapping(person, "items"),
        Some(RelationshipMapping::InverseForeignKey { column: "owner" })
    );
    assert_eq!(entity_filter(&model, note, &schema, "t0"), Ok(Some(format!(r#""t0"."Z_ENT" = {}"#, note.0))));
    let item = model.entity("Item").unwrap().index();
    assert_eq!(entity_filter(&model, item, &schema, "t0"), Ok(None));
    assert_eq!(entity_filter(&model, person, &schema, "t0"), Ok(None));
    // The Postgres DDL of the same layout has the same shape.
    let pg = schema.create_statements(Dialect::Postgres);
    assert_eq!(pg.len(), ddl.len());
    assert!(pg.iter().all(|s| !s.contains("WITHOUT ROWID")));
}

struct People {
    graph: TestGraph,
    people: Vec<TestObject>,
    notes: Vec<TestObject>,
    items: Vec<TestObject>,
}

/// Ann (1) ♥ Bob (2), Cy (3) alone; Ann's friends: Bob and Cy, Bob's: Cy. Notes: "todo"
/// (4, Ann), "done" (5, Bob); links: "site" (6, Ann), untitled (7); passports P-0 (8,
/// nobody's) and P-1 (9, Ann's).
fn people() -> People {
    let graph = TestGraph::new(SHAPE);
    let ann = graph.insert("Person", [("name", v("Ann"))]);
    let bob = graph.insert("Person", [("name", v("Bob"))]);
    let cy = graph.insert("Person", [("name", v("Cy"))]);
    let todo = graph.insert("Note", [("title", v("todo")), ("body", v("milk"))]);
    let done = graph.insert("Note", [("title", v("done"))]);
    let site = graph.insert("Link", [("title", v("site")), ("href", Value::Uri("https://x.test".into()))]);
    let untitled = graph.insert("Link", [("body", Value::Binary(vec![0]))]);
    ann.set_to_one("spouse", Some(&bob));
    todo.set_to_one("owner", Some(&ann));
    done.set_to_one("owner", Some(&bob));
    site.set_to_one("owner", Some(&ann));
    ann.add_to_many("friends", &bob);
    ann.add_to_many("friends", &cy);
    bob.add_to_many("friends", &cy);
    graph.insert("Passport", [("number", v("P-0"))]);
    graph.insert("Passport", [("number", v("P-1"))]).set_to_one("holder", Some(&ann));
    People {
        people: vec![ann, bob, cy],
        notes: vec![todo.clone(), done.clone()],
        items: vec![todo, done, site, untitled],
        graph,
    }
}

#[test]
fn predicates_through_every_mapping_agree_with_memory() {
    let fixture = people();
    let db = Db::with_graph(model(), &fixture.graph);
    let cases: &[(&str, &str, &[TestObject], &[i64])] = &[
        ("Person", "spouse.name == 'Bob'", &fixture.people, &[1]),
        ("Person", "spouse.name == 'Ann'", &fixture.people, &[2]),
        ("Person", "spouse == nil", &fixture.people, &[3]),
        ("Person", "passport.number == 'P-1'", &fixture.people, &[1]),
        ("Person", "passport == nil", &fixture.people, &[2, 3]),
        ("Person", "ANY items.title == 'site'", &fixture.people, &[1]),
        ("Person", "items.@count == 0", &fixture.people, &[3]),
        ("Person", "ANY friends.name == 'Cy'", &fixture.people, &[1, 2]),
        ("Person", "friends.@count == 0", &fixture.people, &[3]),
        ("Person", "ANY friends.friends.name == 'Cy'", &fixture.people, &[1]),
        ("Person", "SUBQUERY(items, $i, $i.title BEGINSWITH 'd').@count == 1", &fixture.people, &[2]),
        ("Note", "owner.name == 'Ann'", &fixture.notes, &[4]),
        ("Note", "title != nil", &fixture.notes, &[4, 5]),
        ("Item", "title == nil", &fixture.items, &[7]),
        ("Item", "owner.passport.number == 'P-1'", &fixture.items, &[4, 6]),
        ("Item", "owner.spouse.spouse.name == 'Ann'", &fixture.items, &[4, 6]),
    ];
    let mut failures = Vec::new();
    for &(entity, text, objects, expected) in cases {
        let index = db.entity(entity);
        let checked =
            Predicate::parse(text).unwrap().check(&db.model, index).unwrap_or_else(|e| panic!("{text}: {e}"));
        let sql = db.ids(index, &checked);
        let memory = memory_ids(&checked, objects);
        if sql.as_deref() != Ok(expected) || memory.as_deref() != Ok(expected) {
            failures.push(format!("{entity}: {text}: expected {expected:?}, SQL {sql:?}, memory {memory:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
