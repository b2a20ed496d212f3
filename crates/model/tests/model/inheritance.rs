//! Entity inheritance: inherited properties and constraints, children, descendants, kinds.

use strata_model::{AttributeBuilder, AttributeType as T, EntityBuilder, Model, RelationshipBuilder};

/// An abstract `Item` with `Note` and `Media` below it and `Photo` below `Media`, declared
/// children first so the validator has to order parents itself.
fn media_model() -> Model {
    Model::builder("Media", 1)
        .entity(
            EntityBuilder::new("Photo")
                .parent("Media")
                .attribute(AttributeBuilder::new("width", T::Int32))
                .unique(["width", "path"]),
        )
        .entity(EntityBuilder::new("Note").parent("Item").attribute(AttributeBuilder::new("body", T::String)))
        .entity(
            EntityBuilder::new("Item")
                .abstract_entity()
                .attribute(AttributeBuilder::new("title", T::String).required())
                .attribute(AttributeBuilder::new("uuid", T::Uuid))
                .relationship(RelationshipBuilder::to_one("album", "Album").inverse("items"))
                .unique(["uuid"])
                .index(["title"]),
        )
        .entity(
            EntityBuilder::new("Media")
                .parent("Item")
                .attribute(AttributeBuilder::new("path", T::String))
                .relationship(RelationshipBuilder::to_many("related", "Media")),
        )
        .entity(
            EntityBuilder::new("Album")
                .relationship(RelationshipBuilder::to_many("items", "Item").inverse("album")),
        )
        .build()
        .unwrap()
}

#[test]
fn properties_are_inherited_parent_first() {
    let model = media_model();
    let photo = model.entity("Photo").unwrap();
    let names: Vec<&str> = photo.attributes().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["title", "uuid", "path", "width"]);
    let declared: Vec<&str> =
        photo.attributes().iter().map(|a| model.entity_at(a.declared_in()).name()).collect();
    assert_eq!(declared, ["Item", "Item", "Media", "Photo"]);
    let relationships: Vec<&str> = photo.relationships().iter().map(|r| r.name()).collect();
    assert_eq!(relationships, ["album", "related"]);
    assert_eq!(model.entity_at(photo.relationship("album").unwrap().declared_in()).name(), "Item");
    assert!(!photo.attribute("title").unwrap().is_optional());
    assert!(photo.property("album").is_some());
    assert_eq!(photo.nearest_property("widht"), Some("width"));
}

#[test]
fn constraints_and_indexes_are_inherited() {
    let model = media_model();
    let photo = model.entity("Photo").unwrap();
    let as_vec = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(photo.uniqueness_constraints(), [as_vec(&["uuid"]), as_vec(&["width", "path"])]);
    assert_eq!(photo.indexes(), [as_vec(&["title"])]);
    assert_eq!(model.entity("Note").unwrap().uniqueness_constraints(), [as_vec(&["uuid"])]);
}

#[test]
fn tree_navigation() {
    let model = media_model();
    let index = |name| model.entity(name).unwrap().index();
    let (photo, note, item, media, album) =
        (index("Photo"), index("Note"), index("Item"), index("Media"), index("Album"));
    // Declaration order is index order, whatever the inheritance.
    assert_eq!([photo.get(), note.get(), item.get(), media.get(), album.get()], [0, 1, 2, 3, 4]);

    let item_entity = model.entity_at(item);
    assert!(item_entity.is_abstract());
    assert_eq!(item_entity.parent(), None);
    assert_eq!(item_entity.children(), [note, media]);
    assert_eq!(model.entity_at(media).children(), [photo]);
    assert_eq!(model.entity_at(photo).parent(), Some(media));

    assert_eq!(model.descendants(item), [item, note, media, photo]);
    assert_eq!(model.descendants(photo), [photo]);
    assert!(model.is_kind_of(photo, item));
    assert!(model.is_kind_of(photo, media));
    assert!(model.is_kind_of(item, item));
    assert!(!model.is_kind_of(item, photo));
    assert!(!model.is_kind_of(note, media));
    assert!(!model.is_kind_of(album, item));
    assert_eq!(model.root_of(photo), item);
    assert_eq!(model.root_of(album), album);
}

#[test]
fn inverses_through_an_abstract_parent() {
    let model = media_model();
    let album = model.entity("Album").unwrap();
    let items = album.relationship("items").unwrap();
    assert_eq!(model.entity_at(items.destination()).name(), "Item");
    // The sub-entity's inherited relationship has the same inverse as its declaration.
    let photo_album = model.entity("Photo").unwrap().relationship("album").unwrap();
    assert_eq!(model.inverse_of(photo_album).unwrap().name(), "items");
}

#[test]
fn inherited_model_round_trips_through_json() {
    let model = media_model();
    let json = model.to_json();
    assert_eq!(json["entities"][0]["parent"], "Media");
    assert_eq!(json["entities"][0]["uniquenessConstraints"], serde_json::json!([["width", "path"]]));
    assert!(json["entities"][0].get("indexes").is_none());
    let again = Model::from_json_value(&json).unwrap();
    assert_eq!(again.hash(), model.hash());
    assert_eq!(again.to_json(), json);
}
