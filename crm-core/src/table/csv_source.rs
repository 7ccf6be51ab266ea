//! CSV rows: encoding detection and streaming decode.

use std::fmt;
use std::io::{self, Cursor, Read};

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::RawRow;
use crate::error::{Error, Result};

/// How much of a CSV file is inspected to detect its encoding. Large enough to reach past an
/// ASCII-only header into the data in practice; small enough to buffer without concern.
const SNIFF_LEN: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text encoding of a CSV file.
///
/// Chinese offices save CSV in two ways: Excel's "CSV UTF-8" (with a byte-order mark) and the
/// older "CSV" of Excel and WPS, which writes the system code page: GBK, a subset of GB18030.
///
/// [`TextEncoding::Auto`] decides as follows:
///
/// 1. a UTF-8 byte-order mark means UTF-8 (it also wins over an explicit choice: the mark is
///    unambiguous);
/// 2. otherwise, the first 64 KiB are inspected: if they are valid UTF-8 the file is UTF-8
///    (plain ASCII included); if they decode as GB18030 without a malformed sequence the file is
///    GB18030; otherwise the file is refused.
///
/// A file whose first 64 KiB are plain ASCII but which has GBK text further down is therefore
/// read as UTF-8, and the first GBK row is reported as invalid: the user can then pick
/// [`TextEncoding::Gb18030`]. UTF-16 files (Excel's "Unicode text") and files containing NUL
/// bytes are refused in every mode.
///
/// ```
/// use crm_core::table::{TableReader, TextEncoding};
///
/// let (gbk, _, _) = encoding_rs::GBK.encode("名称\n华为\n");
/// let rows = TableReader::csv(&gbk[..], TextEncoding::Gb18030)?;
/// assert_eq!(rows.headers(), ["名称"]);
/// assert_eq!(TextEncoding::Gb18030.to_string(), "GB18030");
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextEncoding {
    /// Detect UTF-8 or GB18030 (see above).
    #[default]
    Auto,
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, which includes GBK and GB2312.
    Gb18030,
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextEncoding::Auto => "auto-detected encoding",
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
        })
    }
}

/// The host's reader, with the sniffed prefix chained back in front, decoded to UTF-8.
type Decoded<'a> = DecodeReaderBytes<Box<dyn Read + Send + 'a>, Vec<u8>>;

pub(super) struct CsvRows<'a> {
    reader: csv::Reader<NormalizedLines<Decoded<'a>>>,
    record: csv::StringRecord,
    /// Never `Auto`: the encoding in use.
    encoding: TextEncoding,
    done: bool,
}

impl<'a> CsvRows<'a> {
    pub(super) fn open(reader: impl Read + Send + 'a, requested: TextEncoding) -> Result<Self> {
        let mut reader = reader;
        let mut prefix = Vec::with_capacity(SNIFF_LEN);
        reader
            .by_ref()
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut prefix)
            .map_err(Error::backend)?;
        // A short read means the whole file is in the prefix, so a cut character at its end is
        // a real error rather than an artefact of the sniff window.
        let complete = prefix.len() < SNIFF_LEN;
        let encoding = detect(&prefix, complete, requested)?;
        let codec: &'static Encoding = match encoding {
            TextEncoding::Gb18030 => GB18030,
            TextEncoding::Auto | TextEncoding::Utf8 => UTF_8,
        };

        // The decoder is given the encoding explicitly; for UTF-8 it removes the BOM. Malformed
        // bytes further on become U+FFFD, which `next_raw` reports with the line number.
        let source: Box<dyn Read + Send + 'a> = Box::new(Cursor::new(prefix).chain(reader));
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(codec))
            .build(source);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false) // the header row is checked by `TableReader`
            .flexible(true) // ragged rows are checked by `TableReader`, with better messages
            .from_reader(NormalizedLines::new(decoded));
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            encoding,
            done: false,
        })
    }

    pub(super) fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    pub(super) fn next_raw(&mut self) -> Option<Result<RawRow>> {
        if self.done {
            return None;
        }
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                // Every record ends in exactly one LF (see `NormalizedLines`), which the reader
                // has counted, so the record began `1 + (LFs inside it)` lines earlier.
                let lines_after = self.reader.position().line();
                let inner_breaks: usize = self
                    .record
                    .iter()
                    .map(|cell| cell.matches('\n').count())
                    .sum();
                let line = lines_after.saturating_sub(1 + inner_breaks as u64);
                if self.record.iter().any(|cell| cell.contains('\u{FFFD}')) {
                    return Some(Err(Error::invalid(
                        format!("line {line}"),
                        format!("invalid byte sequence for {}", self.encoding),
                    )));
                }
                let cells = self.record.iter().map(|c| c.trim().to_owned()).collect();
                Some(Ok(RawRow { line, cells }))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // The csv reader cannot resynchronise after a read error: stop here.
                self.done = true;
                Some(Err(csv_error(e)))
            }
        }
    }
}

