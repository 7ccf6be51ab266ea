//! Something an import can open more than once: a streaming import reads its file twice (check,
//! then write), so it needs a way to start again from the top.

use super::{TableReader, XlsxWorkbook};
use crate::error::Result;

/// A file that can be opened (again) as a [`TableReader`].
///
/// Any closure returning a reader that owns its input is one, which suits CSV files:
///
/// ```
/// use crm_core::table::{RowSource, TableReader, TextEncoding};
/// let bytes: &'static [u8] = "客户名称\n华为\n".as_bytes();
/// let mut source = || TableReader::csv(bytes, TextEncoding::Auto);
/// assert_eq!(source.open()?.count(), 1);
/// assert_eq!(source.open()?.count(), 1);
/// # Ok::<(), crm_core::Error>(())
/// ```
///
/// An XLSX reader borrows its workbook, so a workbook is wrapped in [`XlsxSource`] instead.
pub trait RowSource {
    /// Opens the file from its first row.
    ///
    /// # Errors
    /// As [`TableReader::csv`] and [`TableReader::xlsx`].
    fn open(&mut self) -> Result<TableReader<'_>>;
}

impl<F> RowSource for F
where
    F: FnMut() -> Result<TableReader<'static>>,
{
    fn open(&mut self) -> Result<TableReader<'_>> {
        self()
    }
}

/// A worksheet of an XLSX workbook as a [`RowSource`].
///
/// ```
/// use crm_core::table::{RowSource, XlsxSource, XlsxWorkbook};
/// # let mut book = rust_xlsxwriter::Workbook::new();
/// # let sheet = book.add_worksheet();
/// # sheet.write(0, 0, "客户名称").unwrap();
/// # sheet.write(1, 0, "华为").unwrap();
/// # let bytes = book.save_to_buffer().unwrap();
/// let workbook = XlsxWorkbook::open(std::io::Cursor::new(bytes))?;
/// let mut source = XlsxSource::new(workbook, None);
/// assert_eq!(source.open()?.count(), 1);
/// assert_eq!(source.open()?.count(), 1);
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug)]
pub struct XlsxSource {
    workbook: XlsxWorkbook,
    sheet: Option<String>,
}

impl XlsxSource {
    /// The worksheet named `sheet` (or the first one) of `workbook`.
    pub fn new(workbook: XlsxWorkbook, sheet: Option<String>) -> Self {
        XlsxSource { workbook, sheet }
    }
}

impl RowSource for XlsxSource {
    fn open(&mut self) -> Result<TableReader<'_>> {
        TableReader::xlsx(&mut self.workbook, self.sheet.as_deref())
    }
}
