//! Batch import of customers from spreadsheets, and export of the visible ones.
//!
//! The import streams: the file is read twice through a reopening closure (once to check every
//! row, once to write), and never held whole. See `docs/adr/0003-batch-import-commits-in-batches.md`.

use std::collections::HashMap;
use std::io::Write;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{retry, under_org, Crm, Session};
use crate::customer::columns::{self, CustomerField, RowInput};
use crate::customer::{
    contacts_search_text, settle_primary, CheckedCustomer, Contact, Customer, CustomerOp,
    CustomerSearch, CUSTOMER, MAX_CONTACTS,
};
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Resource};
use crate::store::{Commit, Entity, Filter, Prepared, Query, Value};
use crate::table::{HeaderMapping, ResolvedMapping, RowSource, SafeCsvWriter, TableReader};

/// What to do with invalid and duplicate rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportMode {
    /// Any invalid or duplicate row stops the import before anything is written.
    #[default]
    AllOrNothing,
    /// Invalid and duplicate rows are reported and skipped; the others are imported.
    SkipInvalid,
}

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// All or nothing, or skip bad rows.
    pub mode: ImportMode,
    /// Check only: report what would happen, write nothing.
    pub dry_run: bool,
    /// Customers per commit (each commit is atomic with its contacts and audit entries).
    pub batch_size: usize,
    /// Header names → fields; [`columns::default_mapping`] knows the usual Chinese headers.
    pub mapping: HeaderMapping<CustomerField>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mode: ImportMode::AllOrNothing,
            dry_run: false,
            batch_size: 500,
            mapping: columns::default_mapping(),
        }
    }
}

/// Which record a duplicate row duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DuplicateOf {
    /// A record (customer or product) already in the store.
    Stored {
        /// Its id.
        id: Uuid,
        /// Its name.
        name: String,
    },
    /// An earlier row of the same file.
    EarlierRow {
        /// That row's line number.
        line: u64,
    },
}

impl std::fmt::Display for DuplicateOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DuplicateOf::Stored { id, name } => write!(f, "existing record {name} ({id})"),
            DuplicateOf::EarlierRow { line } => write!(f, "line {line} of this file"),
        }
    }
}

/// What happened (or would happen) to one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowOutcome {
    /// Created (or, in a dry run, would be created).
    Created {
        /// The new customer's id (`None` in a dry run).
        customer_id: Option<Uuid>,
    },
    /// Refused: the same normalised name exists.
    Duplicate(DuplicateOf),
    /// Refused: a field is wrong.
    Invalid {
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
}

/// The result of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowResult {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// The customer name as written.
    pub name: String,
    /// The outcome.
    pub outcome: RowOutcome,
    /// Non-blocking remarks (for example a credit code another customer has).
    pub warnings: Vec<String>,
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportPhase {
    /// Checking rows.
    Checking,
    /// Writing rows.
    Writing,
}

/// Progress, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    /// The phase.
    pub phase: ImportPhase,
    /// Rows done in this phase.
    pub rows_done: u64,
}

/// The summary of an import. Rows that were refused are listed; created rows are only counted
/// (a million-row import would otherwise hold a million results).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Rows created (or that would be, in a dry run).
    pub created: u64,
    /// Duplicate rows.
    pub duplicates: u64,
    /// Invalid rows.
    pub invalid: u64,
    /// Rows with warnings.
    pub warned: u64,
    /// Whether anything was written.
    pub written: bool,
    /// The refused rows and the rows with warnings, in file order.
    pub problems: Vec<RowResult>,
    /// Headers no field was mapped to.
    pub ignored_columns: Vec<String>,
}

/// One row of the first pass: checked, or with the result that refuses it.
struct Checked {
    line: u64,
    name: String,
    checked: Option<CheckedCustomer>,
    result: Option<RowResult>,
}