fn csv_error(e: csv::Error) -> Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::backend(io),
        // Not expected: the input is valid UTF-8 by now and ragged rows are allowed.
        _ => Error::invalid("file", message),
    }
}

/// Rewrites CR LF and lone CR line endings to LF, and ends the text with an LF.
///
/// The csv reader counts lines by LF bytes and dates a record from where it started looking,
/// before any blank lines it skipped; for CRLF files (what Excel writes) the LF of the previous
/// record is still pending there too. Once every record ends in exactly one LF, a record's first
/// line follows from the count after it. Line breaks inside quoted cells come out as LF as well.
///
/// LF and CR bytes never occur inside a multi-byte UTF-8 character, so this works on the decoded
/// bytes.
struct NormalizedLines<R> {
    inner: R,
    /// The last byte read was a CR, already written out as LF: drop an LF that follows.
    after_cr: bool,
    /// The last byte handed out, to add a final LF if it is not one.
    last: Option<u8>,
    finished: bool,
}

impl<R: Read> NormalizedLines<R> {
    fn new(inner: R) -> Self {
        NormalizedLines {
            inner,
            after_cr: false,
            last: None,
            finished: false,
        }
    }
}

impl<R: Read> Read for NormalizedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while !self.finished && !buf.is_empty() {
            let read = self.inner.read(buf)?;
            if read == 0 {
                self.finished = true;
                if self.last.is_some_and(|b| b != b'\n') {
                    buf[0] = b'\n';
                    return Ok(1);
                }
                break;
            }
            // Rewrite in place: the output is never longer than the input.
            let mut written = 0;
            for index in 0..read {
                let byte = buf[index];
                if byte == b'\n' && self.after_cr {
                    self.after_cr = false;
                    continue;
                }
                self.after_cr = byte == b'\r';
                buf[written] = if self.after_cr { b'\n' } else { byte };
                written += 1;
            }
            if written > 0 {
                self.last = Some(buf[written - 1]);
                return Ok(written);
            }
        }
        Ok(0)
    }
}

/// Picks the encoding for a file that starts with `prefix` (see [`TextEncoding`]).
fn detect(prefix: &[u8], complete: bool, requested: TextEncoding) -> Result<TextEncoding> {
    if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
        return Err(unrecognised(
            "the file is UTF-16; save it as \"CSV UTF-8\" or as GBK CSV",
        ));
    }
    // NUL never occurs in UTF-8 or GB18030 text but is all over UTF-16 (without a BOM) and
    // binary files, e.g. an XLSX workbook handed in as CSV.
    if prefix.contains(&0) {
        return Err(unrecognised(
            "the file contains NUL bytes, so it is UTF-16 or not a text file at all",
        ));
    }
    if prefix.starts_with(UTF8_BOM) {
        return Ok(TextEncoding::Utf8);
    }
    match requested {
        TextEncoding::Utf8 | TextEncoding::Gb18030 => Ok(requested),
        TextEncoding::Auto if is_utf8(prefix, complete) => Ok(TextEncoding::Utf8),
        TextEncoding::Auto if is_gb18030(prefix, complete) => Ok(TextEncoding::Gb18030),
        TextEncoding::Auto => Err(unrecognised(
            "the file is neither UTF-8 nor GB18030/GBK; save it as \"CSV UTF-8\"",
        )),
    }
}

fn unrecognised(why: &str) -> Error {
    Error::invalid("file", format!("unrecognised text encoding: {why}"))
}

/// Valid UTF-8, allowing a multi-byte character cut by the end of an incomplete prefix.
fn is_utf8(prefix: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        // `error_len() == None` means the input ended inside a character.
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// Decodes as GB18030 without a malformed sequence. When the prefix is incomplete the decoder
/// is not told it has reached the end, so a cut two- or four-byte sequence is not malformed.
fn is_gb18030(prefix: &[u8], complete: bool) -> bool {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    // The decoded text is not needed, only whether decoding succeeds; decode in chunks.
    let mut scratch = [0u8; 4096];
    let mut rest = prefix;
    loop {
        let (result, read, _) =
            decoder.decode_to_utf8_without_replacement(rest, &mut scratch, complete);
        rest = rest.get(read..).unwrap_or_default();
        match result {
            DecoderResult::InputEmpty => return true,
            DecoderResult::OutputFull => continue,
            DecoderResult::Malformed(_, _) => return false,
        }
    }
}
