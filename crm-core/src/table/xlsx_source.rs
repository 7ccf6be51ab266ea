//! XLSX rows, streamed cell by cell from the worksheet XML.

use std::fmt;
use std::io::{Read, Seek};

use calamine::{DataRef, ExcelDateTime, Reader, Xlsx, XlsxCellReader, XlsxError};

use super::{column_name, RawRow};
use crate::error::{Error, Result};

/// What a workbook is read from. Boxed so that [`XlsxWorkbook`] and [`super::TableReader`] need
/// no type parameter for the host's reader.
trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

type Boxed = Box<dyn ReadSeek>;

/// Excel's column limit (`XFD`).
const MAX_COLUMNS: u32 = 16_384;

/// An open XLSX workbook, from which [`TableReader::xlsx`](super::TableReader::xlsx) streams a
/// worksheet.
///
/// Opening reads the workbook's directory, styles and shared-string table (Excel stores each
/// distinct text once per workbook), not the worksheets: their cells are streamed later.
///
/// ```
/// use crm_core::table::XlsxWorkbook;
/// # let mut book = rust_xlsxwriter::Workbook::new();
/// # book.add_worksheet().set_name("客户").unwrap();
/// # book.add_worksheet().set_name("产品").unwrap();
/// # let bytes = book.save_to_buffer().unwrap();
///
/// let workbook = XlsxWorkbook::open(std::io::Cursor::new(bytes))?;
/// assert_eq!(workbook.sheet_names(), ["客户", "产品"]);
/// # Ok::<(), crm_core::Error>(())
/// ```
pub struct XlsxWorkbook {
    inner: Xlsx<Boxed>,
}

impl XlsxWorkbook {
    /// Opens the workbook in `reader` (a file, or the bytes of an upload in a `Cursor`).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] with field `"file"` when the data is not a readable XLSX workbook
    /// (another format, damaged, or password-protected); [`Error::Backend`] when `reader` fails.
    ///
    /// ```
    /// use crm_core::{table::XlsxWorkbook, Error};
    ///
    /// let not_xlsx = std::io::Cursor::new(b"name,phone\n".to_vec());
    /// assert!(matches!(XlsxWorkbook::open(not_xlsx), Err(Error::Invalid { field, .. }) if field == "file"));
    /// ```
    pub fn open(reader: impl Read + Seek + Send + 'static) -> Result<Self> {
        let boxed: Boxed = Box::new(reader);
        Ok(XlsxWorkbook {
            inner: Xlsx::new(boxed).map_err(xlsx_error)?,
        })
    }

    /// The names of the worksheets, in workbook order.
    ///
    /// ```
    /// use crm_core::table::XlsxWorkbook;
    /// # let mut book = rust_xlsxwriter::Workbook::new();
    /// # book.add_worksheet();
    /// # let bytes = book.save_to_buffer().unwrap();
    ///
    /// let workbook = XlsxWorkbook::open(std::io::Cursor::new(bytes))?;
    /// assert_eq!(workbook.sheet_names(), ["Sheet1"]);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn sheet_names(&self) -> Vec<String> {
        self.inner.sheet_names()
    }
}

impl fmt::Debug for XlsxWorkbook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XlsxWorkbook")
            .field("sheets", &self.sheet_names())
            .finish_non_exhaustive()
    }
}

/// A cell read ahead of its row's end: the first cell of the next row.
struct PendingCell {
    row: u32,
    col: u32,
    /// The cell as text, or why it has none (an Excel error value).
    value: std::result::Result<String, String>,
}

pub(super) struct XlsxRows<'a> {
    cells: XlsxCellReader<'a, Boxed>,
    pending: Option<PendingCell>,
    done: bool,
}

impl<'a> XlsxRows<'a> {
    pub(super) fn open(workbook: &'a mut XlsxWorkbook, sheet: Option<&str>) -> Result<Self> {
        let names = workbook.sheet_names();
        let name = match sheet {
            Some(wanted) if names.iter().any(|n| n == wanted) => wanted.to_owned(),
            Some(wanted) => {
                return Err(Error::invalid(
                    "sheet",
                    format!(
                        "the workbook has no worksheet named \"{wanted}\" (it has: {})",
                        names.join(", ")
                    ),
                ))
            }
            None => names
                .into_iter()
                .next()
                .ok_or_else(|| Error::invalid("file", "the workbook has no worksheet"))?,
        };
        let cells = workbook
            .inner
            .worksheet_cells_reader(&name)
            .map_err(xlsx_error)?;
        Ok(XlsxRows {
            cells,
            pending: None,
            done: false,
        })
    }

