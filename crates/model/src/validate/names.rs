//! Which names entities and properties may have. Names become predicate keys, SQL table
//! and column names and Rust identifiers in generated code, so they are restricted to
//! identifiers that none of those could misread.

use crate::error::NameProblem;

/// Words the predicate language reserves (matched ignoring case): an entity or property
/// with one of these names could not be named in a predicate.
const KEYWORDS: [&str; 25] = [
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ANY",
    "ALL",
    "NONE",
    "SOME",
    "BETWEEN",
    "CONTAINS",
    "BEGINSWITH",
    "ENDSWITH",
    "MATCHES",
    "SUBQUERY",
    "SELF",
    "NIL",
    "NULL",
    "YES",
    "NO",
    "TRUE",
    "FALSE",
    "TRUEPREDICATE",
    "FALSEPREDICATE",
    "CAST",
];

/// What is wrong with `name` as an entity name, if anything: not an identifier, a predicate
/// keyword, or the `Z_` prefix stores keep for their own tables and columns (ignoring case,
/// as SQL names do).
pub(super) fn entity_name_problem(name: &str) -> Option<NameProblem> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return Some(NameProblem::Empty) };
    if !(first.is_ascii_alphabetic() || first == '_') || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Some(NameProblem::NotIdentifier);
    }
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        return Some(NameProblem::Keyword);
    }
    name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("z_")).then_some(NameProblem::Reserved)
}

/// What is wrong with `name` as a property name, if anything: the same rules as entity
/// names, since both become SQL identifiers.
pub(super) fn property_name_problem(name: &str) -> Option<NameProblem> {
    entity_name_problem(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_only() {
        assert_eq!(entity_name_problem("Clip"), None);
        assert_eq!(entity_name_problem("_x9"), None);
        assert_eq!(entity_name_problem(""), Some(NameProblem::Empty));
        assert_eq!(entity_name_problem("9lives"), Some(NameProblem::NotIdentifier));
        assert_eq!(entity_name_problem("a-b"), Some(NameProblem::NotIdentifier));
        assert_eq!(entity_name_problem("café"), Some(NameProblem::NotIdentifier));
        assert_eq!(entity_name_problem("a.b"), Some(NameProblem::NotIdentifier));
    }

    #[test]
    fn keywords_in_any_case() {
        for k in KEYWORDS {
            assert_eq!(entity_name_problem(k), Some(NameProblem::Keyword), "{k}");
            assert_eq!(entity_name_problem(&k.to_lowercase()), Some(NameProblem::Keyword), "{k}");
        }
        assert_eq!(entity_name_problem("Self"), Some(NameProblem::Keyword));
        assert_eq!(entity_name_problem("selfie"), None);
        assert_eq!(entity_name_problem("size"), None);
    }

    #[test]
    fn z_prefix_is_reserved_for_stores() {
        assert_eq!(property_name_problem("Z_PK"), Some(NameProblem::Reserved));
        assert_eq!(property_name_problem("z_opt"), Some(NameProblem::Reserved));
        assert_eq!(property_name_problem("Z"), None);
        assert_eq!(property_name_problem("Zebra"), None);
        // Stores name their own tables Z_METADATA, Z_PRIMARYKEY, Z_<Entity>_<relationship>.
        assert_eq!(entity_name_problem("Z_Thing"), Some(NameProblem::Reserved));
        assert_eq!(entity_name_problem("z_metadata"), Some(NameProblem::Reserved));
        assert_eq!(property_name_problem("not"), Some(NameProblem::Keyword));
    }
}
