//! PostgreSQL: a commit written as one statement, one round trip.
//!
//! A commit statement by statement costs `BEGIN`, one round trip per write (runs of inserts of a
//! kind share one) and `COMMIT`: eight to ten round trips for a step of the order-to-cash flow,
//! each waiting on the network and the server's scheduler. Outside an explicit transaction a
//! single statement is its own transaction, so a commit whose writes all go into one statement
//! is atomic and durable when its reply arrives. The writes become the parts of one `WITH`:
//!
//! ```sql
//! WITH "w0" AS (UPDATE "sequence" SET … WHERE "id" = $4 AND "version" = $5 RETURNING 1),
//!      "w1" AS (INSERT INTO "quote" (…) VALUES (…)),
//!      "w2" AS (INSERT INTO "quote_line" (…) VALUES (…), (…), (…)),
//!      "w3" AS (SELECT "version" FROM "org_revision" WHERE "id" = $60 FOR SHARE)
//! SELECT crm_commit_check(ARRAY[(SELECT count(*) FROM "w0"),
//!                               (SELECT count(*) FROM "w3" WHERE "version" = $61)])
//! ```
//!
//! Each `UPDATE` and `DELETE` still checks its version in its own `WHERE`, and the version an
//! assertion expects is compared on the row it locked; `crm_commit_check` (migration 0013)
//! raises `CR001` when any of them matched no row, which fails the statement and so undoes it
//! before it commits. Unique indexes are checked as each row goes in; foreign keys, deferred,
//! when the statement's transaction ends.
//!
//! The parts of one statement all see the database as it was when the statement began, not
//! each other's rows, and PostgreSQL applies them in no promised order. So a commit that writes
//! one record twice, or whose writes depend on their order for any other reason (a unique key
//! freed by one write and taken by a later one), cannot be one statement. Such commits are not
//! built ([`statement`] returns `None` for a record written twice), or they fail here (a unique
//! key taken twice, a version that does not match) and are then run again statement by statement
//! in a transaction, in their order, which either succeeds or reports the precise error of the
//! write that failed ([`fall_back`]). Running a failed commit again is safe: the one statement
//! wrote nothing, and were its reply lost after it committed, the second run could not apply it
//! twice, since every insert carries its record's id and every update its expected version.

use std::collections::HashSet;

use crm_core::store::Write;
use crm_core::Result;

use crate::sql::{self, Dialect, Sql};

/// The SQLSTATE `crm_commit_check` raises when a versioned write or assertion matched no row.
pub(crate) const CHECK_FAILED: &str = "CR001";

/// Commits with more parameters than this go statement by statement (PostgreSQL's limit per
/// statement is 65,535; large imports gain nothing from one statement).
pub(crate) const MAX_ARGS: usize = 30_000;

/// The parameters `write` binds, before building it.
fn args_of(write: &Write) -> usize {
    match write {
        Write::Insert(r) => r.kind.columns.len() + 1,
        Write::Update { record, .. } => record.kind.columns.len() + 3,
        Write::Delete { .. } | Write::Assert { .. } => 2,
    }
}

