//! The parser, the canonical printer, arguments and variable substitution: every operator,
//! modifier, literal, key path form, quantifier and argument kind checked against the tree
//! it must produce; error messages checked word for word; and a property test that printing
//! any tree and parsing it back gives the same tree.

use std::collections::HashMap;

use strata_model::{Date, Value};
use strata_predicate::{
    Argument, Comparison, Expr, KeyPath, Operator, ParseError, ParseErrorKind, PathBase, PathComponent,
    Predicate, Quantifier, Span, StringOptions, Subquery,
};

mod round_trip;

// ---- helpers ----------------------------------------------------------------------------

fn parse(text: &str) -> Predicate {
    Predicate::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse:\n{}", e.render()))
}

fn parse_with(text: &str, args: &[Argument]) -> Predicate {
    Predicate::parse_with(text, args).unwrap_or_else(|e| panic!("{text:?} should parse:\n{}", e.render()))
}

fn fail(text: &str) -> ParseError {
    fail_with(text, &[])
}

fn fail_with(text: &str, args: &[Argument]) -> ParseError {
    match Predicate::parse_with(text, args) {
        Ok(p) => panic!("{text:?} should not parse, got {p:?}"),
        Err(e) => e,
    }
}

/// The single comparison `text` parses to, spans zeroed.
fn comparison(text: &str) -> Comparison {
    match parse(text).without_spans() {
        Predicate::Comparison(c) => c,
        other => panic!("{text:?} is not a comparison: {other:?}"),
    }
}

fn c(v: impl Into<Value>) -> Expr {
    Expr::Constant(v.into(), Span::default())
}

fn list(items: Vec<Expr>) -> Expr {
    Expr::List(items, Span::default())
}

fn key(name: &str) -> PathComponent {
    PathComponent::Key(name.to_owned())
}

fn path(base: PathBase, components: Vec<PathComponent>) -> KeyPath {
    KeyPath { base, components, span: Span::default() }
}

/// `folder.name` as an operand (unprefixed keys only).
fn kp(text: &str) -> Expr {
    Expr::KeyPath(path(PathBase::SelfObject, text.split('.').map(key).collect()))
}

fn cmp(left: Expr, operator: Operator, right: Expr) -> Predicate {
    cmp_full(Quantifier::Direct, left, operator, StringOptions::NONE, right)
}

fn cmp_full(
    quantifier: Quantifier,
    left: Expr,
    operator: Operator,
    options: StringOptions,
    right: Expr,
) -> Predicate {
    Predicate::Comparison(Comparison { quantifier, left, operator, options, right, span: Span::default() })
}

fn date(seconds: f64) -> Value {
    Value::Date(Date::from_reference_seconds(seconds))
}

const C: StringOptions = StringOptions { case_insensitive: true, diacritic_insensitive: false };
const D: StringOptions = StringOptions { case_insensitive: false, diacritic_insensitive: true };
const CD: StringOptions = StringOptions { case_insensitive: true, diacritic_insensitive: true };

/// Cases for property tests: `default`, or `PROPTEST_CASES` for long runs.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

// ---- operators and modifiers --------------------------------------------------------------

#[test]
fn every_comparison_operator() {
    let table = [
        ("=", Operator::Equal),
        ("==", Operator::Equal),
        ("!=", Operator::NotEqual),
        ("<>", Operator::NotEqual),
        ("<", Operator::Less),
        ("<=", Operator::LessOrEqual),
        ("=<", Operator::LessOrEqual),
        (">", Operator::Greater),
        (">=", Operator::GreaterOrEqual),
        ("=>", Operator::GreaterOrEqual),
        ("BEGINSWITH", Operator::BeginsWith),
        ("ENDSWITH", Operator::EndsWith),
        ("CONTAINS", Operator::Contains),
        ("LIKE", Operator::Like),
        ("MATCHES", Operator::Matches),
        ("IN", Operator::In),
    ];
    for (symbol, operator) in table {
        assert_eq!(comparison(&format!("a {symbol} 1")).operator, operator, "{symbol}");
        if !symbol.starts_with(char::is_alphabetic) {
            assert_eq!(comparison(&format!("a{symbol}1")).operator, operator, "{symbol} without spaces");
        }
        assert_eq!(comparison(&format!("a {} 1", symbol.to_lowercase())).operator, operator, "{symbol}");
    }
    assert_eq!(
        parse("a BETWEEN {1, 5}").without_spans(),
        cmp(kp("a"), Operator::Between, list(vec![c(1_i64), c(5_i64)]))
    );
    assert_eq!(
        parse("a IN {'x', 'y'}").without_spans(),
        cmp(kp("a"), Operator::In, list(vec![c("x"), c("y")]))
    );
    assert_eq!(parse("a IN tags.name").without_spans(), cmp(kp("a"), Operator::In, kp("tags.name")));
    assert_eq!(parse("a IN {}").without_spans(), cmp(kp("a"), Operator::In, list(vec![])));
}

