//! Tables in and out: batch import from spreadsheets as Chinese offices save them, and export.
//!
//! The module is generic: it knows rows, headers and cells, not customers or products. It does no
//! file I/O of its own either: the host hands in readers and writers.
//!
//! * [`TableReader`] streams the rows of a CSV file (UTF-8 or GB18030/GBK, detected or chosen) or
//!   of an XLSX worksheet, one [`TableRow`] at a time, so a large file is never held whole.
//! * [`HeaderMapping`] maps the header texts users actually write (`客户名称`, `公司名称`,
//!   `ＮＡＭＥ`…) onto the caller's own field enum and reports columns it ignored.
//! * [`SafeCsvWriter`] writes CSV that Excel opens correctly and that cannot smuggle formulas
//!   into the spreadsheet of whoever opens it ([`neutralise_cell`]).
//!
//! ```
//! use crm_core::table::{HeaderMapping, TableReader, TextEncoding};
//!
//! #[derive(Clone, Copy, PartialEq, Eq)]
//! enum Field { Name, Phone }
//!
//! let file = "客户名称,电话,备注\n华为技术,13800138000,老客户\n".as_bytes();
//! let mut rows = TableReader::csv(file, TextEncoding::Auto)?;
//! let mapping = HeaderMapping::new()
//!     .field(Field::Name, &["客户名称", "公司名称"])
//!     .field(Field::Phone, &["电话", "手机"])
//!     .resolve(rows.headers(), &[Field::Name])?;
//! assert_eq!(mapping.unmapped(), ["备注"]);
//!
//! let row = rows.next().expect("one row")?;
//! assert_eq!(mapping.get(&row, Field::Name), Some("华为技术"));
//! assert_eq!(mapping.get(&row, Field::Phone), Some("13800138000"));
//! # Ok::<(), crm_core::Error>(())
//! ```

mod csv_source;
mod export;
mod mapping;
mod source;
mod xlsx_source;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io::Read;
use std::iter::FusedIterator;

pub use csv_source::TextEncoding;
pub use export::{neutralise_cell, SafeCsvWriter};
pub use mapping::{HeaderMapping, ResolvedMapping};
pub use source::{RowSource, XlsxSource};
pub use xlsx_source::XlsxWorkbook;

use crate::error::{Error, Result};

/// One data row of a table.
///
/// `cells` has exactly one entry per header column (short rows are padded with empty strings),
/// each trimmed of surrounding whitespace.
///
/// ```
/// use crm_core::table::{TableReader, TextEncoding};
///
/// let mut rows = TableReader::csv("名称,电话\n 华为 \n".as_bytes(), TextEncoding::Auto)?;
/// let row = rows.next().expect("one row")?;
/// assert_eq!(row.line, 2);
/// assert_eq!(row.cells, ["华为", ""]);
/// assert_eq!(row.get(0), Some("华为"));
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// Where the row starts in the file, 1-based, as the user sees it: the header is line 1 of a
    /// typical file. For CSV this is the text line (a cell with line breaks spans several); for
    /// XLSX it is the worksheet's row number.
    pub line: u64,
    /// The cells, one per header column, trimmed.
    pub cells: Vec<String>,
}

impl TableRow {
    /// The cell in column `index` (0-based), `None` past the last column.
    ///
    /// ```
    /// use crm_core::table::TableRow;
    ///
    /// let row = TableRow { line: 2, cells: vec!["华为".into()] };
    /// assert_eq!(row.get(0), Some("华为"));
    /// assert_eq!(row.get(1), None);
    /// ```
    pub fn get(&self, index: usize) -> Option<&str> {
        self.cells.get(index).map(String::as_str)
    }
}