/// The rows of one import batch with the commit that writes them.
struct ImportBatch {
    rows: Vec<Pending>,
    /// Rows of the file the batch took (refused and unreadable rows included).
    taken: u64,
    /// Made and prepared by the store when the batch was read, asserting the newest version of
    /// the organisation the import has committed under (so a change of the organisation since
    /// makes it a conflict); `None` once an attempt has used it.
    commit: Option<Prepared>,
}

/// One checked row waiting in a batch.
struct Pending {
    line: u64,
    name: String,
    checked: CheckedCustomer,
    /// The row's contacts, checked (their ids and customer are given when the records are
    /// made).
    contacts: Vec<Contact>,
    owner: Uuid,
}

impl Crm {
    fn import_allowed(s: &Session) -> Result<()> {
        for op in [Op::Import, Op::Create] {
            if !s.ctx.has(Resource::Customer, op) {
                return Err(Error::PermissionDenied(format!(
                    "customer.import: no role grants {}",
                    crate::org::Permission::new(Resource::Customer, op)
                )));
            }
        }
        Ok(())
    }

    /// Parses and checks one row (everything that needs no store access): its customer and
    /// contacts checked (contacts with nil ids), and its owner.
    fn check_row(
        s: &Session,
        m: &ResolvedMapping<CustomerField>,
        row: crate::table::TableRow,
    ) -> Result<(CheckedCustomer, Vec<Contact>, Uuid)> {
        let RowInput {
            customer,
            contacts,
            owner_code,
        } = columns::read_row(m, row)?;
        let checked = customer.into_checked()?;
        if contacts.len() > MAX_CONTACTS {
            return Err(Error::invalid("contacts", "too many contacts"));
        }
        let contacts = contacts
            .iter()
            .enumerate()
            .map(|(i, c)| c.check_at(i, Uuid::nil(), Uuid::nil()))
            .collect::<Result<Vec<_>>>()?;
        let owner = match &owner_code {
            None => s.ctx.employee_id,
            Some(code) => {
                let e = s
                    .org
                    .employee_by_code(code)
                    .or_else(|| s.org.employee_by_name(code))
                    .ok_or_else(|| {
                        Error::invalid("owner", format!("no employee with code {code:?}"))
                    })?;
                if !e.active {
                    return Err(Error::invalid("owner", format!("{} is not active", e.name)));
                }
                if !s.ctx.admin && !s.ctx.oversees(e.id) {
                    return Err(Error::invalid(
                        "owner",
                        format!("{} is not you or below you in the reporting line", e.name),
                    ));
                }
                e.id
            }
        };
        Ok((checked, contacts, owner))
    }