#[test]
fn string_modifiers_after_any_operator() {
    for (modifier, options) in [("", StringOptions::NONE), ("[c]", C), ("[d]", D), ("[cd]", CD), ("[dc]", CD)]
    {
        for op in ["BEGINSWITH", "ENDSWITH", "CONTAINS", "LIKE", "MATCHES", "==", "!=", "<", ">=", "IN"] {
            let text = format!("title {op}{modifier} 'x'");
            assert_eq!(comparison(&text).options, options, "{text}");
        }
    }
    assert_eq!(comparison("title like [c] 'x'").options, C, "whitespace before the modifier");
    for bad in ["a ==[x] 1", "a LIKE[cx] 'b'", "a LIKE[] 'b'", "a LIKE[n] 'b'"] {
        assert!(matches!(fail(bad).kind(), ParseErrorKind::UnknownModifier { .. }), "{bad}");
    }
    assert!(matches!(fail("a [c] == 1").kind(), ParseErrorKind::UnexpectedToken { .. }));
    assert!(matches!(fail("a ==[c][c] 1").kind(), ParseErrorKind::ExpectedValue { .. }), "modifier twice");
}

// ---- logic --------------------------------------------------------------------------------

#[test]
fn precedence_is_not_then_and_then_or() {
    let (a, b, cc, d) = (
        cmp(kp("a"), Operator::Equal, c(1_i64)),
        cmp(kp("b"), Operator::Equal, c(2_i64)),
        cmp(kp("c"), Operator::Equal, c(3_i64)),
        cmp(kp("d"), Operator::Equal, c(4_i64)),
    );
    let not = |p: &Predicate| Predicate::Not(Box::new(p.clone()));
    assert_eq!(
        parse("a = 1 OR b = 2 AND NOT c = 3 OR d = 4").without_spans(),
        Predicate::Or(vec![a.clone(), Predicate::And(vec![b.clone(), not(&cc)]), d.clone()])
    );
    assert_eq!(
        parse("a = 1 && b = 2 && c = 3 || !d = 4").without_spans(),
        Predicate::Or(vec![Predicate::And(vec![a.clone(), b.clone(), cc.clone()]), not(&d)])
    );
    assert_eq!(
        parse("(a = 1 OR b = 2) AND c = 3").without_spans(),
        Predicate::And(vec![Predicate::Or(vec![a.clone(), b.clone()]), cc.clone()])
    );
    assert_eq!(
        parse("(a = 1 AND b = 2) AND c = 3").without_spans(),
        Predicate::And(vec![Predicate::And(vec![a.clone(), b.clone()]), cc.clone()]),
        "a parenthesised group is its own node"
    );
    assert_eq!(
        parse("NOT (a = 1 OR b = 2)").without_spans(),
        not(&Predicate::Or(vec![a.clone(), b.clone()]))
    );
    assert_eq!(parse("not not a = 1").without_spans(), not(&not(&a)));
    assert_eq!(parse("((((a = 1))))").without_spans(), a);
    assert_eq!(parse("TRUEPREDICATE").without_spans(), Predicate::True);
    assert_eq!(
        parse("truePredicate or FalsePredicate").without_spans(),
        Predicate::Or(vec![Predicate::True, Predicate::False])
    );
    assert_eq!(
        parse("a = 1 and b = 2 Or c = 3").without_spans(),
        Predicate::Or(vec![Predicate::And(vec![a, b]), cc])
    );
}

