#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Phone,
    Email,
}

fn csv(bytes: &[u8], encoding: TextEncoding) -> Result<TableReader<'_>> {
    TableReader::csv(bytes, encoding)
}

fn rows(reader: TableReader<'_>) -> Vec<Vec<String>> {
    reader.map(|row| row.unwrap().cells).collect()
}

fn invalid(e: Error) -> (String, String) {
    match e {
        Error::Invalid { field, reason } => (field, reason),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

const SAMPLE: &str =
    "客户名称,电话\n华为技术有限公司,0755-28780808\n阿里巴巴（中国）有限公司,0571-85022088\n";

fn sample_rows() -> Vec<Vec<String>> {
    vec![
        vec!["华为技术有限公司".into(), "0755-28780808".into()],
        vec!["阿里巴巴（中国）有限公司".into(), "0571-85022088".into()],
    ]
}

// ---- encodings ----

#[test]
fn utf8_with_bom() {
    let bytes = [b"\xEF\xBB\xBF".as_slice(), SAMPLE.as_bytes()].concat();
    let reader = csv(&bytes, TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Utf8));
    assert_eq!(reader.headers(), ["客户名称", "电话"]); // BOM not part of the first header
    assert_eq!(rows(reader), sample_rows());
}

#[test]
fn utf8_bom_wins_over_explicit_gb18030() {
    let bytes = [b"\xEF\xBB\xBF".as_slice(), SAMPLE.as_bytes()].concat();
    let reader = csv(&bytes, TextEncoding::Gb18030).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Utf8));
    assert_eq!(rows(reader), sample_rows());
}

#[test]
fn utf8_without_bom() {
    let reader = csv(SAMPLE.as_bytes(), TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Utf8));
    assert_eq!(reader.headers(), ["客户名称", "电话"]);
    assert_eq!(rows(reader), sample_rows());
}

#[test]
fn gbk_detected() {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(SAMPLE);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    let reader = csv(&bytes, TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Gb18030));
    assert_eq!(reader.headers(), ["客户名称", "电话"]);
    assert_eq!(rows(reader), sample_rows());
}

#[test]
fn gb18030_four_byte_sequences() {
    // Characters outside GBK take four bytes in GB18030: CJK Extension A 㐀 (U+3400), Tibetan
    // ཀ (U+0F40) and CJK Extension B 𠀀 (U+20000).
    for c in ["㐀", "ཀ", "𠀀"] {
        assert_eq!(encoding_rs::GB18030.encode(c).0.len(), 4, "{c}");
    }
    let text = "名称,备注\n刘㐀,ཀ𠀀\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    let reader = csv(&bytes, TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Gb18030));
    assert_eq!(rows(reader), [["刘㐀", "ཀ𠀀"]]);
}

#[test]
fn multibyte_character_cut_by_sniff_window_is_still_utf8() {
    // Put a 3-byte character across the 64 KiB boundary.
    let mut text = String::from("名称\n");
    while text.len() < SNIFF_WINDOW - 1 {
        text.push('a');
    }
    text.truncate(SNIFF_WINDOW - 1);
    text.push_str("华\n");
    let reader = csv(text.as_bytes(), TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Utf8));
    let last = reader.last().unwrap().unwrap();
    assert!(last.cells[0].ends_with('华'));
}

const SNIFF_WINDOW: usize = 64 * 1024;

#[test]
fn gbk_cut_by_sniff_window_is_still_gb18030() {
    let (header, _, _) = encoding_rs::GBK.encode("名称\n");
    let mut bytes = header.into_owned();
    // Pad so that the two-byte 华 starts on the last byte of the sniff window.
    bytes.extend(std::iter::repeat_n(
        b'a',
        SNIFF_WINDOW - 1 - bytes.len() - 1,
    ));
    bytes.push(b'\n');
    bytes.extend_from_slice(&encoding_rs::GBK.encode("华为\n").0);
    assert_eq!(bytes[SNIFF_WINDOW - 1], encoding_rs::GBK.encode("华").0[0]);
    let reader = csv(&bytes, TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Gb18030));
    assert_eq!(reader.last().unwrap().unwrap().cells, ["华为"]);
}

