//! The tour's fetches: predicates run by the SQLite store (with the SQL they compile to),
//! sorted dictionaries, and the typed errors mistakes get.

use anyhow::{bail, ensure};
use strata::core::{FetchRequest, PropertyValue, ResultType};
use strata::predicate::sql::{DefaultSchema, Dialect, compile_where};

use super::Tour;
use crate::commands::predicate::prepare;
use crate::output::{Table, value_cell};

/// (predicate, `--arg` values, `--var` values, how many clips match).
const PREDICATES: [(&str, &[&str], &[&str], usize); 7] = [
    (r#"title BEGINSWITH[cd] "creme""#, &[], &[], 1),
    (r#"ANY tags.name == "rust" AND score >= 4"#, &[], &[], 2),
    (r#"folder.name ==[c] "READING""#, &[], &[], 3),
    (r#"SUBQUERY(tags, $t, $t.name IN {"rust", "db"}).@count == 2"#, &[], &[], 1),
    (r#"created > "2024-06-01T00:00:00Z" AND NOT pinned == YES"#, &[], &[], 3),
    (r#"title LIKE[c] "*strasse*" OR tags.@count == 0"#, &[], &[], 1),
    ("title CONTAINS[c] %@ AND score >= $MIN", &["sqlite"], &["MIN=4"], 2),
];

/// Fetches with each predicate and shows the matches and the SQL.
pub fn predicates(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section(
        "4. Predicates: parsed, checked against Clip, run by the SQLite store. The SQL they\n   \
         compile to binds every value as a parameter; [c] and [d] run as registered functions\n   \
         that share their code with the in-memory evaluator.",
    )?;
    let clip = tour.model.entity("Clip").map(|e| e.index());
    let Some(clip) = clip else { bail!("the example model has no Clip entity") };
    let mut context = tour.context();
    for (i, (text, args, vars, expected)) in PREDICATES.into_iter().enumerate() {
        if i > 0 {
            writeln!(tour.out)?;
        }
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let vars: Vec<String> = vars.iter().map(|v| (*v).to_owned()).collect();
        let checked = prepare(&tour.model, clip, text, &args, &vars)?;
        let request = FetchRequest::new("Clip").predicate(checked.clone()).sort_by("title:ci")?;
        let ids = context.fetch(&request)?.ids();
        let mut titles = Vec::with_capacity(ids.len());
        for &id in &ids {
            titles.push(Tour::title(&mut context, id)?);
        }
        ensure!(ids.len() == expected, "{text} should match {expected} clips, matched {}", ids.len());
        let schema = DefaultSchema::new(&tour.model);
        let compiled = compile_where(&checked, &tour.model, clip, &schema, Dialect::Sqlite, "t0")?;
        let mut shown = text.to_owned();
        for a in &args {
            shown.push_str(&format!("   --arg {a}"));
        }
        for v in &vars {
            shown.push_str(&format!("   --var {v}"));
        }
        tour.say(shown)?;
        tour.say(format!("  → {} clip(s): {}", ids.len(), titles.join("; ")))?;
        tour.say(format!("  SQL: {}", compiled.sql.as_deref().unwrap_or("(none: every row)")))?;
        if let Some(residual) = &compiled.residual {
            tour.say(format!("  in memory: {residual}"))?;
        }
        tour.summary.predicates += 1;
    }
    Ok(())
}

/// Sorted dictionaries with a key path through a to-one relationship.
pub fn sorted(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section(
        "5. Sorted by \"pinned desc, score desc, title:ci\", fetched as dictionaries with a key\n   \
         path through the folder relationship, limit 4:",
    )?;
    let properties = ["title", "score", "pinned", "folder.name"];
    let request = FetchRequest::new("Clip")
        .sort_by("pinned desc, score desc, title:ci")?
        .limit(4)
        .result_type(ResultType::Dictionaries)
        .properties(properties);
    let mut context = tour.context();
    let result = context.fetch(&request)?;
    ensure!(result.dictionaries().len() == 4, "the limit applies");
    let mut table = Table::new(properties);
    for row in result.dictionaries() {
        table.row(
            properties
                .iter()
                .map(|p| match row.get(p) {
                    Some(PropertyValue::Value(v)) => value_cell(v),
                    _ => String::new(),
                })
                .collect(),
        );
    }
    for line in table.render().lines() {
        tour.say(format!("  {line}"))?;
    }
    Ok(())
}

/// Typed errors, with a caret under the fault.
pub fn mistakes(tour: &mut Tour<'_>) -> anyhow::Result<()> {
    tour.section("6. Mistakes get typed errors, with a caret under the fault and the nearest name:")?;
    let Some(clip) = tour.model.entity("Clip").map(|e| e.index()) else {
        bail!("the example model has no Clip entity")
    };
    for bad in ["title BEGINSWITH", "titel == \"x\"", "score > \"high\"", "ANY title == \"x\""] {
        let Err(error) = prepare(&tour.model, clip, bad, &[], &[]) else {
            bail!("{bad:?} should be refused");
        };
        for line in error.to_string().lines() {
            tour.say(line)?;
        }
        writeln!(tour.out)?;
    }
    let mut context = tour.context();
    let Err(error) = context.fetch(&FetchRequest::new("Clips")) else {
        bail!("entity Clips should be unknown")
    };
    tour.say(format!("fetch of entity \"Clips\": {error}"))?;
    Ok(())
}