// ---- literals -----------------------------------------------------------------------------

#[test]
fn literals() {
    let right = |text: &str| comparison(&format!("a == {text}")).right;
    for (text, value) in [
        ("nil", Value::Null),
        ("NULL", Value::Null),
        ("Nil", Value::Null),
        ("YES", Value::Bool(true)),
        ("true", Value::Bool(true)),
        ("NO", Value::Bool(false)),
        ("FALSE", Value::Bool(false)),
        ("42", Value::Int64(42)),
        ("-42", Value::Int64(-42)),
        ("0x1F", Value::Int64(31)),
        ("0XfF", Value::Int64(255)),
        ("-0x10", Value::Int64(-16)),
        ("0o17", Value::Int64(15)),
        ("0b101", Value::Int64(5)),
        ("9223372036854775807", Value::Int64(i64::MAX)),
        ("-9223372036854775808", Value::Int64(i64::MIN)),
        ("1.5", Value::Double(1.5)),
        ("-0.25", Value::Double(-0.25)),
        ("1e3", Value::Double(1000.0)),
        ("2.5E-2", Value::Double(0.025)),
        ("1e+2", Value::Double(100.0)),
        ("'single'", Value::from("single")),
        ("\"double\"", Value::from("double")),
        (r#""q\"q\'\\\n\t\r\0""#, Value::from("q\"q'\\\n\t\r\0")),
        (r"'\u00e9\u20AC'", Value::from("é€")),
        (r"'\uD83D\uDE00'", Value::from("😀")),
        ("'100% literal %@'", Value::from("100% literal %@")),
        ("'ünïcødé'", Value::from("ünïcødé")),
        ("CAST(0, \"NSDate\")", date(0.0)),
        ("cast(-86400.5, 'NSDate')", date(-86_400.5)),
        ("CAST(1e3, 'NSDate')", date(1000.0)),
    ] {
        assert_eq!(right(text), c(value), "{text}");
    }
    let d = match right("CAST(0, 'NSDate')") {
        Expr::Constant(Value::Date(d), _) => d,
        other => panic!("{other:?}"),
    };
    assert_eq!(d.to_string(), "2001-01-01T00:00:00Z");
    for bad in ["12abc", "0x", "1e", "0b2", "1.2.3", "1."] {
        assert!(matches!(fail(&format!("a == {bad}")).kind(), ParseErrorKind::InvalidNumber { .. }), "{bad}");
    }
    for big in ["9223372036854775808", "-9223372036854775809", "0x8000000000000000", "1e400"] {
        let e = fail(&format!("a == {big}"));
        assert_eq!(e.kind(), &ParseErrorKind::NumberOutOfRange { text: big.into() }, "{big}");
    }
}

#[test]
fn dates_far_from_2001_read_back_to_the_microsecond() {
    for micros in [i64::MIN, -1, 0, 1, 978_307_200_000_001, 4_102_444_800_123_457, i64::MAX] {
        let d = Value::Date(Date::from_unix_micros(micros));
        let p = cmp(kp("d"), Operator::Equal, Expr::Constant(d, Span::default()));
        assert_eq!(parse(&p.to_string()).without_spans(), p, "{p}");
    }
}

// ---- key paths, quantifiers, subqueries ------------------------------------------------------

#[test]
fn key_paths() {
    let left = |text: &str| comparison(&format!("{text} == 1")).left;
    let self_path = |components| Expr::KeyPath(path(PathBase::SelfObject, components));
    let var = |name: &str, components| Expr::KeyPath(path(PathBase::Variable(name.into()), components));
    assert_eq!(left("name"), kp("name"));
    assert_eq!(left("folder.name"), kp("folder.name"));
    assert_eq!(left("SELF"), self_path(vec![]));
    assert_eq!(left("self.title"), kp("title"));
    assert_eq!(left("$v"), var("v", vec![]));
    assert_eq!(left("$v.name"), var("v", vec![key("name")]));
    assert_eq!(left("#and"), kp("and"));
    assert_eq!(left("#SELF.#in"), kp("SELF.in"));
    assert_eq!(left("item.size.in"), kp("item.size.in"), "keywords after a dot are keys");
    assert_eq!(left("_x9.név"), kp("_x9.név"));
    assert_eq!(left("tags.@count"), self_path(vec![key("tags"), PathComponent::Count]));
    for (op, component) in [
        ("@sum", PathComponent::Sum),
        ("@avg", PathComponent::Avg),
        ("@min", PathComponent::Min),
        ("@MAX", PathComponent::Max),
    ] {
        let text = format!("tags.{op}.score");
        assert_eq!(left(&text), self_path(vec![key("tags"), component, key("score")]), "{text}");
    }
    assert_eq!(comparison("3 < score").left, c(3_i64), "a constant may come first");
    assert_eq!(comparison("3 < score").right, kp("score"));
    assert!(matches!(fail("a. == 1").kind(), ParseErrorKind::UnexpectedToken { .. }));
    assert!(matches!(fail("and == 1").kind(), ParseErrorKind::UnexpectedToken { .. }));
}

#[test]
fn quantifiers() {
    for (word, quantifier) in [
        ("ANY", Quantifier::Any),
        ("some", Quantifier::Any),
        ("ALL", Quantifier::All),
        ("None", Quantifier::None),
    ] {
        let text = format!("{word} tags.name ==[c] 'x'");
        let expected = cmp_full(quantifier, kp("tags.name"), Operator::Equal, C, c("x"));
        assert_eq!(parse(&text).without_spans(), expected, "{text}");
    }
    assert_eq!(comparison("name == 1").quantifier, Quantifier::Direct);
}

#[test]
fn subqueries() {
    let p = parse("SUBQUERY(tags, $t, $t.name BEGINSWITH 'a' AND $t.score > 1).@count >= 2").without_spans();
    let inner = Predicate::And(vec![
        cmp(
            Expr::KeyPath(path(PathBase::Variable("t".into()), vec![key("name")])),
            Operator::BeginsWith,
            c("a"),
        ),
        cmp(
            Expr::KeyPath(path(PathBase::Variable("t".into()), vec![key("score")])),
            Operator::Greater,
            c(1_i64),
        ),
    ]);
    let sub = Subquery {
        collection: path(PathBase::SelfObject, vec![key("tags")]),
        variable: "t".into(),
        predicate: inner,
    };
    let expected = cmp(
        Expr::KeyPath(path(PathBase::Subquery(Box::new(sub)), vec![PathComponent::Count])),
        Operator::GreaterOrEqual,
        c(2_i64),
    );
    assert_eq!(p, expected);
    parse("SUBQUERY(folder.clips, $c, SUBQUERY($c.tags, $t, $t == $c).@count > 0).@count == 0");
    parse("subquery(%K, $x, $x == 1).@sum.v > 0".replace("%K", "tags").as_str());
    let e = fail("SUBQUERY('tags', $t, $t == 1).@count > 0");
    assert_eq!(e.to_string(), "expected a key path as the SUBQUERY collection, found the string 'tags' at 9");
    let e = fail("SUBQUERY(tags, t, t == 1).@count > 0");
    assert_eq!(
        e.to_string(),
        "expected a variable such as $x as the second SUBQUERY argument, found 't' at 15"
    );
}

#[test]
fn spans_cover_what_was_written() {
    let text = "ANY tags.name ==[c] 'x' AND d > CAST(1, 'NSDate') OR a IN {1, -2}";
    let Predicate::Or(ors) = parse(text) else { panic!("or") };
    let Predicate::And(ands) = &ors[0] else { panic!("and") };
    let Predicate::Comparison(first) = &ands[0] else { panic!("cmp") };
    let at = |s: Span| &text[s.start..s.end];
    assert_eq!(at(first.span), "ANY tags.name ==[c] 'x'");
    assert_eq!(at(first.left.span()), "tags.name");
    assert_eq!(at(first.right.span()), "'x'");
    let Predicate::Comparison(second) = &ands[1] else { panic!("cmp") };
    assert_eq!(at(second.right.span()), "CAST(1, 'NSDate')");
    let Predicate::Comparison(third) = &ors[1] else { panic!("cmp") };
    assert_eq!(at(third.right.span()), "{1, -2}");
    let Expr::List(items, _) = &third.right else { panic!("list") };
    assert_eq!(at(items[1].span()), "-2");
    let p = parse_with("a IN %@", &[Argument::List(vec![1_i64.into()])]);
    let Predicate::Comparison(c) = p else { panic!("cmp") };
    assert_eq!(c.right.span(), Span::new(5, 7), "arguments carry their placeholder's span");
}

// ---- arguments ----------------------------------------------------------------------------

#[test]
fn arguments_of_every_kind() {
    let one = |text: &str, arg: Argument| comparison_with(text, &[arg]);
    fn comparison_with(text: &str, args: &[Argument]) -> Comparison {
        match parse_with(text, args).without_spans() {
            Predicate::Comparison(c) => c,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(one("a == %@", Argument::from("x")).right, c("x"));
    assert_eq!(one("a == %@", Argument::Value(Value::Null)).right, c(Value::Null));
    assert_eq!(one("a == %@", Argument::from(Date::from_unix_micros(5))).right, c(Date::from_unix_micros(5)));
    assert_eq!(
        one("a IN %@", Argument::List(vec![1_i64.into(), "b".into()])).right,
        list(vec![c(1_i64), c("b")])
    );
    assert_eq!(
        one("a BETWEEN %@", Argument::List(vec![1_i64.into(), 9_i64.into()])).right,
        list(vec![c(1_i64), c(9_i64)])
    );
    assert_eq!(one("%K == 1", Argument::KeyPath("folder.name".into())).left, kp("folder.name"));
    assert_eq!(one("%K == 1", Argument::from("in.size")).left, kp("in.size"), "%K keys are literal names");
    assert_eq!(
        one("%K > 1", Argument::KeyPath("tags.@count".into())).left,
        Expr::KeyPath(path(PathBase::SelfObject, vec![key("tags"), PathComponent::Count]))
    );
    assert_eq!(one("a == %d", Argument::from(7_i32)).right, c(Value::Int32(7)));
    assert_eq!(one("a == %i", Argument::from(-7_i64)).right, c(-7_i64));
    assert_eq!(one("a == %f", Argument::from(2_i64)).right, c(2.0));
    assert_eq!(one("a == %f", Argument::from(0.5_f32)).right, c(0.5));
    assert_eq!(one("a == %s", Argument::from("s")).right, c("s"));
    assert_eq!(one("d == CAST(%@, 'NSDate')", Argument::from(60_i64)).right, c(date(60.0)));
    let args = [Argument::KeyPath("k".into()), Argument::from(1_i64), Argument::from("z")];
    assert_eq!(
        parse_with("%K == %d OR x == %s", &args).without_spans(),
        Predicate::Or(vec![cmp(kp("k"), Operator::Equal, c(1_i64)), cmp(kp("x"), Operator::Equal, c("z"))])
    );
    let hostile = Argument::from("x' OR 1=1 --");
    assert_eq!(one("a == %@", hostile).right, c("x' OR 1=1 --"), "an argument is a value, never syntax");
}

#[test]
fn argument_errors() {
    let wrong = |text: &str, arg: Argument| fail_with(text, &[arg]).kind().clone();
    assert!(matches!(
        wrong("a == %@", Argument::KeyPath("k".into())),
        ParseErrorKind::WrongArgumentType { .. }
    ));
    assert!(matches!(wrong("%K == 1", Argument::from(1_i64)), ParseErrorKind::WrongArgumentType { .. }));
    assert!(matches!(wrong("a == %d", Argument::from(1.5)), ParseErrorKind::WrongArgumentType { .. }));
    assert!(matches!(wrong("a == %i", Argument::from(true)), ParseErrorKind::WrongArgumentType { .. }));
    assert!(matches!(wrong("a == %f", Argument::from("1")), ParseErrorKind::WrongArgumentType { .. }));
    assert!(matches!(wrong("a == %s", Argument::from(1_i64)), ParseErrorKind::WrongArgumentType { .. }));
    assert!(matches!(
        wrong("a BETWEEN %@", Argument::from(1_i64)),
        ParseErrorKind::BetweenNeedsTwoValues { .. }
    ));
    assert!(matches!(wrong("%K == 1", Argument::from("a;b")), ParseErrorKind::InvalidKeyPathArgument { .. }));
    assert!(matches!(
        wrong("a == CAST(%@, 'NSDate')", Argument::from("x")),
        ParseErrorKind::CastNeedsNumber { .. }
    ));
    assert_eq!(
        fail("a == %@").kind(),
        &ParseErrorKind::MissingArgument { placeholder: "%@".into(), index: 1, used: 1, given: 0 }
    );
    assert!(matches!(fail("a == 1 %").kind(), ParseErrorKind::UnknownPlaceholder { .. }));
    assert_eq!(
        fail_with("a == 1", &[Argument::from(1_i64)]).kind(),
        &ParseErrorKind::TooManyArguments { used: 0, given: 1 }
    );
}

// ---- error messages -------------------------------------------------------------------------

#[test]
fn error_messages_read_exactly() {
    let one = |text: &str, args: &[Argument]| fail_with(text, args).to_string();
    let x = Argument::from("x");
    let table: Vec<(&str, Vec<Argument>, &str)> = vec![
        ("title BEGINSWITH", vec![], "expected a value after BEGINSWITH at 16"),
        ("title beginswith[cd] )", vec![], "expected a value after beginswith[cd], found ')' at 21"),
        ("a == ", vec![], "expected a value after '==' at 5"),
        ("ANY", vec![], "expected a value after ANY at 3"),
        ("(a == 1", vec![], "expected ')' to close the '(' at 0, found end of input at 7"),
        ("a IN {1, 2", vec![], "expected '}' to close the '{' at 5, found end of input at 10"),
        ("a IN {1, }", vec![], "expected a value after ',', found '}' at 9"),
        ("title == 'abc", vec![], "unterminated string starting at 9"),
        (
            r#"a == "\q""#,
            vec![],
            r#"invalid escape `\q` in string (valid: \" \' \\ \n \t \r \0 \uXXXX) at 6"#,
        ),
        ("a == 12abc", vec![], "invalid number `12abc` at 5"),
        (
            "a == 9223372036854775808",
            vec![],
            "number `9223372036854775808` is out of range (integers must fit in 64 bits) at 5",
        ),
        ("a CONTAINS[x] 'b'", vec![], "unknown comparison modifier `[x]` (use [c], [d] or [cd]) at 10"),
        (
            "tags.@first == 1",
            vec![],
            "unknown collection operator `@first` (use @count, @sum, @avg, @min or @max) at 5",
        ),
        ("a == %q", vec![], "unknown placeholder `%q` (use %@, %K, %d, %i, %f or %s) at 5"),
        ("a ^ b", vec![], "unexpected character '^' at 2"),
        ("a == 1 b", vec![], "expected AND, OR or the end of the predicate, found 'b' at 7"),
        (
            "a",
            vec![],
            "expected a comparison operator (==, !=, <, >, BEGINSWITH, IN, …), found end of input at 1",
        ),
        ("", vec![], "expected a predicate, found end of input at 0"),
        ("a == 1 AND OR", vec![], "expected a predicate, found 'OR' at 11"),
        ("a == $", vec![], "expected a variable name after '$', found end of input at 5"),
        ("score > %d", vec![x.clone()], "`%d` (argument 1) needs an integer, got string at 8"),
        ("a == %s", vec![Argument::List(vec![])], "`%s` (argument 1) needs a string, got a list at 5"),
        (
            "a == %@ AND b == %@ AND c == %@",
            vec![x.clone()],
            "`%@` (argument 2) has no value: the format uses 3 arguments but 1 was given at 17",
        ),
        ("a == %@", vec![x.clone(), x.clone()], "the format uses 1 argument but 2 were given at 7"),
        (
            "%K == 1",
            vec![Argument::KeyPath("a..b".into())],
            "`%K` (argument 1) is not a valid key path: \"a..b\" at 0",
        ),
        (
            "a BETWEEN {1}",
            vec![],
            "BETWEEN needs two bounds written {low, high}, found a list of 1 value at 10",
        ),
        ("a BETWEEN b", vec![], "BETWEEN needs two bounds written {low, high}, found a key path at 10"),
        (
            "d == CAST('x', 'NSDate')",
            vec![],
            "CAST needs a number of seconds since 2001-01-01 as its first argument, found the string 'x' at 10",
        ),
        (
            "d == CAST(1, \"NSString\")",
            vec![],
            "CAST to \"NSString\" is not supported (only CAST(seconds, \"NSDate\")) at 13",
        ),
    ];
    for (text, args, message) in table {
        assert_eq!(one(text, &args), message, "{text:?}");
    }
}

#[test]
fn errors_render_with_a_caret_under_the_fault() {
    assert_eq!(
        fail("title BEGINSWITH").render(),
        "expected a value after BEGINSWITH at 16\ntitle BEGINSWITH\n                ^"
    );
    assert_eq!(
        fail("name == 'x' AND tags.@first > 1").render(),
        "unknown collection operator `@first` (use @count, @sum, @avg, @min or @max) at 21\n\
         name == 'x' AND tags.@first > 1\n                     ^^^^^^"
    );
    let e = fail("é == 'x' AND ^");
    assert_eq!(e.offset(), 14);
    assert_eq!(e.render(), "unexpected character '^' at 14\né == 'x' AND ^\n             ^");
    assert_eq!(e.source_text(), "é == 'x' AND ^");
}

#[test]
fn nesting_is_capped_at_128() {
    let deep = |open: &str, close: &str, n: usize| format!("{}a == 1{}", open.repeat(n), close.repeat(n));
    parse(&deep("(", ")", 128));
    parse(&deep("NOT ", "", 128));
    parse(&format!("a IN {}1{}", "{".repeat(128), "}".repeat(128)));
    let sub = |n: usize| format!("{}a == 1{}", "SUBQUERY(t, $x, ".repeat(n), ").@count == 1".repeat(n));
    let p = parse(&sub(128));
    assert_eq!(parse(&p.to_string()).without_spans(), p.without_spans(), "deep trees print and re-parse");
    for text in [
        deep("(", ")", 129),
        deep("!", "", 129),
        format!("a IN {}1{}", "{".repeat(129), "}".repeat(129)),
        sub(129),
    ] {
        let e = fail(&text);
        assert_eq!(e.kind(), &ParseErrorKind::TooDeep { limit: 128 });
        assert!(e.to_string().starts_with("predicate is nested more than 128 levels deep at "));
    }
}

// ---- substitution -------------------------------------------------------------------------

#[test]
fn substitution_of_variables() {
    let template = parse("name == $NAME AND score BETWEEN $RANGE AND ANY tags IN $TAGS AND $K > 1");
    assert_eq!(template.variables(), ["NAME", "RANGE", "TAGS", "K"]);
    let vars: HashMap<String, Argument> = [
        ("NAME", Argument::from("n")),
        ("RANGE", Argument::List(vec![1_i64.into(), 2_i64.into()])),
        ("TAGS", Argument::List(vec!["a".into()])),
        ("K", Argument::KeyPath("folder.size".into())),
        ("UNUSED", Argument::from(0_i64)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let p = template.substitute(&vars).unwrap();
    assert_eq!(
        p.to_string(),
        r#"name == "n" AND score BETWEEN {1, 2} AND ANY tags IN {"a"} AND folder.size > 1"#
    );
    assert!(p.variables().is_empty());
    let mut missing = vars.clone();
    missing.remove("TAGS");
    let e = template.substitute(&missing).unwrap_err();
    assert_eq!(e.kind(), &ParseErrorKind::UnboundVariable { name: "TAGS".into() });
    let source = "name == $NAME AND score BETWEEN $RANGE AND ANY tags IN $TAGS AND $K > 1";
    assert_eq!(e.source_text(), source);
    assert_eq!(
        e.render(),
        format!("no value was given for variable $TAGS at 55\n{source}\n{}^^^^^", " ".repeat(55))
    );
    let e = parse("$user.name == 'x'").substitute(&vars).unwrap_err();
    assert_eq!(e.kind(), &ParseErrorKind::VariableWithKeys { name: "user".into() });
    assert_eq!(parse("a == 1").substitute(&HashMap::new()).unwrap(), parse("a == 1"));
}