#[test]
fn utf16_is_refused() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes));
    for encoding in [
        TextEncoding::Auto,
        TextEncoding::Utf8,
        TextEncoding::Gb18030,
    ] {
        let (field, reason) = invalid(csv(&bytes, encoding).unwrap_err());
        assert_eq!(field, "file");
        assert!(reason.starts_with("unrecognised text encoding"), "{reason}");
        assert!(reason.contains("UTF-16"), "{reason}");
    }
    // Without a BOM: the NUL bytes of ASCII characters give it away.
    let bytes: Vec<u8> = "name,phone\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let (field, reason) = invalid(csv(&bytes, TextEncoding::Auto).unwrap_err());
    assert_eq!(field, "file");
    assert!(reason.contains("NUL"), "{reason}");
}

#[test]
fn bytes_neither_utf8_nor_gb18030_are_refused() {
    // 0xFF is never valid in UTF-8 or GB18030.
    let bytes = b"name,phone\n\xFF\xFF\xFF,\xC0\xFF\n";
    let (field, reason) = invalid(csv(bytes, TextEncoding::Auto).unwrap_err());
    assert_eq!(field, "file");
    assert!(reason.starts_with("unrecognised text encoding"), "{reason}");
}

#[test]
fn xlsx_handed_in_as_csv_is_refused() {
    let bytes = simple_xlsx();
    let (field, _) = invalid(csv(&bytes, TextEncoding::Auto).unwrap_err());
    assert_eq!(field, "file");
}

#[test]
fn invalid_bytes_after_sniff_window_name_the_line() {
    // ASCII for the whole sniff window, then a GBK row: detected as UTF-8, and that row fails.
    let mut bytes = b"name,note\n".to_vec();
    let mut line = 1;
    while bytes.len() < SNIFF_WINDOW {
        bytes.extend_from_slice(b"acme,ok\n");
        line += 1;
    }
    let (gbk, _, _) = encoding_rs::GBK.encode("华为,坏\n");
    bytes.extend_from_slice(&gbk);
    bytes.extend_from_slice(b"last,ok\n");
    let reader = csv(&bytes, TextEncoding::Auto).unwrap();
    assert_eq!(reader.encoding(), Some(TextEncoding::Utf8));
    let results: Vec<_> = reader.collect();
    let errors: Vec<_> = results.into_iter().filter_map(|r| r.err()).collect();
    assert_eq!(errors.len(), 1);
    let (field, reason) = invalid(errors.into_iter().next().unwrap());
    assert_eq!(field, format!("line {}", line + 1));
    assert_eq!(reason, "invalid byte sequence for UTF-8");
}

#[test]
fn explicit_utf8_on_gbk_file_reports_line_1() {
    let (bytes, _, _) = encoding_rs::GBK.encode(SAMPLE);
    let (field, reason) = invalid(csv(&bytes, TextEncoding::Utf8).unwrap_err());
    assert_eq!(field, "line 1");
    assert_eq!(reason, "invalid byte sequence for UTF-8");
}

#[test]
fn empty_file_has_no_header() {
    let (field, reason) = invalid(csv(b"", TextEncoding::Auto).unwrap_err());
    assert_eq!(field, "file");
    assert!(reason.contains("no header"), "{reason}");
    assert!(csv(b"\n,,\n", TextEncoding::Auto).is_err());
}

// ---- header and row rules ----

#[test]
fn headers_are_trimmed_and_trailing_empty_ones_dropped() {
    let reader = csv(
        " 名称 ,\u{3000}电话\u{3000},,\n".as_bytes(),
        TextEncoding::Auto,
    )
    .unwrap();
    assert_eq!(reader.headers(), ["名称", "电话"]);
}

