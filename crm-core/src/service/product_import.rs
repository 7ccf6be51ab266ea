//! Batch import of products (商品批量导入), with the customer import's promises: a dry run, a
//! result per refused row, all-or-nothing or skip-invalid, and streaming (the file is read
//! twice, never held; ADR 3).

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::exchange::{
    invalid_parts, key_digest, DuplicateOf, ImportMode, ImportPhase, ImportProgress, ImportReport,
    RowOutcome, RowResult,
};
use super::{retry, Crm, Session};
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::columns::{self, ProductField, REQUIRED};
use crate::product::{Product, PRODUCT};
use crate::store::{Commit, Entity, Filter, Query, Value};
use crate::table::{HeaderMapping, RowSource};

/// Product import settings.
#[derive(Debug, Clone)]
pub struct ProductImportOptions {
    /// All or nothing, or skip bad rows.
    pub mode: ImportMode,
    /// Check only: report what would happen, write nothing.
    pub dry_run: bool,
    /// Products per commit.
    pub batch_size: usize,
    /// Header names → fields; [`columns::default_mapping`] knows the usual headers.
    pub mapping: HeaderMapping<ProductField>,
}

impl Default for ProductImportOptions {
    fn default() -> Self {
        ProductImportOptions {
            mode: ImportMode::AllOrNothing,
            dry_run: false,
            batch_size: 500,
            mapping: columns::default_mapping(),
        }
    }
}

fn label(p: &Product) -> String {
    match &p.spec {
        Some(s) => format!("{} {} {s}", p.code, p.name),
        None => format!("{} {}", p.code, p.name),
    }
}

impl Crm {
    fn product_import_allowed(s: &Session) -> Result<()> {
        for op in [Op::Import, Op::Create] {
            if !s.ctx.has(Resource::Product, op) {
                return Err(Error::PermissionDenied(format!(
                    "product.import: no role grants {}",
                    Permission::new(Resource::Product, op)
                )));
            }
        }
        Ok(())
    }