    /// Gathers the cells of the next row. The cell stream is in row order, so a row ends where a
    /// cell of a later row begins; that cell is kept for the next call.
    pub(super) fn next_raw(&mut self) -> Option<Result<RawRow>> {
        let first = match self.pending.take() {
            Some(cell) => cell,
            None => match self.next_cell()? {
                Ok(cell) => cell,
                Err(e) => return Some(Err(e)),
            },
        };
        let row = first.row;
        let line = u64::from(row) + 1;
        let mut cells = Vec::new();
        let mut problem = None;
        let mut cell = Some(first);
        while let Some(current) = cell.take() {
            match current.value {
                // Empty cells are not placed: a formatted but empty cell far to the right must
                // not widen the row.
                Ok(text) if text.is_empty() => {}
                // The row is sized by the cell's column: refuse columns Excel cannot have
                // rather than allocate for whatever a damaged or hostile file claims.
                Ok(_) if current.col >= MAX_COLUMNS => {
                    problem.get_or_insert_with(|| {
                        "a cell lies beyond column XFD, the last one Excel allows".to_owned()
                    });
                }
                Ok(text) => {
                    let col = current.col as usize;
                    if cells.len() <= col {
                        cells.resize(col + 1, String::new());
                    }
                    cells[col] = text;
                }
                Err(why) => {
                    // Keep reading to the end of the row so the next row starts cleanly.
                    problem.get_or_insert_with(|| {
                        let cell = column_name(current.col as usize);
                        format!("cell {cell}{line} contains the error value {why}")
                    });
                }
            }
            match self.next_cell() {
                Some(Ok(next)) if next.row == row => cell = Some(next),
                Some(Ok(next)) => self.pending = Some(next),
                Some(Err(e)) => return Some(Err(e)),
                None => {}
            }
        }
        Some(match problem {
            Some(why) => Err(Error::invalid(format!("line {line}"), why)),
            None => Ok(RawRow { line, cells }),
        })
    }

    fn next_cell(&mut self) -> Option<Result<PendingCell>> {
        if self.done {
            return None;
        }
        match self.cells.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                Some(Ok(PendingCell {
                    row,
                    col,
                    value: render(cell.get_value()),
                }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                // A broken worksheet cannot be resynchronised: stop here.
                self.done = true;
                Some(Err(xlsx_error(e)))
            }
        }
    }
}

/// A cell value as text, or the Excel error it holds (`#N/A`, `#DIV/0!`…).
pub(super) fn render(value: &DataRef<'_>) -> std::result::Result<String, String> {
    Ok(match value {
        DataRef::Empty => String::new(),
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.trim().to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(n) => render_number(*n),
        DataRef::Bool(true) => "TRUE".to_owned(),
        DataRef::Bool(false) => "FALSE".to_owned(),
        DataRef::DateTime(dt) if dt.is_datetime() => render_datetime(dt),
        // A duration (`[h]:mm` format) has no sensible calendar rendering; its number of days
        // is at least not wrong.
        DataRef::DateTime(dt) => render_number(dt.as_f64()),
        DataRef::Error(e) => return Err(e.to_string()),
    })
}

/// Spreadsheet numbers arrive as `f64` (XLSX stores every number as a double). They are turned
/// into text here, at once and without arithmetic, so that the domain parses them into exact
/// decimals like any other input. Rust's `Display` for `f64` prints the shortest text that
/// reads back as the same value and never uses an exponent: `42.0` → `42`, `0.1` → `0.1`.
fn render_number(n: f64) -> String {
    let text = n.to_string();
    if text == "-0" {
        "0".to_owned()
    } else {
        text
    }
}

/// `YYYY-MM-DD`, with ` HH:MM:SS` when there is a time of day; a bare time (a serial below one
/// day) is `HH:MM:SS`. calamine's conversion handles the 1904 epoch and Excel's fictitious
/// 1900-02-29.
fn render_datetime(dt: &ExcelDateTime) -> String {
    let (year, month, day, hour, minute, second, milli) = dt.to_ymd_hms_milli();
    let date = format!("{year:04}-{month:02}-{day:02}");
    let mut time = format!("{hour:02}:{minute:02}:{second:02}");
    if milli != 0 {
        time.push_str(&format!(".{milli:03}"));
    }
    let has_time = (hour, minute, second, milli) != (0, 0, 0, 0);
    if dt.as_f64() < 1.0 {
        time
    } else if has_time {
        format!("{date} {time}")
    } else {
        date
    }
}

fn xlsx_error(e: XlsxError) -> Error {
    match e {
        XlsxError::Io(io) => Error::backend(io),
        other => Error::invalid("file", format!("not a readable XLSX workbook: {other}")),
    }
}