#[test]
fn empty_header_name_is_refused() {
    let (field, reason) = invalid(csv("名称,,电话\n".as_bytes(), TextEncoding::Auto).unwrap_err());
    assert_eq!(field, "header");
    assert_eq!(reason, "column B has no name");
}

#[test]
fn duplicate_header_name_is_refused() {
    let err = csv("名称,电话,名称\n".as_bytes(), TextEncoding::Auto).unwrap_err();
    let (field, reason) = invalid(err);
    assert_eq!(field, "header");
    assert_eq!(reason, "column C repeats the name \"名称\" of column A");
}

#[test]
fn too_many_cells_is_an_error_naming_the_line_and_iteration_goes_on() {
    let file = "名称,电话\n华为,1\n阿里,2,多余\n\n腾讯,3\n百度\n";
    let results: Vec<_> = csv(file.as_bytes(), TextEncoding::Auto).unwrap().collect();
    assert_eq!(results.len(), 4);
    let (field, reason) = invalid(results[1].as_ref().err().map(clone_err).unwrap());
    assert_eq!(field, "line 3");
    assert_eq!(reason, "row has 3 cells but the header has 2 columns");
    let ok: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
    assert_eq!(
        ok.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 5, 6],
        "blank line 4 skipped, lines still counted"
    );
    assert_eq!(ok[2].cells, ["百度", ""]);
}

fn clone_err(e: &Error) -> Error {
    match e {
        Error::Invalid { field, reason } => Error::invalid(field.clone(), reason),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn trailing_empty_cells_do_not_count_as_extra() {
    let file = "名称,电话\n华为,1,,\n";
    assert_eq!(
        rows(csv(file.as_bytes(), TextEncoding::Auto).unwrap()),
        [["华为", "1"]]
    );
}

#[test]
fn fully_empty_rows_are_skipped() {
    let file = "名称,电话\n,\n , \n华为,1\n";
    let reader = csv(file.as_bytes(), TextEncoding::Auto).unwrap();
    let all: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].line, 4);
}

#[test]
fn quoted_cells_with_line_breaks_report_their_first_line() {
    let file = "名称,地址\n华为,\"深圳市\n龙岗区\"\n阿里,杭州\n";
    let all: Vec<_> = csv(file.as_bytes(), TextEncoding::Auto)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(all[0].cells[1], "深圳市\n龙岗区");
    assert_eq!(all[0].line, 2);
    assert_eq!(all[1].line, 4);
}

#[test]
fn line_numbers_whatever_the_line_endings() {
    // Lines: 1 header, 2 a, 3 blank, 4–5 b (a quoted line break), 6 blank, 7 c.
    for ending in ["\n", "\r\n", "\r"] {
        let file = ["名称,备注", "a,1", "", "b,\"x", "y\"", "", "c,3"].join(ending);
        for file in [file.clone(), file + ending] {
            let all: Vec<_> = csv(file.as_bytes(), TextEncoding::Auto)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let lines: Vec<_> = all.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4, 7], "ending {ending:?} in {file:?}");
            assert_eq!(all[1].cells[1], "x\ny");
        }
    }
}

// ---- streaming ----

/// Produces a CSV file of `rows` rows on the fly, counting the bytes handed out.
struct GeneratedCsv {
    rows: u64,
    next_row: u64,
    pending: Vec<u8>,
    produced: Arc<AtomicU64>,
}

