//! Header texts onto the caller's fields.

use super::{column_name, TableRow};
use crate::error::{Error, Result};

/// Which header texts mean which of the caller's fields.
///
/// `F` is the caller's own field enum. Each field accepts any of several names (`客户名称`,
/// `公司名称`…), matched after trimming, ignoring case and folding full-width characters to their
/// ASCII forms (`ＮＡＭＥ` = `name`) and runs of whitespace to one space, since that is how
/// headers typed with a Chinese input method vary.
///
/// ```
/// use crm_core::table::HeaderMapping;
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum Field { Name, Email }
///
/// let mapping = HeaderMapping::new()
///     .field(Field::Name, &["客户名称", "公司名称", "Name"])
///     .field(Field::Email, &["邮箱", "E-mail"]);
/// let headers = ["ＮＡＭＥ".to_owned(), "e-mail".to_owned()];
/// let resolved = mapping.resolve(&headers, &[Field::Name])?;
/// assert_eq!(resolved.column(Field::Name), Some(0));
/// assert_eq!(resolved.column(Field::Email), Some(1));
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HeaderMapping<F> {
    aliases: Vec<Alias<F>>,
}

#[derive(Debug, Clone)]
struct Alias<F> {
    field: F,
    /// As the caller wrote it, for messages.
    name: String,
    /// As it is compared.
    key: String,
}

impl<F: Copy + Eq> HeaderMapping<F> {
    /// An empty mapping.
    ///
    /// ```
    /// use crm_core::table::HeaderMapping;
    ///
    /// let mapping = HeaderMapping::<u8>::new();
    /// let resolved = mapping.resolve(&["名称".to_owned()], &[])?;
    /// assert_eq!(resolved.unmapped(), ["名称"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn new() -> Self {
        HeaderMapping {
            aliases: Vec::new(),
        }
    }

    /// Adds the names under which `field` may appear. The first name is the one error messages
    /// use for a missing required field.
    ///
    /// ```
    /// use crm_core::table::HeaderMapping;
    ///
    /// let mapping = HeaderMapping::new().field('n', &["客户名称", "公司名称"]);
    /// let resolved = mapping.resolve(&["公司名称".to_owned()], &['n'])?;
    /// assert_eq!(resolved.column('n'), Some(0));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    #[must_use]
    pub fn field(mut self, field: F, names: &[&str]) -> Self {
        self.aliases.extend(names.iter().map(|name| Alias {
            field,
            name: (*name).to_owned(),
            key: fold_header(name),
        }));
        self
    }

    /// Finds the column of each field in `headers` (from [`super::TableReader::headers`]).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with field `"header"` when two columns mean the same field (e.g. both
    /// `客户名称` and `公司名称` are present), when a header matches names of two different
    /// fields (a mistake in the mapping), or when a field of `required` has no column. Each
    /// message names the columns by letter and text.
    ///
    /// ```
    /// use crm_core::table::HeaderMapping;
    ///
    /// let mapping = HeaderMapping::new()
    ///     .field(1, &["客户名称", "公司名称"])
    ///     .field(2, &["电话"]);
    /// let headers = ["客户名称".to_owned(), "公司名称".to_owned()];
    /// let err = mapping.resolve(&headers, &[1]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid header: columns A (客户名称) and B (公司名称) both mean the same field; keep one"
    /// );
    /// let err = mapping.resolve(&headers[..1], &[1, 2]).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid header: missing required column 电话");
    /// ```
    pub fn resolve(&self, headers: &[String], required: &[F]) -> Result<ResolvedMapping<F>> {
        let mut columns: Vec<(F, usize)> = Vec::new();
        let mut unmapped = Vec::new();
        for (index, header) in headers.iter().enumerate() {
            let key = fold_header(header);
            let mut fields = self
                .aliases
                .iter()
                .filter(|alias| alias.key == key)
                .map(|alias| alias.field);
            let Some(field) = fields.next() else {
                unmapped.push(header.clone());
                continue;
            };
            if fields.any(|other| other != field) {
                return Err(Error::invalid(
                    "header",
                    format!(
                        "column {} ({header}) matches more than one field of the mapping",
                        column_name(index)
                    ),
                ));
            }
            if let Some(&(_, earlier)) = columns.iter().find(|(f, _)| *f == field) {
                let earlier_name = headers.get(earlier).map_or("", String::as_str);
                return Err(Error::invalid(
                    "header",
                    format!(
                        "columns {} ({earlier_name}) and {} ({header}) both mean the same field; \
                         keep one",
                        column_name(earlier),
                        column_name(index)
                    ),
                ));
            }
            columns.push((field, index));
        }

        let missing: Vec<String> = required
            .iter()
            .filter(|field| !columns.iter().any(|(f, _)| f == *field))
            .map(|field| self.describe(*field))
            .collect();
        if !missing.is_empty() {
            let plural = if missing.len() > 1 { "s" } else { "" };
            return Err(Error::invalid(
                "header",
                format!("missing required column{plural} {}", missing.join("; ")),
            ));
        }
        Ok(ResolvedMapping { columns, unmapped })
    }

    /// `客户名称 (also accepted: 公司名称)`, for a missing-column message.
    fn describe(&self, field: F) -> String {
        let mut names = self
            .aliases
            .iter()
            .filter(|alias| alias.field == field)
            .map(|alias| alias.name.as_str());
        match names.next() {
            None => "(a field the mapping has no name for)".to_owned(),
            Some(first) => {
                let others: Vec<&str> = names.collect();
                if others.is_empty() {
                    first.to_owned()
                } else {
                    format!("{first} (also accepted: {})", others.join(", "))
                }
            }
        }
    }
}

