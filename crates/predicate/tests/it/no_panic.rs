//! The parser on hostile input: random text, token soup built from the grammar, and random
//! mutations of valid predicates must give `Ok` or `Err`, never a panic or a hang; and
//! whatever parses must print to text that parses back to the same tree.
//!
//! About 2,000 cases per property by default so CI stays fast; `PROPTEST_CASES=200000`
//! (say) turns this into the long-running fuzz run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use strata_model::Value;
use strata_predicate::{Argument, ParseErrorKind, Predicate};

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Valid predicates the mutations start from, covering every construct.
const SEEDS: [&str; 30] = [
    "title BEGINSWITH[c] 'rust' AND score > 2",
    "ANY tags.name ==[cd] \"café\"",
    "ALL tags.score >= 1 OR NONE tags.score < 0",
    "SOME tags.name IN {'a', 'b', 'c'}",
    "score BETWEEN {1, 10}",
    "created > CAST(7.25e8, \"NSDate\")",
    "NOT (pinned == YES || url == nil)",
    "!(a = 1) && b <> 2 && c =< 3 && d => 4",
    "folder.name LIKE[d] '*inbox?'",
    "title MATCHES '[a-z]+\\\\d{2,}'",
    "title ENDSWITH '.pdf' OR title CONTAINS[c] 'report'",
    "SUBQUERY(tags, $t, $t.name BEGINSWITH 'a').@count > 0",
    "SUBQUERY(tags, $t, SUBQUERY($t.clips, $c, $c.score > 1).@count == 0).@count == 2",
    "tags.@sum.score > 10 AND tags.@avg.score < 3.5",
    "tags.@min.score == tags.@max.score",
    "SELF == $obj OR SELF.title == $title",
    "#and == 1 AND #in.#or != NULL",
    "0x1F == a AND 0o17 < b AND 0b101 > c AND -12 != d",
    "a == 1.5e-3 AND b == -2E+10",
    "title == 'it\\'s \\\"quoted\\\" \\u00e9\\n'",
    "TRUEPREDICATE",
    "FALSEPREDICATE OR truepredicate",
    "%K == %@ AND score > %d",
    "name IN %@ OR score BETWEEN %@",
    "a == %f AND b == %s AND c == %i",
    "((((a == 1) OR b == 2) AND c == 3) OR d == 4)",
    "not not not x == 'y'",
    "$var.name ==[c] 'x' AND $v IN folder.clips",
    "tags.name CONTAINS 'a;b--c/*d*/' AND url == 'x%y_z'",
    "created BETWEEN {CAST(0, 'NSDate'), CAST(1e9, 'NSDate')}",
];

/// Pieces of the grammar (and near misses) for token soup.
const TOKENS: [&str; 64] = [
    "(",
    ")",
    "{",
    "}",
    "[c]",
    "[cd]",
    "[x]",
    "[",
    "]",
    ",",
    ".",
    "==",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    "=<",
    ">",
    ">=",
    "=>",
    "!",
    "&&",
    "||",
    "&",
    "|",
    "AND",
    "or",
    "NOT",
    "IN",
    "ANY",
    "ALL",
    "NONE",
    "SOME",
    "BEGINSWITH",
    "LIKE",
    "MATCHES",
    "BETWEEN",
    "CONTAINS",
    "nil",
    "YES",
    "SELF",
    "SUBQUERY",
    "CAST",
    "TRUEPREDICATE",
    "'s'",
    "\"t\"",
    "'",
    "\"",
    "\\",
    "1",
    "-2.5e3",
    "0x",
    "$x",
    "#in",
    "@count",
    "@sum",
    "%@",
    "%K",
    "%d",
    "%",
    "name",
    "tags",
    "'NSDate'",
];

fn arguments() -> impl Strategy<Value = Vec<Argument>> {
    let argument = prop_oneof![
        Just(Argument::Value(Value::Null)),
        any::<i64>().prop_map(Argument::from),
        any::<f64>().prop_map(Argument::from),
        "(?s).{0,8}".prop_map(Argument::from),
        "[a-z.@]{0,8}".prop_map(Argument::KeyPath),
        prop::collection::vec(any::<i32>().prop_map(Value::from), 0..4).prop_map(Argument::List),
    ];
    prop::collection::vec(argument, 0..5)
}