impl Read for GeneratedCsv {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            if self.next_row > self.rows {
                return Ok(0);
            }
            self.pending = if self.next_row == 0 {
                "客户名称,电话,城市\n".as_bytes().to_vec()
            } else {
                format!(
                    "客户{},1380013{:04},深圳\n",
                    self.next_row,
                    self.next_row % 10_000
                )
                .into_bytes()
            };
            self.next_row += 1;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.produced.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn large_csv_streams() {
    const ROWS: u64 = 200_000;
    let produced = Arc::new(AtomicU64::new(0));
    let source = GeneratedCsv {
        rows: ROWS,
        next_row: 0,
        pending: Vec::new(),
        produced: Arc::clone(&produced),
    };
    let mut reader = TableReader::csv(source, TextEncoding::Auto).unwrap();
    assert_eq!(reader.headers(), ["客户名称", "电话", "城市"]);
    let first = reader.next().unwrap().unwrap();
    assert_eq!(first.cells[0], "客户1");
    // Only the sniff window and a few buffers' worth have been read so far.
    let after_first = produced.load(Ordering::Relaxed);
    assert!(
        after_first < 128 * 1024,
        "read {after_first} bytes up front"
    );

    let mut count = 1;
    let mut last_line = 0;
    for row in reader {
        let row = row.unwrap();
        count += 1;
        last_line = row.line;
    }
    assert_eq!(count, ROWS);
    assert_eq!(last_line, ROWS + 1);
    assert!(
        produced.load(Ordering::Relaxed) > 5_000_000,
        "the whole file went through"
    );
}

#[test]
fn readers_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<TableReader<'static>>();
    assert_send::<XlsxWorkbook>();
}

// ---- XLSX ----

fn simple_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "名称").unwrap();
    sheet.write(1, 0, "华为").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn xlsx_values_read_back_as_text() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let datetime_format = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let other = book.add_worksheet();
    other.set_name("说明").unwrap();
    other.write(0, 0, "不是数据").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("客户").unwrap();
    for (col, header) in [
        " 客户名称 ",
        "电话",
        "余额",
        "签约日期",
        "VIP",
        "跟进时间",
        "数量",
    ]
    .iter()
    .enumerate()
    {
        sheet.write(2, col as u16, *header).unwrap(); // header on row 3: rows 1–2 are empty
    }
    sheet.write(3, 0, "  华为技术  ").unwrap();
    sheet.write(3, 1, 13800138000_f64).unwrap();
    sheet.write(3, 2, -12.5).unwrap();
    let signed = ExcelDateTime::from_ymd(2024, 3, 15).unwrap();
    sheet
        .write_with_format(3, 3, &signed, &date_format)
        .unwrap();
    sheet.write(3, 4, true).unwrap();
    let follow_up = ExcelDateTime::parse_from_str("2024-03-16 09:30:00").unwrap();
    sheet
        .write_with_format(3, 5, &follow_up, &datetime_format)
        .unwrap();
    sheet.write(3, 6, 3_f64).unwrap();
    // A sparse row: only the name and the quantity.
    sheet.write(5, 0, "阿里").unwrap();
    sheet.write(5, 6, 0.1).unwrap();
    // A row with an error value.
    sheet.write(6, 0, "坏行").unwrap();
    sheet
        .write_formula(6, 2, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // A row wider than the header.
    sheet.write(7, 0, "太宽").unwrap();
    sheet.write(7, 8, "多余").unwrap();
    // Formatted but empty cells far right must not widen anything.
    sheet.write_blank(8, 20, &date_format).unwrap();
    sheet.write(9, 0, "最后").unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let mut workbook = XlsxWorkbook::open(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["说明", "客户"]);
    let reader = TableReader::xlsx(&mut workbook, Some("客户")).unwrap();
    assert_eq!(reader.encoding(), None);
    assert_eq!(
        reader.headers(),
        [
            "客户名称",
            "电话",
            "余额",
            "签约日期",
            "VIP",
            "跟进时间",
            "数量"
        ]
    );
    let results: Vec<_> = reader.collect();
    assert_eq!(results.len(), 5, "{results:?}");

    let first = results[0].as_ref().unwrap();
    assert_eq!(first.line, 4);
    assert_eq!(
        first.cells,
        [
            "华为技术",
            "13800138000",
            "-12.5",
            "2024-03-15",
            "TRUE",
            "2024-03-16 09:30:00",
            "3"
        ]
    );
    let sparse = results[1].as_ref().unwrap();
    assert_eq!(sparse.line, 6);
    assert_eq!(sparse.cells, ["阿里", "", "", "", "", "", "0.1"]);

    let (field, reason) = invalid(results[2].as_ref().err().map(clone_err).unwrap());
    assert_eq!(field, "line 7");
    assert_eq!(reason, "cell C7 contains the error value #DIV/0!");

    let (field, reason) = invalid(results[3].as_ref().err().map(clone_err).unwrap());
    assert_eq!(field, "line 8");
    assert_eq!(reason, "row has 9 cells but the header has 7 columns");

    let last = results[4].as_ref().unwrap();
    assert_eq!((last.line, last.cells[0].as_str()), (10, "最后"));
}