/// Streams the rows of a table: a CSV file or an XLSX worksheet.
///
/// The first non-empty row is the header ([`TableReader::headers`]); the reader then yields one
/// item per data row. Rows are checked the same way whatever the source:
///
/// * cells are trimmed; fully empty rows are skipped;
/// * a row with fewer cells than the header is padded with empty strings;
/// * a row with a non-empty cell beyond the last header column is an
///   [`Error::Invalid`] whose `field` is `"line N"`. Trailing *empty* cells are not counted: Excel
///   and WPS often write trailing separators or formatted empty cells, and they carry no data;
/// * a cell the source cannot render (bytes invalid in the file's encoding, an Excel error value
///   such as `#N/A`) makes the row an [`Error::Invalid`] naming the line.
///
/// A row error does not end the iteration: the caller may report it and carry on with the next
/// row. An error reading the source itself (I/O, a corrupt workbook) is the last item.
///
/// ```
/// use crm_core::table::{TableReader, TextEncoding};
///
/// let file = "名称,电话\n华为,1\n阿里,2,多余\n腾讯\n".as_bytes();
/// let rows: Vec<_> = TableReader::csv(file, TextEncoding::Auto)?.collect();
/// assert_eq!(rows.len(), 3);
/// assert_eq!(rows[0].as_ref().unwrap().cells, ["华为", "1"]);
/// assert_eq!(
///     rows[1].as_ref().unwrap_err().to_string(),
///     "invalid line 3: row has 3 cells but the header has 2 columns"
/// );
/// assert_eq!(rows[2].as_ref().unwrap().cells, ["腾讯", ""]);
/// # Ok::<(), crm_core::Error>(())
/// ```
pub struct TableReader<'a> {
    headers: Vec<String>,
    source: Source<'a>,
}

/// Where the rows come from. Each source yields trimmed, unshaped rows and fuses itself after a
/// fatal error; [`TableReader`] applies the shared header and row rules.
enum Source<'a> {
    // Boxed: both hold buffers and parser state, and a `TableReader` is moved around by value.
    Csv(Box<csv_source::CsvRows<'a>>),
    Xlsx(Box<xlsx_source::XlsxRows<'a>>),
}

/// A row as a source read it: trimmed cells, not yet checked against the header.
struct RawRow {
    line: u64,
    cells: Vec<String>,
}

impl Source<'_> {
    fn next_raw(&mut self) -> Option<Result<RawRow>> {
        match self {
            Source::Csv(rows) => rows.next_raw(),
            Source::Xlsx(rows) => rows.next_raw(),
        }
    }
}

impl<'a> TableReader<'a> {
    /// Reads CSV text from `reader` in the given encoding, and its header row.
    ///
    /// With [`TextEncoding::Auto`] the encoding is detected from a UTF-8 byte-order mark or, if
    /// there is none, from the first 64 KiB (see [`TextEncoding`]). The input is then decoded as
    /// a stream; only that 64 KiB prefix is ever buffered, so files of any size can be read.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with field `"file"` when the encoding is not recognised (UTF-16, binary
    /// data such as an XLSX file, bytes that are neither UTF-8 nor GB18030) or the file has no
    /// header row; with field `"header"` when a header name is empty or repeated; with field
    /// `"line 1"` when the header row holds invalid bytes. [`Error::Backend`] when `reader` fails.
    ///
    /// ```
    /// use crm_core::table::{TableReader, TextEncoding};
    ///
    /// let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,电话\n华为,13800138000\n");
    /// let rows = TableReader::csv(&gbk[..], TextEncoding::Auto)?;
    /// assert_eq!(rows.encoding(), Some(TextEncoding::Gb18030));
    /// assert_eq!(rows.headers(), ["客户名称", "电话"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn csv(reader: impl Read + Send + 'a, encoding: TextEncoding) -> Result<Self> {
        let rows = csv_source::CsvRows::open(reader, encoding)?;
        Self::with_source(Source::Csv(Box::new(rows)))
    }

    /// Reads a worksheet of `workbook`: the one named `sheet`, or the first one.
    ///
    /// Cells are streamed from the worksheet rather than loaded as a whole; the reader borrows
    /// the workbook for that. Cell values become text: strings as they are, numbers in their
    /// shortest decimal form (`42`, `12.5`), booleans as `TRUE`/`FALSE`, dates as `YYYY-MM-DD`
    /// (with ` HH:MM:SS` when there is a time of day).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with field `"sheet"` when there is no such worksheet, with field
    /// `"file"` when the workbook has no worksheet or the sheet cannot be read, and the header
    /// errors of [`TableReader::csv`].
    ///
    /// ```
    /// use crm_core::table::{TableReader, XlsxWorkbook};
    /// # let mut book = rust_xlsxwriter::Workbook::new();
    /// # let sheet = book.add_worksheet();
    /// # sheet.write(0, 0, "客户名称").unwrap();
    /// # sheet.write(1, 0, "华为").unwrap();
    /// # let bytes = book.save_to_buffer().unwrap();
    ///
    /// // `bytes` holds an XLSX file, e.g. an upload.
    /// let mut workbook = XlsxWorkbook::open(std::io::Cursor::new(bytes))?;
    /// let mut rows = TableReader::xlsx(&mut workbook, None)?;
    /// assert_eq!(rows.headers(), ["客户名称"]);
    /// assert_eq!(rows.next().expect("one row")?.cells, ["华为"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn xlsx(workbook: &'a mut XlsxWorkbook, sheet: Option<&str>) -> Result<Self> {
        let rows = xlsx_source::XlsxRows::open(workbook, sheet)?;
        Self::with_source(Source::Xlsx(Box::new(rows)))
    }

    /// The header row: trimmed, non-empty and distinct names, one per column.
    ///
    /// ```
    /// use crm_core::table::{TableReader, TextEncoding};
    ///
    /// let rows = TableReader::csv(" 名称 , 电话 ,\n".as_bytes(), TextEncoding::Auto)?;
    /// assert_eq!(rows.headers(), ["名称", "电话"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The text encoding of a CSV source (as detected, for [`TextEncoding::Auto`]); `None` for
    /// XLSX, which has no choice of encoding. Useful to tell the user how the file was read.
    ///
    /// ```
    /// use crm_core::table::{TableReader, TextEncoding};
    ///
    /// let rows = TableReader::csv("名称\n".as_bytes(), TextEncoding::Auto)?;
    /// assert_eq!(rows.encoding(), Some(TextEncoding::Utf8));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn encoding(&self) -> Option<TextEncoding> {
        match &self.source {
            Source::Csv(rows) => Some(rows.encoding()),
            Source::Xlsx(_) => None,
        }
    }

    fn with_source(mut source: Source<'a>) -> Result<Self> {
        let header = loop {
            match source.next_raw() {
                None => return Err(Error::invalid("file", "the file is empty: no header row")),
                Some(row) => {
                    let row = row?;
                    if row.cells.iter().any(|cell| !cell.is_empty()) {
                        break row;
                    }
                }
            }
        };
        Ok(TableReader {
            headers: check_headers(header.cells)?,
            source,
        })
    }
}