    /// Stored products holding any of these keys: key → (id, label).
    async fn stored_product_keys(
        &self,
        keys: Vec<String>,
    ) -> Result<HashMap<String, (Uuid, String)>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let q = Query::filter(
            &PRODUCT,
            Filter::In("product_key", keys.into_iter().map(Value::Text).collect()),
        );
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(|r| Product::from_record(r).map(|p| (p.product_key.clone(), (p.id, label(&p)))))
            .collect()
    }

    /// Imports products from a spreadsheet (CSV in UTF-8 or GBK/GB18030, or XLSX, through a
    /// [`RowSource`] that is opened twice: once to check every row, once to write). A product
    /// duplicating a stored one or an earlier row (same normalised code, name and
    /// specification) is refused naming it. `progress` hears after every batch.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.import` and `product.create`;
    /// [`Error::Invalid`] for an unreadable file or a missing required column (商品编码, 商品名称,
    /// 单位, 销售单价, 税率). Row problems are in the report, not errors.
    pub async fn import_products(
        &self,
        actor: Actor,
        mut source: impl RowSource,
        options: &ProductImportOptions,
        mut progress: impl FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let action = "product.import";
        let res = async {
            let s = self.session(actor).await?;
            Self::product_import_allowed(&s)?;
            let batch_size = options.batch_size.max(1);
            let mut report = ImportReport::default();
            let mut seen: HashMap<u128, u64> = HashMap::new();
            let mut refused: HashSet<u64> = HashSet::new();

            // Pass 1: check every row.
            let mut reader = source.open()?;
            let mapping = options.mapping.resolve(reader.headers(), REQUIRED)?;
            report.ignored_columns = mapping.unmapped().to_vec();
            let mut batch: Vec<(u64, String, Result<Product>)> = Vec::new();
            loop {
                let next = reader.next();
                let done = next.is_none();
                if let Some(item) = next {
                    report.rows += 1;
                    match item {
                        Err(e) => batch.push((report.rows + 1, String::new(), Err(e))),
                        Ok(row) => {
                            let name = mapping
                                .get(&row, ProductField::Name)
                                .unwrap_or_default()
                                .to_owned();
                            let checked = columns::read_row(&mapping, &row)
                                .and_then(|input| input.check(Uuid::nil(), self.now(), None));
                            batch.push((row.line, name, checked));
                        }
                    }
                }
                if batch.len() >= batch_size || (done && !batch.is_empty()) {
                    let keys = batch
                        .iter()
                        .filter_map(|b| b.2.as_ref().ok().map(|p| p.product_key.clone()))
                        .collect();
                    let stored = self.stored_product_keys(keys).await?;
                    for (line, name, checked) in batch.drain(..) {
                        let outcome = match checked {
                            Err(e) => {
                                let (field, reason) = invalid_parts(e);
                                Some(RowOutcome::Invalid { field, reason })
                            }
                            Ok(p) => {
                                if let Some((id, n)) = stored.get(&p.product_key) {
                                    Some(RowOutcome::Duplicate(DuplicateOf::Stored {
                                        id: *id,
                                        name: n.clone(),
                                    }))
                                } else if let Some(&first) = seen.get(&key_digest(&p.product_key)) {
                                    Some(RowOutcome::Duplicate(DuplicateOf::EarlierRow {
                                        line: first,
                                    }))
                                } else {
                                    seen.insert(key_digest(&p.product_key), line);
                                    None
                                }
                            }
                        };
                        match outcome {
                            None => report.created += 1,
                            Some(outcome) => {
                                if matches!(outcome, RowOutcome::Duplicate(_)) {
                                    report.duplicates += 1;
                                } else {
                                    report.invalid += 1;
                                }
                                refused.insert(line);
                                report.problems.push(RowResult {
                                    line,
                                    name,
                                    outcome,
                                    warnings: vec![],
                                });
                            }
                        }
                    }
                    progress(ImportProgress {
                        phase: ImportPhase::Checking,
                        rows_done: report.rows,
                    });
                }
                if done {
                    break;
                }
            }
            drop(reader);
            drop(seen);
            let stop = options.mode == ImportMode::AllOrNothing && !refused.is_empty();
            if options.dry_run || report.created == 0 || stop {
                if stop && !options.dry_run {
                    report.created = 0;
                }
                return Ok(report);
            }

            // Pass 2: write the rows that passed, batch by batch.
            let mut reader = source.open()?;
            let mapping = options.mapping.resolve(reader.headers(), REQUIRED)?;
            let mut pending: Vec<Product> = Vec::with_capacity(batch_size);
            let mut done_rows = 0u64;
            loop {
                let next = reader.next();
                let done = next.is_none();
                if let Some(item) = next {
                    done_rows += 1;
                    if let Ok(row) = item {
                        if !refused.contains(&row.line) {
                            let p = columns::read_row(&mapping, &row)?.check(
                                self.new_id(),
                                self.now(),
                                None,
                            )?;
                            pending.push(p);
                        }
                    }
                }
                if pending.len() >= batch_size || (done && !pending.is_empty()) {
                    let rows = std::mem::take(&mut pending);
                    retry!(async {
                        let s = self.session(actor).await?;
                        let mut c = Commit::new();
                        for p in &rows {
                            c.insert(p.to_record());
                        }
                        for p in &rows {
                            c.insert(self.audit(
                                s.ctx.employee_id,
                                action,
                                "product",
                                Some(p.id),
                                serde_json::json!({"code": p.code, "name": p.name}),
                            ));
                        }
                        self.commit(&s, c).await
                    })?;
                    report.written = true;
                    progress(ImportProgress {
                        phase: ImportPhase::Writing,
                        rows_done: done_rows,
                    });
                }
                if done {
                    break;
                }
            }
            Ok(report)
        }
        .await;
        self.logged(actor, action, "product", None, res).await
    }
}
