//! [`ModelHash`] computation: SHA-256 over a canonical byte encoding of what a store's
//! layout depends on (see [`ModelHash`] for what is covered and what is left out).
//!
//! The encoding is written out by hand, never produced by serde or `Debug`, so the hash is
//! the same on every run, platform and dependency version. Changing it changes every
//! stored model's hash: bump the version tag and say so in the changelog if you must.
//!
//! # Encoding (version 1)
//!
//! Primitives: `u8` is one byte; `u64` is 8 bytes little-endian; `str` is its UTF-8 byte
//! length as `u64` followed by the bytes; `opt(str)` is `u8` 0, or `u8` 1 then the `str`;
//! `bool` is `u8` 0 or 1; `list(x)` is the element count as `u64` then each element.
//!
//! An entity's hash is SHA-256 of:
//!
//! ```text
//! str("strata.entity.v1")
//! str(name)  bool(abstract)  opt(str(parent name))
//! list(attribute: str(name) str(type name))                       all, inherited first
//! list(relationship: str(name) str(destination name) bool(to-many) opt(str(inverse)))
//! list(uniqueness constraint: list(str(property name)))           inherited first
//! ```
//!
//! The model's hash is SHA-256 of `str("strata.model.v1")`, then the entity count as `u64`,
//! then each entity's 32-byte hash in [`EntityIndex`](crate::EntityIndex) order. The
//! model's name and version are left out: renaming a model does not change its storage.

use sha2::{Digest, Sha256};

use crate::{Entity, Model, ModelHash};

/// Computes and stores every entity's hash, then the model's.
pub(crate) fn fill_hashes(model: &mut Model) {
    let hashes: Vec<ModelHash> = model.entities.iter().map(|e| entity_hash(model, e)).collect();
    let mut out = Encoder::new("strata.model.v1");
    out.len(hashes.len());
    for (entity, hash) in model.entities.iter_mut().zip(&hashes) {
        entity.hash = *hash;
        out.0.update(hash.0);
    }
    model.hash = out.finish();
}

fn entity_hash(model: &Model, entity: &Entity) -> ModelHash {
    let name_of = |i: crate::EntityIndex| model.entities[i.get()].name.as_str();
    let mut out = Encoder::new("strata.entity.v1");
    out.str(&entity.name);
    out.bool(entity.is_abstract);
    out.opt_str(entity.parent.map(name_of));
    out.len(entity.attributes.len());
    for a in &entity.attributes {
        out.str(&a.name);
        out.str(a.ty.name());
    }
    out.len(entity.relationships.len());
    for r in &entity.relationships {
        out.str(&r.name);
        out.str(name_of(r.destination));
        out.bool(r.to_many);
        out.opt_str(r.inverse.as_deref());
    }
    out.len(entity.uniqueness_constraints.len());
    for constraint in &entity.uniqueness_constraints {
        out.len(constraint.len());
        for property in constraint {
            out.str(property);
        }
    }
    out.finish()
}

/// Feeds the primitives of the encoding above into SHA-256.
struct Encoder(Sha256);

impl Encoder {
    fn new(tag: &str) -> Self {
        let mut e = Encoder(Sha256::new());
        e.str(tag);
        e
    }

    fn len(&mut self, n: usize) {
        // usize is at most 64 bits on every supported target.
        self.0.update(u64::try_from(n).unwrap_or(u64::MAX).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.update(s.as_bytes());
    }

    fn bool(&mut self, b: bool) {
        self.0.update([u8::from(b)]);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.0.update([0]),
            Some(s) => {
                self.0.update([1]);
                self.str(s);
            }
        }
    }

    fn finish(self) -> ModelHash {
        ModelHash(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_length_prefixed() {
        // Without the prefix, ["ab", "c"] and ["a", "bc"] would encode alike.
        let hash = |parts: &[&str]| {
            let mut e = Encoder::new("t");
            parts.iter().for_each(|p| e.str(p));
            e.finish()
        };
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(hash(&["ab", "c"]), hash(&["ab", "c"]));
    }

    #[test]
    fn encoder_matches_the_documented_bytes() {
        let mut e = Encoder::new("t");
        e.bool(true);
        e.opt_str(None);
        e.opt_str(Some("x"));
        let mut expected = Sha256::new();
        expected.update([1, 0, 0, 0, 0, 0, 0, 0, b't', 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, b'x']);
        assert_eq!(e.finish().0, <[u8; 32]>::from(expected.finalize()));
    }
}