#[test]
fn xlsx_first_sheet_by_default() {
    let mut workbook = XlsxWorkbook::open(Cursor::new(simple_xlsx())).unwrap();
    let reader = TableReader::xlsx(&mut workbook, None).unwrap();
    assert_eq!(reader.headers(), ["名称"]);
    assert_eq!(rows(reader), [["华为"]]);
}

#[test]
fn xlsx_unknown_sheet() {
    let mut workbook = XlsxWorkbook::open(Cursor::new(simple_xlsx())).unwrap();
    let (field, reason) = invalid(TableReader::xlsx(&mut workbook, Some("客户")).unwrap_err());
    assert_eq!(field, "sheet");
    assert!(reason.contains("Sheet1"), "{reason}");
}

#[test]
fn xlsx_header_rules_apply() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "名称").unwrap();
    sheet.write(0, 2, "电话").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut workbook = XlsxWorkbook::open(Cursor::new(bytes)).unwrap();
    let (field, reason) = invalid(TableReader::xlsx(&mut workbook, None).unwrap_err());
    assert_eq!(field, "header");
    assert_eq!(reason, "column B has no name");
}

#[test]
fn not_an_xlsx_file() {
    let err = XlsxWorkbook::open(Cursor::new(SAMPLE.as_bytes().to_vec())).unwrap_err();
    assert_eq!(invalid(err).0, "file");
}

#[test]
fn excel_numbers_render_without_arithmetic_artifacts() {
    use calamine::{DataRef, ExcelDateTime, ExcelDateTimeType};

    let text = |v: DataRef<'_>| xlsx_source_render(&v);
    assert_eq!(text(DataRef::Float(42.0)), "42");
    assert_eq!(text(DataRef::Float(-0.0)), "0");
    assert_eq!(text(DataRef::Float(1234.5)), "1234.5");
    assert_eq!(text(DataRef::Float(1e21)), "1000000000000000000000");
    assert_eq!(text(DataRef::Int(7)), "7");
    assert_eq!(text(DataRef::Bool(false)), "FALSE");
    let date = |serial| {
        DataRef::DateTime(ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        ))
    };
    assert_eq!(text(date(1.0)), "1900-01-01");
    assert_eq!(text(date(61.0)), "1900-03-01"); // after Excel's fictitious 1900-02-29
    assert_eq!(text(date(45366.0)), "2024-03-15");
    assert_eq!(text(date(0.5)), "12:00:00");
}

fn xlsx_source_render(value: &calamine::DataRef<'_>) -> String {
    xlsx_source::render(value).unwrap()
}

// ---- header mapping ----

fn customer_mapping() -> HeaderMapping<Field> {
    HeaderMapping::new()
        .field(Field::Name, &["客户名称", "公司名称", "Name"])
        .field(Field::Phone, &["电话", "手机", "联系电话"])
        .field(Field::Email, &["邮箱", "E-mail", "电子邮件"])
}

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn mapping_with_aliases_and_unmapped_columns() {
    let resolved = customer_mapping()
        .resolve(
            &headers(&["备注", "公司名称", "Ｅ－ＭＡＩＬ", "手机"]),
            &[Field::Name],
        )
        .unwrap();
    assert_eq!(resolved.column(Field::Name), Some(1));
    assert_eq!(resolved.column(Field::Email), Some(2));
    assert_eq!(resolved.column(Field::Phone), Some(3));
    assert_eq!(resolved.unmapped(), ["备注"]);

    let row = TableRow {
        line: 2,
        cells: headers(&["老客户", "华为", "", "13800138000"]),
    };
    assert_eq!(resolved.get(&row, Field::Name), Some("华为"));
    assert_eq!(resolved.get(&row, Field::Email), None);
    assert_eq!(resolved.get(&row, Field::Phone), Some("13800138000"));
}