    /// Existing customers holding any of these name keys: key → (id, name).
    async fn stored_keys(&self, keys: Vec<String>) -> Result<HashMap<String, (Uuid, String)>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let q = Query::filter(
            &CUSTOMER,
            Filter::In("name_key", keys.into_iter().map(Value::Text).collect()),
        );
        let page = self.store.query(&q).await?;
        page.records
            .iter()
            .map(|r| Customer::from_record(r).map(|c| (c.name_key, (c.id, c.name))))
            .collect()
    }

    /// Existing customers holding any of these credit codes: code → name.
    async fn stored_codes(&self, codes: Vec<String>) -> Result<HashMap<String, String>> {
        if codes.is_empty() {
            return Ok(HashMap::new());
        }
        let q = Query::filter(
            &CUSTOMER,
            Filter::In("credit_code", codes.into_iter().map(Value::Text).collect()),
        );
        let page = self.store.query(&q).await?;
        page.records
            .iter()
            .filter_map(|r| {
                Customer::from_record(r)
                    .map(|c| c.credit_code.map(|k| (k, c.name)))
                    .transpose()
            })
            .collect()
    }

    /// Imports customers with their contacts from a spreadsheet.
    ///
    /// `source` opens the file (CSV in UTF-8 or GBK/GB18030 through a closure returning a
    /// [`crate::table::TableReader`], or XLSX through [`crate::table::XlsxSource`]); it is opened twice, once to check every row and once to write, so the
    /// file is streamed and never held whole. `progress` hears after every batch. Rows name
    /// their owner by employee code (负责人工号); a row without one belongs to the actor.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `customer.import` and `customer.create`;
    /// [`Error::Invalid`] for an unreadable file or header (a missing 客户名称 column, a row with
    /// more cells than headers is reported as an invalid row). Row problems are not errors: they
    /// are in the report, and in all-or-nothing mode they stop the import before any write.
    pub async fn import_customers(
        &self,
        actor: Actor,
        mut source: impl RowSource,
        options: &ImportOptions,
        mut progress: impl FnMut(ImportProgress),
    ) -> Result<ImportReport> {
        let action = "customer.import";
        let res = async {
            let s = self.session(actor).await?;
            Self::import_allowed(&s)?;
            let batch_size = options.batch_size.max(1);

            // Pass 1: check every row, remembering only name keys (for duplicates within the
            // file) and the lines that failed.
            let mut report = ImportReport::default();
            // Keyed by a 128-bit digest of the key rather than the key itself: a million rows
            // then take ~40 bytes each instead of ~130 (see `key_digest`).
            let mut seen: HashMap<u128, u64> = HashMap::new();
            let mut seen_codes: HashMap<u128, u64> = HashMap::new();
            let mut refused: std::collections::HashSet<u64> = std::collections::HashSet::new();
            let mut reader = source.open()?;
            let mapping = options
                .mapping
                .resolve(reader.headers(), &[CustomerField::Name])?;
            report.ignored_columns = mapping.unmapped().to_vec();
            // Each batch's look-ups of stored names and credit codes run while the next batch
            // is read and checked (the same overlap as the writing pass below).
            let mut batch =
                Self::next_checked_batch(&s, &mapping, &mut reader, &mut report, batch_size).await;
            while !batch.is_empty() {
                let keys = batch
                    .iter()
                    .filter_map(|b| b.checked.as_ref().map(|c| c.name_key().to_owned()))
                    .collect();
                let codes = batch
                    .iter()
                    .filter_map(|b| {
                        b.checked
                            .as_ref()
                            .and_then(|c| c.credit_code().map(str::to_owned))
                    })
                    .collect();
                let lookups = async {
                    let stored = self.stored_keys(keys).await?;
                    let codes = self.stored_codes(codes).await?;
                    Ok::<_, Error>((stored, codes))
                };
                let read =
                    Self::next_checked_batch(&s, &mapping, &mut reader, &mut report, batch_size);
                let (found, next) = futures::join!(lookups, read);
                let (stored, stored_codes) = found?;
                for Checked {
                    line,
                    name,
                    checked,
                    result,
                } in batch
                {
                    let mut result = result;
                    if let Some(c) = checked {
                        let key = c.name_key().to_owned();
                        let outcome = if let Some((id, n)) = stored.get(&key) {
                            RowOutcome::Duplicate(DuplicateOf::Stored {
                                id: *id,
                                name: n.clone(),
                            })
                        } else if let Some(&first) = seen.get(&key_digest(&key)) {
                            RowOutcome::Duplicate(DuplicateOf::EarlierRow { line: first })
                        } else {
                            seen.insert(key_digest(&key), line);
                            RowOutcome::Created { customer_id: None }
                        };
                        let mut warnings = Vec::new();
                        if let Some(code) = c.credit_code() {
                            if let Some(n) = stored_codes.get(code) {
                                warnings.push(format!("credit code {code} is also held by {n}"));
                            } else if let Some(l) = seen_codes.get(&key_digest(code)) {
                                warnings.push(format!("credit code {code} also on line {l}"));
                            } else {
                                seen_codes.insert(key_digest(code), line);
                            }
                        }
                        if !matches!(outcome, RowOutcome::Created { .. }) || !warnings.is_empty() {
                            result = Some(RowResult {
                                line,
                                name,
                                outcome,
                                warnings,
                            });
                        }
                    }
                    match result {
                        None => report.created += 1,
                        Some(r) => {
                            match r.outcome {
                                RowOutcome::Created { .. } => {
                                    report.created += 1;
                                    report.warned += 1;
                                }
                                RowOutcome::Duplicate(_) => {
                                    report.duplicates += 1;
                                    refused.insert(r.line);
                                }
                                RowOutcome::Invalid { .. } => {
                                    report.invalid += 1;
                                    refused.insert(r.line);
                                }
                            }
                            report.problems.push(r);
                        }
                    }
                }
                progress(ImportProgress {
                    phase: ImportPhase::Checking,
                    rows_done: report.rows - next.len() as u64,
                });
                batch = next;
            }
            drop(reader);
            drop(seen);
            drop(seen_codes);
            if options.dry_run
                || report.created == 0
                || (options.mode == ImportMode::AllOrNothing && !refused.is_empty())
            {
                if !options.dry_run
                    && options.mode == ImportMode::AllOrNothing
                    && !refused.is_empty()
                {
                    report.created = 0;
                }
                return Ok(report);
            }

            // Pass 2: write the rows that passed, batch by batch.
            let mut reader = source.open()?;
            let mapping = options
                .mapping
                .resolve(reader.headers(), &[CustomerField::Name])?;
            // Each batch is read, checked and made into records while the one before it
            // commits: that is the client's work, the commit mostly the engine's (another
            // thread for SQLite, the server for PostgreSQL), so the two overlap instead of
            // taking turns.
            //
            // Rows are checked against the organisation as it was when the import began (the
            // first pass judged them against it); each commit asserts the newest version the
            // import has committed under, so a change of the organisation meanwhile makes a
            // commit a conflict, and the batch is then written under the current organisation
            // if the actor may still import (`write_import_batch`).
            let mut done_rows = 0u64;
            let mut org_version = s.org_version;
            let mut next = self
                .next_import_batch(&s, org_version, &mapping, &mut reader, &refused, batch_size)
                .await?;
            while !next.rows.is_empty() {
                let batch = next;
                let taken = batch.taken;
                let write = self.write_import_batch(actor, batch);
                let read = self.next_import_batch(
                    &s,
                    org_version,
                    &mapping,
                    &mut reader,
                    &refused,
                    batch_size,
                );
                let (written, read) = futures::join!(write, read);
                if let Some(newer) = written? {
                    // The batches read from now on assert the version the retry committed
                    // under (the one read beside was made before it, and retries once).
                    org_version = newer;
                }
                report.written = true;
                done_rows += taken;
                progress(ImportProgress {
                    phase: ImportPhase::Writing,
                    rows_done: done_rows,
                });
                next = read?;
            }
            Ok(report)
        }
        .await;
        self.logged(actor, action, "customer", None, res).await
    }

    /// Reads and checks the import's next `batch_size` rows (first pass), counting them in
    /// `report.rows`; a row that cannot be read or fails its checks carries its result. An
    /// empty batch means the file is done. Gives way every few rows, so that look-ups awaited
    /// beside it (`futures::join!`) move on meanwhile.
    async fn next_checked_batch(
        s: &Session,
        mapping: &ResolvedMapping<CustomerField>,
        reader: &mut TableReader<'_>,
        report: &mut ImportReport,
        batch_size: usize,
    ) -> Vec<Checked> {
        let mut batch = Vec::with_capacity(batch_size);
        while batch.len() < batch_size {
            let Some(item) = reader.next() else {
                break;
            };
            report.rows += 1;
            if report.rows.is_multiple_of(4) {
                YieldNow(false).await;
            }
            let (line, name, checked) = match item {
                Err(e) => (report.rows + 1, String::new(), Err(e)),
                Ok(row) => {
                    let name = name_cell(mapping, &row);
                    let line = row.line;
                    let checked = Self::check_row(s, mapping, row).map(|(c, _, _)| c);
                    (line, name, checked)
                }
            };
            batch.push(match checked {
                Ok(c) => Checked {
                    line,
                    name,
                    checked: Some(c),
                    result: None,
                },
                Err(e) => {
                    let (field, reason) = invalid_parts(e);
                    Checked {
                        line,
                        name: name.clone(),
                        checked: None,
                        result: Some(RowResult {
                            line,
                            name,
                            outcome: RowOutcome::Invalid { field, reason },
                            warnings: vec![],
                        }),
                    }
                }
            });
        }
        batch
    }

    /// Reads the import's next rows (second pass) up to `batch_size` that the first pass did
    /// not refuse, checks them again and makes their records. An empty batch means the file is
    /// done. Gives way every few rows, so that a commit awaited beside it (`futures::join!`)
    /// moves on meanwhile.
    async fn next_import_batch(
        &self,
        s: &Session,
        org_version: u64,
        mapping: &ResolvedMapping<CustomerField>,
        reader: &mut TableReader<'_>,
        refused: &std::collections::HashSet<u64>,
        batch_size: usize,
    ) -> Result<ImportBatch> {
        let mut rows = Vec::with_capacity(batch_size);
        let mut taken = 0u64;
        while rows.len() < batch_size {
            let Some(next) = reader.next() else {
                break;
            };
            taken += 1;
            if taken.is_multiple_of(4) {
                YieldNow(false).await;
            }
            if let Ok(row) = next {
                if !refused.contains(&row.line) {
                    let line = row.line;
                    let name = name_cell(mapping, &row);
                    let (checked, contacts, owner) = Self::check_row(s, mapping, row)?;
                    rows.push(Pending {
                        line,
                        name,
                        checked,
                        contacts,
                        owner,
                    });
                }
            }
        }
        YieldNow(false).await;
        let commit = under_org(org_version, self.import_commit(s.ctx.employee_id, &rows)?);
        YieldNow(false).await;
        let commit = self.store.prepare(commit);
        Ok(ImportBatch {
            rows,
            taken,
            commit: Some(commit),
        })
    }

    /// The commit writing checked rows: customers, contacts and audit entries together, with
    /// new ids.
    fn import_commit(&self, actor_id: Uuid, rows: &[Pending]) -> Result<Commit> {
        let now = self.now();
        // Records are added grouped by kind (every customer, then every contact, then every
        // audit entry): references are checked at commit, not in order, and an adapter that
        // writes consecutive records of one kind as one multi-row statement (the SQL adapter)
        // then sends three statements per batch instead of one per row.
        let mut customers = Vec::with_capacity(rows.len());
        let mut contact_records = Vec::with_capacity(rows.len() * 2);
        let mut audits = Vec::with_capacity(rows.len());
        for p in rows {
            let id = self.new_id();
            let mut customer = p.checked.clone().into_new(id, p.owner, actor_id, now);
            let mut contacts: Vec<Contact> = p
                .contacts
                .iter()
                .map(|c| Contact {
                    id: self.new_id(),
                    customer_id: id,
                    ..c.clone()
                })
                .collect();
            settle_primary(&mut contacts, None);
            customer.search_contacts = contacts_search_text(&contacts);
            customers.push(customer.to_record());
            contact_records.extend(contacts.iter().map(Contact::to_record));
            audits.push(self.audit_at(
                now,
                actor_id,
                "customer.import",
                "customer",
                Some(id),
                serde_json::json!({
                    "name": p.name, "line": p.line
                }),
            ));
        }
        let mut c = Commit::new();
        for record in customers.into_iter().chain(contact_records).chain(audits) {
            c.insert(record);
        }
        Ok(c)
    }

    /// Commits one batch. Its records were made (and prepared by the store) beside the previous
    /// commit, asserting the organisation version the reading was given: the first attempt
    /// needs no read of the organisation. When the organisation has changed since (a
    /// conflict), the batch is written under the current one, provided the actor may still
    /// import: its records are made again with new ids, and its rows keep what was decided when
    /// they were checked (their owners). Returns the version that retry committed under, for
    /// the batches after it.
    async fn write_import_batch(
        &self,
        actor: Actor,
        mut batch: ImportBatch,
    ) -> Result<Option<u64>> {
        if let Some(c) = batch.commit.take() {
            match self.store.commit_prepared(c).await {
                Err(e) if e.is_retryable() => {}
                other => return other.map(|()| None),
            }
        }
        retry!(async {
            let s = self.session(actor).await?;
            Self::import_allowed(&s)?;
            let c = self.import_commit(s.ctx.employee_id, &batch.rows)?;
            self.commit(&s, c).await.map(|()| s.org_version)
        })
        .map(Some)
    }

    /// Writes the visible customers matching `search` (paging ignored) as CSV: UTF-8 with a BOM
    /// so spreadsheet programs read the Chinese text, the import's own headers so the file can
    /// be imported again, and cells that start with `=`, `+`, `-` or `@` neutralised against
    /// formula injection. Returns how many customers were written; the export is logged.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `customer.export`; [`Error::Backend`] when writing
    /// fails.
    pub async fn export_customers_csv<W: Write>(
        &self,
        actor: Actor,
        search: &CustomerSearch,
        out: W,
    ) -> Result<u64> {
        let mut w = SafeCsvWriter::new(out, true)?;
        let header = columns::export_header();
        let width = header.len();
        w.write_row(header)?;
        let org = self.org().await?;
        let n = self
            .for_each_visible(actor, CustomerOp::Export, search, |c, contacts| {
                let owner = org
                    .employee(c.owner_id)
                    .map(|e| e.code.clone())
                    .unwrap_or_default();
                let tags = c.tags.iter().cloned().collect::<Vec<_>>().join("、");
                let mut row = vec![
                    c.name,
                    c.short_name.unwrap_or_default(),
                    c.customer_type.unwrap_or_default(),
                    c.level.unwrap_or_default(),
                    c.industry.unwrap_or_default(),
                    c.province.unwrap_or_default(),
                    c.city.unwrap_or_default(),
                    c.source.unwrap_or_default(),
                    c.address.unwrap_or_default(),
                    c.phone.unwrap_or_default(),
                    c.website.unwrap_or_default(),
                    c.credit_code.unwrap_or_default(),
                    c.bank_name.unwrap_or_default(),
                    c.bank_account.unwrap_or_default(),
                    c.credit_limit.map(|d| d.to_string()).unwrap_or_default(),
                    owner,
                    tags,
                ];
                for ct in contacts
                    .into_iter()
                    .take(usize::from(columns::CONTACT_SLOTS))
                {
                    row.extend([
                        ct.name,
                        ct.title.unwrap_or_default(),
                        ct.mobile.unwrap_or_default(),
                        ct.phone.unwrap_or_default(),
                        ct.email.unwrap_or_default(),
                        ct.birthday.map(|d| d.to_string()).unwrap_or_default(),
                    ]);
                }
                row.resize(width, String::new());
                w.write_row(row)
            })
            .await?;
        w.finish()?;
        let s = self.session(actor).await?;
        let mut c = Commit::new();
        c.insert(self.audit(
            actor.employee_id(),
            "customer.export",
            "customer",
            None,
            serde_json::json!({"rows": n}),
        ));
        self.commit(&s, c).await?;
        Ok(n)
    }
}

/// A row's customer name as written (empty when the cell is), for the report and the audit.
fn name_cell(m: &ResolvedMapping<CustomerField>, row: &crate::table::TableRow) -> String {
    m.get(row, CustomerField::Name)
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn invalid_parts(e: Error) -> (String, String) {
    match e {
        Error::Invalid { field, reason } => (field, reason),
        other => ("row".to_owned(), other.to_string()),
    }
}

/// A 128-bit digest of a normalised key, for the import's within-file duplicate check. Two
/// SipHash passes with different prefixes: the chance that two different keys of a
/// 10,000,000-row file share a digest is about 10^-25, far below that of a disk error, so the
/// check treats equal digests as equal keys.
pub(super) fn key_digest(key: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// A future that is pending once (waking its task at once), then ready: gives way to the other
/// futures of a `futures::join!` without a runtime's timer or yield.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