/// The one statement that applies `writes`, or `None` when they must go statement by
/// statement: a record written twice, or more than [`MAX_ARGS`] parameters.
///
/// # Errors
/// [`crm_core::Error::Invalid`] when a record does not fit its kind or cannot be stored exactly
/// (the error the statement-by-statement path reports for it too).
pub(crate) fn statement(writes: &[Write]) -> Result<Option<Sql>> {
    if writes.iter().map(args_of).sum::<usize>() > MAX_ARGS {
        return Ok(None);
    }
    let mut seen = HashSet::with_capacity(writes.len());
    if !writes.iter().all(|w| {
        let (kind, id) = w.target();
        seen.insert((kind.name, id))
    }) {
        return Ok(None);
    }
    let mut sql = Sql::new(Dialect::Postgres);
    // The checks of the final SELECT, in order: (part, expected version of an assertion).
    let mut checks: Vec<(usize, Option<i64>)> = Vec::new();
    let mut part = 0;
    let mut i = 0;
    while let Some(write) = writes.get(i) {
        sql.push(if part == 0 { "WITH " } else { ", " });
        sql.push(&format!("\"w{part}\" AS ("));
        match write {
            Write::Insert(first) => {
                let run = sql::insert_run(&writes[i..]).min(sql::batch_rows(first.kind));
                let records: Vec<_> = writes[i..i + run]
                    .iter()
                    .filter_map(|w| match w {
                        Write::Insert(r) => Some(r),
                        _ => None,
                    })
                    .collect();
                sql::push_insert_many(&mut sql, &records)?;
                i += run;
            }
            Write::Update { record, expected } => {
                sql::push_update(&mut sql, record, version(*expected))?;
                sql.push(" RETURNING 1");
                checks.push((part, None));
                i += 1;
            }
            Write::Delete { kind, id, expected } => {
                sql::push_delete(&mut sql, kind, *id, version(*expected));
                sql.push(" RETURNING 1");
                checks.push((part, None));
                i += 1;
            }
            Write::Assert { kind, id, expected } => {
                sql::push_version(&mut sql, kind, *id, true);
                checks.push((part, Some(version(*expected))));
                i += 1;
            }
        }
        sql.push(")");
        part += 1;
    }
    if checks.is_empty() {
        sql.push(" SELECT 1");
        return Ok(Some(sql));
    }
    sql.push(" SELECT crm_commit_check(ARRAY[");
    for (n, (part, expected)) in checks.into_iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.push(&format!("(SELECT count(*) FROM \"w{part}\""));
        if let Some(v) = expected {
            sql.push(" WHERE ")
                .ident("version")
                .push(" = ")
                .bind(sql::Arg::Int(v));
        }
        sql.push(")");
    }
    sql.push("])");
    Ok(Some(sql))
}

/// A version as stored (a version beyond the column's range matches no row).
fn version(v: u64) -> i64 {
    sql::version_to_db(v).unwrap_or(-1)
}

/// Whether a commit whose one statement failed with `e` is run again statement by statement:
/// a check or a constraint that failed (the order of the writes may matter, and the precise
/// error needs the write that failed), a serialization failure or deadlock, or a connection
/// found gone (the statement was not applied, or if it was, running it again cannot apply it
/// twice).
pub(crate) fn fall_back(e: &sqlx::Error, connection_lost: bool) -> bool {
    if connection_lost {
        return true;
    }
    crate::db_code(e)
        .is_some_and(|c| c == CHECK_FAILED || c.starts_with("23") || c.starts_with("40"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::store::{Column, ColumnType, Kind, Record, Value};
    use uuid::Uuid;

    static THING: Kind = Kind {
        name: "thing",
        columns: &[Column {
            name: "name",
            ty: ColumnType::Text,
            nullable: false,
            references: None,
        }],
        indexes: &[],
    };

    fn thing(id: Uuid) -> Record {
        Record {
            kind: &THING,
            id,
            version: 1,
            values: vec![Value::Text("a".into())],
        }
    }

    #[test]
    fn a_commit_becomes_one_statement_with_its_versions_checked() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let writes = vec![
            Write::Insert(thing(a)),
            Write::Update {
                record: thing(b),
                expected: 3,
            },
            Write::Assert {
                kind: &THING,
                id: Uuid::now_v7(),
                expected: 7,
            },
        ];
        let sql = statement(&writes).expect("valid").expect("one statement");
        assert!(sql
            .text
            .starts_with("WITH \"w0\" AS (INSERT INTO \"thing\""));
        assert!(sql.text.contains("\"w1\" AS (UPDATE \"thing\""));
        assert!(sql.text.contains("FOR SHARE)"));
        assert!(sql.text.ends_with(
            "SELECT crm_commit_check(ARRAY[(SELECT count(*) FROM \"w1\"), (SELECT count(*) FROM \"w2\" WHERE \"version\" = $8)])"
        ));
        assert_eq!(sql.args.len(), 8);
    }

    #[test]
    fn a_record_written_twice_goes_statement_by_statement() {
        let a = Uuid::now_v7();
        let writes = vec![
            Write::Insert(thing(a)),
            Write::Update {
                record: thing(a),
                expected: 1,
            },
        ];
        assert!(statement(&writes).expect("valid").is_none());
    }

    #[test]
    fn a_commit_over_the_parameter_limit_goes_statement_by_statement() {
        let writes: Vec<Write> = (0..MAX_ARGS / 2 + 1)
            .map(|_| Write::Insert(thing(Uuid::now_v7())))
            .collect();
        assert!(statement(&writes).expect("valid").is_none());
    }
}