impl<F: Copy + Eq> Default for HeaderMapping<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// The column of each field in one table, from [`HeaderMapping::resolve`].
///
/// ```
/// use crm_core::table::{HeaderMapping, TableRow};
///
/// let resolved = HeaderMapping::new()
///     .field("name", &["名称"])
///     .field("phone", &["电话"])
///     .resolve(&["电话".to_owned(), "名称".to_owned(), "备注".to_owned()], &["name"])?;
/// let row = TableRow { line: 2, cells: vec!["".into(), "华为".into(), "x".into()] };
/// assert_eq!(resolved.get(&row, "name"), Some("华为"));
/// assert_eq!(resolved.get(&row, "phone"), None); // present but empty
/// assert_eq!(resolved.unmapped(), ["备注"]);
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMapping<F> {
    columns: Vec<(F, usize)>,
    unmapped: Vec<String>,
}

impl<F: Copy + Eq> ResolvedMapping<F> {
    /// The 0-based column of `field`, `None` when the table has no such column.
    ///
    /// ```
    /// use crm_core::table::HeaderMapping;
    ///
    /// let resolved = HeaderMapping::new()
    ///     .field(1, &["名称"])
    ///     .field(2, &["电话"])
    ///     .resolve(&["名称".to_owned()], &[])?;
    /// assert_eq!(resolved.column(1), Some(0));
    /// assert_eq!(resolved.column(2), None);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn column(&self, field: F) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|&(_, index)| index)
    }

    /// The cell of `field` in `row`; `None` when the table has no such column or the cell is
    /// empty, so optional fields need no separate emptiness check.
    ///
    /// ```
    /// use crm_core::table::{HeaderMapping, TableRow};
    ///
    /// let resolved = HeaderMapping::new().field(1, &["名称"]).resolve(&["名称".to_owned()], &[])?;
    /// let row = TableRow { line: 2, cells: vec!["华为".into()] };
    /// assert_eq!(resolved.get(&row, 1), Some("华为"));
    /// assert_eq!(resolved.get(&row, 2), None);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn get<'r>(&self, row: &'r TableRow, field: F) -> Option<&'r str> {
        self.column(field)
            .and_then(|index| row.get(index))
            .filter(|cell| !cell.is_empty())
    }

    /// The cell of `field`, moved out of `row` (left empty there); `None` as in
    /// [`ResolvedMapping::get`]. A column belongs to one field at most, so taking one field's
    /// cell never takes another's.
    ///
    /// ```
    /// use crm_core::table::{HeaderMapping, TableRow};
    ///
    /// let resolved = HeaderMapping::new()
    ///     .field(1, &["名称"])
    ///     .resolve(&["名称".to_owned()], &[1])?;
    /// let mut row = TableRow { line: 2, cells: vec!["华为".to_owned()] };
    /// assert_eq!(resolved.take(&mut row, 1).as_deref(), Some("华为"));
    /// assert_eq!(resolved.get(&row, 1), None);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn take(&self, row: &mut TableRow, field: F) -> Option<String> {
        self.column(field)
            .and_then(|index| row.cells.get_mut(index))
            .filter(|cell| !cell.is_empty())
            .map(std::mem::take)
    }

    /// The headers that matched no field, in column order, so the caller can tell the user
    /// which columns were ignored.
    ///
    /// ```
    /// use crm_core::table::HeaderMapping;
    ///
    /// let resolved = HeaderMapping::new()
    ///     .field(1, &["名称"])
    ///     .resolve(&["名称".to_owned(), "备注".to_owned(), "传真".to_owned()], &[1])?;
    /// assert_eq!(resolved.unmapped(), ["备注", "传真"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn unmapped(&self) -> &[String] {
        &self.unmapped
    }
}

/// The comparison form of a header: full-width folded, lower-case, whitespace trimmed and
/// collapsed.
fn fold_header(header: &str) -> String {
    let folded: String = header
        .chars()
        .map(fold_width)
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Full-width ASCII forms (U+FF01–U+FF5E, typed with a Chinese input method in full-width mode)
/// to ASCII, and the ideographic space U+3000 to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_case_and_spaces() {
        assert_eq!(fold_header("  Ｅ－ｍａｉｌ　地址 "), "e-mail 地址");
        assert_eq!(fold_header("ＮＡＭＥ"), "name");
        assert_eq!(fold_header("（备注）"), "(备注)");
        assert_eq!(fold_width('～'), '~');
        assert_eq!(fold_width('！'), '!');
    }
}