#[test]
fn mapping_refuses_two_columns_for_one_field() {
    let err = customer_mapping()
        .resolve(&headers(&["客户名称", "电话", "公司名称"]), &[])
        .unwrap_err();
    let (field, reason) = invalid(err);
    assert_eq!(field, "header");
    assert_eq!(
        reason,
        "columns A (客户名称) and C (公司名称) both mean the same field; keep one"
    );
}

#[test]
fn mapping_reports_missing_required_fields() {
    let err = customer_mapping()
        .resolve(&headers(&["备注"]), &[Field::Name, Field::Phone])
        .unwrap_err();
    let (_, reason) = invalid(err);
    assert_eq!(
        reason,
        "missing required columns 客户名称 (also accepted: 公司名称, Name); \
         电话 (also accepted: 手机, 联系电话)"
    );
}

#[test]
fn mapping_refuses_a_name_given_to_two_fields() {
    let mapping = customer_mapping().field(Field::Phone, &["name"]);
    let (_, reason) = invalid(mapping.resolve(&headers(&["NAME"]), &[]).unwrap_err());
    assert_eq!(
        reason,
        "column A (NAME) matches more than one field of the mapping"
    );
}

// ---- export ----

#[test]
fn neutralisation_cases() {
    for (input, expected) in [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-cmd", "'-cmd"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1+1", "'＝1+1"),
        ("-", "'-"),
        ("-1.", "'-1."),
        ("-.5", "'-.5"),
        ("-1e5", "'-1e5"),
        ("-1+2", "'-1+2"),
        ("-12.50", "-12.50"),
        ("-3", "-3"),
        ("12.50", "12.50"),
        ("华为=1", "华为=1"),
        ("", ""),
    ] {
        assert_eq!(neutralise_cell(input), expected, "input {input:?}");
    }
    assert!(matches!(
        neutralise_cell("-12.50"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn writer_output_with_bom_reads_back() {
    let mut writer = SafeCsvWriter::new(Vec::new(), true).unwrap();
    writer.write_row(["客户名称", "余额", "备注"]).unwrap();
    writer
        .write_row(["华为, 深圳", "-12.50", "=cmd|' /C calc'!A0"])
        .unwrap();
    let bytes = writer.finish().unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));

    let reader = TableReader::csv(&bytes[..], TextEncoding::Auto).unwrap();
    assert_eq!(reader.headers(), ["客户名称", "余额", "备注"]);
    assert_eq!(
        rows(reader),
        [["华为, 深圳", "-12.50", "'=cmd|' /C calc'!A0"]]
    );
}

#[test]
fn writer_without_bom() {
    let mut writer = SafeCsvWriter::new(Vec::new(), false).unwrap();
    writer.write_row(["a"]).unwrap();
    assert_eq!(writer.finish().unwrap(), b"a\r\n");
}

#[test]
fn writer_refuses_ragged_rows() {
    let mut writer = SafeCsvWriter::new(Vec::new(), false).unwrap();
    writer.write_row(["a", "b"]).unwrap();
    let (field, _) = invalid(writer.write_row(["a"]).unwrap_err());
    assert_eq!(field, "row");
}

#[test]
fn column_names() {
    assert_eq!(column_name(0), "A");
    assert_eq!(column_name(25), "Z");
    assert_eq!(column_name(26), "AA");
    assert_eq!(column_name(701), "ZZ");
    assert_eq!(column_name(702), "AAA");
    assert_eq!(column_name(16_383), "XFD");
}