impl Iterator for TableReader<'_> {
    type Item = Result<TableRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let row = match self.source.next_raw()? {
                Ok(row) => row,
                Err(e) => return Some(Err(e)),
            };
            if let Some(shaped) = shape_row(row, self.headers.len()) {
                return Some(shaped);
            }
        }
    }
}

// Both sources stay exhausted once they have returned `None`.
impl FusedIterator for TableReader<'_> {}

impl fmt::Debug for TableReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            Source::Csv(_) => "csv",
            Source::Xlsx(_) => "xlsx",
        };
        f.debug_struct("TableReader")
            .field("source", &source)
            .field("encoding", &self.encoding())
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Validates the header row. Trailing empty cells are dropped (spreadsheets write them for
/// formatted but unused columns); any other empty or repeated name is refused, because a mapping
/// could not tell which column is meant.
fn check_headers(mut cells: Vec<String>) -> Result<Vec<String>> {
    cells.truncate(used_len(&cells));
    for (index, name) in cells.iter().enumerate() {
        if name.is_empty() {
            return Err(Error::invalid(
                "header",
                format!("column {} has no name", column_name(index)),
            ));
        }
        if let Some(first) = cells.iter().take(index).position(|other| other == name) {
            return Err(Error::invalid(
                "header",
                format!(
                    "column {} repeats the name \"{name}\" of column {}",
                    column_name(index),
                    column_name(first)
                ),
            ));
        }
    }
    Ok(cells)
}

/// Applies the row rules of [`TableReader`]: `None` for an empty row, an error for a row wider
/// than the header, otherwise the row padded (or cut of trailing empty cells) to `width`.
fn shape_row(row: RawRow, width: usize) -> Option<Result<TableRow>> {
    let RawRow { line, mut cells } = row;
    let used = used_len(&cells);
    if used == 0 {
        return None;
    }
    if used > width {
        return Some(Err(Error::invalid(
            format!("line {line}"),
            format!("row has {used} cells but the header has {width} columns"),
        )));
    }
    cells.resize(width, String::new());
    Some(Ok(TableRow { line, cells }))
}

/// The number of cells up to and including the last non-empty one.
fn used_len(cells: &[String]) -> usize {
    cells
        .iter()
        .rposition(|cell| !cell.is_empty())
        .map_or(0, |last| last + 1)
}

/// The spreadsheet name of a 0-based column index: `A`, …, `Z`, `AA`, … Users open CSV files in
/// Excel or WPS too, so letters point them at the right column in either format.
fn column_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}
