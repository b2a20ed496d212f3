//! The property every printer/parser pair must have: printing any tree of
//! literal-expressible values and parsing the text gives that tree back, and every
//! comparison's span holds text that parses to that comparison. The strategies here build
//! random ASTs covering every node kind.

use proptest::prelude::*;
use strata_model::{Date, Value};
use strata_predicate::{
    Comparison, Expr, KeyPath, Operator, PathBase, PathComponent, Predicate, Quantifier, Span, StringOptions,
    Subquery,
};

use super::{cases, cmp_full, list, path};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        1 => prop::sample::select(vec!["in", "SELF", "and", "Size", "nil", "subquery", "yes", "név", "CAST"])
            .prop_map(str::to_owned),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int64),
        any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(Value::Double),
        "(?s).{0,10}".prop_map(Value::String),
        prop::sample::select(vec!["%@", "'", "\"", "\\", "\u{0}\u{7f}\u{1b}", "a\nb"]).prop_map(Value::from),
        any::<i64>().prop_map(|m| Value::Date(Date::from_unix_micros(m))),
    ]
}

fn component() -> impl Strategy<Value = PathComponent> {
    prop_oneof![
        4 => name().prop_map(PathComponent::Key),
        1 => prop::sample::select(vec![
            PathComponent::Count,
            PathComponent::Sum,
            PathComponent::Avg,
            PathComponent::Min,
            PathComponent::Max,
        ]),
    ]
}

fn simple_key_path() -> impl Strategy<Value = KeyPath> {
    let base = prop_oneof![3 => Just(PathBase::SelfObject), 1 => name().prop_map(PathBase::Variable)];
    (base, prop::collection::vec(component(), 0..3)).prop_map(|(base, components)| path(base, components))
}

fn key_path(predicates: Option<BoxedStrategy<Predicate>>) -> BoxedStrategy<KeyPath> {
    match predicates {
        None => simple_key_path().boxed(),
        Some(predicates) => {
            let subquery = (simple_key_path(), name(), predicates, prop::collection::vec(component(), 0..2))
                .prop_map(|(collection, variable, predicate, components)| {
                    path(
                        PathBase::Subquery(Box::new(Subquery { collection, variable, predicate })),
                        components,
                    )
                });
            prop_oneof![3 => simple_key_path(), 1 => subquery].boxed()
        }
    }
}

fn expr(predicates: Option<BoxedStrategy<Predicate>>) -> BoxedStrategy<Expr> {
    let scalar = prop_oneof![
        value().prop_map(|v| Expr::Constant(v, Span::default())),
        key_path(predicates).prop_map(Expr::KeyPath),
    ];
    prop_oneof![4 => scalar.clone(), 1 => prop::collection::vec(scalar, 0..3).prop_map(list)].boxed()
}

fn comparison_strategy(predicates: Option<BoxedStrategy<Predicate>>) -> BoxedStrategy<Predicate> {
    let quantifier =
        prop::sample::select(vec![Quantifier::Direct, Quantifier::Any, Quantifier::All, Quantifier::None]);
    let operator = prop::sample::select(vec![
        Operator::Equal,
        Operator::NotEqual,
        Operator::Less,
        Operator::LessOrEqual,
        Operator::Greater,
        Operator::GreaterOrEqual,
        Operator::Between,
        Operator::In,
        Operator::BeginsWith,
        Operator::EndsWith,
        Operator::Contains,
        Operator::Like,
        Operator::Matches,
    ]);
    let options = (any::<bool>(), any::<bool>()).prop_map(|(case_insensitive, diacritic_insensitive)| {
        StringOptions { case_insensitive, diacritic_insensitive }
    });
    let e = expr(predicates);
    (quantifier, e.clone(), operator, options, e.clone(), e)
        .prop_map(|(quantifier, left, operator, options, right, high)| {
            let right = if operator == Operator::Between { list(vec![right, high]) } else { right };
            cmp_full(quantifier, left, operator, options, right)
        })
        .boxed()
}

fn predicate_strategy() -> impl Strategy<Value = Predicate> {
    let leaf =
        prop_oneof![1 => Just(Predicate::True), 1 => Just(Predicate::False), 6 => comparison_strategy(None)];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Predicate::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Predicate::Or),
            inner.clone().prop_map(|p| Predicate::Not(Box::new(p))),
            comparison_strategy(Some(inner.boxed())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    /// Printing any tree of literal-expressible values and parsing it back gives that tree.
    #[test]
    fn printing_then_parsing_gives_the_same_tree(p in predicate_strategy()) {
        let text = p.to_string();
        let parsed = Predicate::parse(&text).map_err(|e| TestCaseError::fail(e.render()))?;
        prop_assert_eq!(parsed.without_spans(), p, "text: {}", text);
    }

    /// Every comparison's span holds text that parses to that same comparison.
    #[test]
    fn comparison_spans_reparse(p in predicate_strategy()) {
        let text = p.to_string();
        let parsed = Predicate::parse(&text).map_err(|e| TestCaseError::fail(e.render()))?;
        let mut comparisons = Vec::new();
        collect_comparisons(&parsed, &mut comparisons);
        for c in comparisons {
            let piece = &text[c.span.start..c.span.end];
            let again = Predicate::parse(piece).map_err(|e| TestCaseError::fail(e.render()))?;
            prop_assert_eq!(again.without_spans(), Predicate::Comparison(c).without_spans(), "piece: {}", piece);
        }
    }
}

fn collect_comparisons(p: &Predicate, out: &mut Vec<Comparison>) {
    match p {
        Predicate::And(ps) | Predicate::Or(ps) => ps.iter().for_each(|p| collect_comparisons(p, out)),
        Predicate::Not(p) => collect_comparisons(p, out),
        Predicate::Comparison(c) => out.push(c.clone()),
        Predicate::True | Predicate::False => {}
    }
}
