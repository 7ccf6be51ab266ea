//! CSV export that spreadsheets open correctly and safely.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use crate::error::{Error, Result};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes CSV for spreadsheet users, neutralising every cell with [`neutralise_cell`].
///
/// Records end in CRLF (RFC 4180, and what Excel itself writes). Every row must have the same
/// number of cells.
///
/// With `with_bom`, the output starts with a UTF-8 byte-order mark. Excel (and WPS) on a Chinese
/// Windows read a CSV file without one in the system code page, GBK, and so show UTF-8 Chinese
/// text as mojibake; the mark makes them read UTF-8. Leave it out for programs that do not
/// expect it.
///
/// ```
/// use crm_core::table::SafeCsvWriter;
///
/// let mut csv = SafeCsvWriter::new(Vec::new(), true)?;
/// csv.write_row(["客户名称", "余额"])?;
/// csv.write_row(["=HYPERLINK(\"http://evil\")", "-12.50"])?;
/// let bytes = csv.finish()?;
/// assert_eq!(
///     bytes,
///     "\u{FEFF}客户名称,余额\r\n\"'=HYPERLINK(\"\"http://evil\"\")\",-12.50\r\n".as_bytes()
/// );
/// # Ok::<(), crm_core::Error>(())
/// ```
pub struct SafeCsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeCsvWriter<W> {
    /// Starts a CSV file on `writer`, with a UTF-8 byte-order mark if `with_bom` (see above).
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when writing the byte-order mark fails.
    ///
    /// ```
    /// use crm_core::table::SafeCsvWriter;
    ///
    /// assert_eq!(SafeCsvWriter::new(Vec::new(), true)?.finish()?, b"\xEF\xBB\xBF");
    /// assert!(SafeCsvWriter::new(Vec::new(), false)?.finish()?.is_empty());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn new(mut writer: W, with_bom: bool) -> Result<Self> {
        if with_bom {
            writer.write_all(UTF8_BOM).map_err(Error::backend)?;
        }
        Ok(SafeCsvWriter {
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(writer),
        })
    }

    /// Writes one row, each cell passed through [`neutralise_cell`] and quoted as needed.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the writer fails; [`Error::Invalid`] with field `"row"` when the
    /// row has a different number of cells than the first one.
    ///
    /// ```
    /// use crm_core::table::SafeCsvWriter;
    ///
    /// let mut csv = SafeCsvWriter::new(Vec::new(), false)?;
    /// csv.write_row(&["a", "b"])?;
    /// csv.write_row(vec![String::from("@x"), String::from("1,5")])?;
    /// assert!(csv.write_row(["only one"]).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn write_row<I>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for cell in cells {
            self.inner
                .write_field(neutralise_cell(cell.as_ref()).as_bytes())
                .map_err(csv_error)?;
        }
        // An empty record ends the one built by `write_field`.
        self.inner.write_record(None::<&[u8]>).map_err(csv_error)
    }

    /// Flushes everything and hands the writer back.
    ///
    /// # Errors
    ///
    /// [`Error::Backend`] when the writer fails.
    ///
    /// ```
    /// use crm_core::table::SafeCsvWriter;
    ///
    /// let mut csv = SafeCsvWriter::new(Vec::new(), false)?;
    /// csv.write_row(["名称"])?;
    /// assert_eq!(csv.finish()?, "名称\r\n".as_bytes());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn finish(self) -> Result<W> {
        self.inner
            .into_inner()
            .map_err(|e| Error::backend(e.into_error()))
    }
}

impl<W: Write> fmt::Debug for SafeCsvWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeCsvWriter").finish_non_exhaustive()
    }
}

fn csv_error(e: csv::Error) -> Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::backend(io),
        _ => Error::invalid("row", message),
    }
}

/// Makes a cell safe to open in a spreadsheet: CSV (formula) injection.
///
/// A spreadsheet treats a cell that starts with `=`, `+`, `-` or `@` as a formula, which can run
/// commands (DDE) or send data away (`HYPERLINK`) when a colleague opens an export that contains
/// text a customer typed in. Following the OWASP guidance on CSV injection, such a cell — and one
/// starting with a tab or carriage return — gets a leading single quote `'`, which makes
/// spreadsheets show it as text. The full-width forms `＝＋－＠` get one too: they cost nothing
/// for text, and guard against software that folds full-width input.
///
/// One exception, where this module departs from OWASP's "prefix everything": a cell that is a
/// plain negative decimal number (`-12.50`, `-3`: a minus sign, digits, optionally a point and
/// more digits) is left alone, so amounts stay numbers in the spreadsheet. Such a cell cannot
/// hold a function call or a reference, so it cannot do harm. A leading `+` is not excepted:
/// exported numbers never carry one.
///
/// ```
/// use crm_core::table::neutralise_cell;
///
/// assert_eq!(neutralise_cell("=SUM(A1)"), "'=SUM(A1)");
/// assert_eq!(neutralise_cell("+1"), "'+1");
/// assert_eq!(neutralise_cell("-cmd"), "'-cmd");
/// assert_eq!(neutralise_cell("@x"), "'@x");
/// assert_eq!(neutralise_cell("-12.50"), "-12.50");
/// assert_eq!(neutralise_cell("华为"), "华为");
/// ```
pub fn neutralise_cell(cell: &str) -> Cow<'_, str> {
    const TRIGGERS: [char; 10] = [
        '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ];
    if cell.starts_with(TRIGGERS) && !is_plain_negative_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-` followed by digits, optionally with one decimal point between digits.
fn is_plain_negative_number(cell: &str) -> bool {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(unsigned) = cell.strip_prefix('-') else {
        return false;
    };
    match unsigned.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(unsigned),
    }
}