/// Parses `text` with and without `args`, then checks what parsed: it prints to text that
/// parses back to the same tree, and substitution either works or fails cleanly.
fn exercise(text: &str, args: &[Argument]) -> Result<(), TestCaseError> {
    let _ = Predicate::parse_with(text, args);
    let Ok(p) = Predicate::parse(text) else { return Ok(()) };
    let printed = p.to_string();
    let again =
        Predicate::parse(&printed).map_err(|e| TestCaseError::fail(format!("{text:?}: {}", e.render())))?;
    prop_assert_eq!(again.without_spans(), p.without_spans(), "{:?} printed as {:?}", text, printed);
    let vars: HashMap<String, Argument> =
        p.variables().into_iter().map(|v| (v, Argument::from(1_i64))).collect();
    if let Err(e) = p.substitute(&vars) {
        // With every variable bound to a number, only `$x.key`, a number as a SUBQUERY
        // collection, or a number as BETWEEN's bounds can fail.
        prop_assert!(
            matches!(
                e.kind(),
                ParseErrorKind::VariableWithKeys { .. }
                    | ParseErrorKind::WrongVariableType { .. }
                    | ParseErrorKind::BetweenNeedsTwoValues { .. }
            ),
            "{}",
            e.render()
        );
        let _ = e.render();
    }
    let _ = p.substitute(&HashMap::new()).map_err(|e| e.render());
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, u8),
    Delete(usize, usize),
    Replace(usize, u8),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![any::<u8>(), prop::sample::select(b"()[]{}'\"\\%$#@.,=!<>&| -0x".to_vec())];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1..6_usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..12_usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(seed: &str, mutations: &[Mutation]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Insert(i, b) => bytes.insert(at(i), b),
            Mutation::Delete(i, n) => {
                let start = at(i);
                bytes.drain(start..(start + n).min(len));
            }
            Mutation::Replace(i, b) => {
                if len > 0 {
                    bytes[i % len] = b;
                }
            }
            Mutation::Truncate(i) => bytes.truncate(at(i)),
            Mutation::Duplicate(i, n) => {
                let start = at(i);
                let piece = bytes[start..(start + n).min(len)].to_vec();
                bytes.splice(start..start, piece);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "(?s).{0,80}", args in arguments()) {
        exercise(&text, &args)?;
    }

    #[test]
    fn token_soup_never_panics(
        tokens in prop::collection::vec((prop::sample::select(TOKENS.to_vec()), any::<bool>()), 0..24),
        args in arguments(),
    ) {
        let text: String = tokens.iter().map(|(t, space)| if *space { format!("{t} ") } else { (*t).to_owned() }).collect();
        exercise(&text, &args)?;
    }

    #[test]
    fn mutated_predicates_never_panic(
        seed in prop::sample::select(SEEDS.to_vec()),
        mutations in prop::collection::vec(mutation(), 1..4),
        args in arguments(),
    ) {
        exercise(&mutate(seed, &mutations), &args)?;
    }
}

#[test]
fn seeds_are_valid() {
    let args = [Argument::KeyPath("name".into()), Argument::from(1_i64), Argument::from(2_i64)];
    for seed in SEEDS {
        let needed: usize =
            ["%@", "%K", "%d", "%i", "%f", "%s"].iter().map(|p| seed.matches(p).count()).sum();
        let list = Argument::List(vec![1_i64.into(), 2_i64.into()]);
        let result = match needed {
            0 => Predicate::parse(seed),
            2 => Predicate::parse_with(seed, &[list.clone(), list]),
            _ if seed.contains("%f") => Predicate::parse_with(
                seed,
                &[Argument::from(1.0), Argument::from("s"), Argument::from(1_i64)],
            ),
            _ => Predicate::parse_with(seed, &args[..needed]),
        };
        if let Err(e) = result {
            panic!("seed {seed:?} does not parse:\n{}", e.render());
        }
    }
}

/// Pathological inputs finish quickly: nesting is refused at the limit, long flat input is
/// linear.
#[test]
fn hostile_depth_and_length_finish_quickly() {
    let started = Instant::now();
    let n = 10_000;
    for text in [
        "(".repeat(n),
        format!("{}a == 1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}a == 1", "NOT ".repeat(n)),
        format!("{}a == 1", "!".repeat(n)),
        format!("a IN {}", "{".repeat(n)),
        "SUBQUERY(t, $x, ".repeat(n),
    ] {
        let e = Predicate::parse(&text).expect_err("too deep");
        assert_eq!(e.kind(), &ParseErrorKind::TooDeep { limit: 128 }, "{}", &text[..20]);
    }
    let wide = vec!["a == 1"; n].join(" AND ");
    let Predicate::And(parts) = Predicate::parse(&wide).expect("flat AND") else { panic!("not an AND") };
    assert_eq!(parts.len(), n);
    let long_path = format!("{} == 1", vec!["k"; n].join("."));
    Predicate::parse(&long_path).expect("long key path");
    let long_string = format!("a == '{}'", "x\\n".repeat(n * 10));
    Predicate::parse(&long_string).expect("long string");
    let unterminated = format!("a == '{}", "x".repeat(n * 10));
    assert_eq!(Predicate::parse(&unterminated).unwrap_err().kind(), &ParseErrorKind::UnterminatedString);
    let many_placeholders = vec!["a == %@"; n].join(" OR ");
    let e = Predicate::parse(&many_placeholders).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("`%@` (argument 1) has no value: the format uses {n} arguments but 0 were given at 5")
    );
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}
