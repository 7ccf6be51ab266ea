//! Byte encodings: stored records (compact) and index keys (order-preserving).
//!
//! Records are stored as `FORMAT, version, column count, values…`, each value a tag byte and a
//! payload. Index keys are tuples of values whose byte order is the order of
//! [`Value`]'s `Ord`, so that an index tree can serve equality look-ups (prefix scans) and range
//! scans: `Null` first, integers big-endian with the sign bit flipped, text escaped and
//! terminated, decimals as sign, exponent and digits.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_core::store::{Kind, Record, Value};
use crm_core::Error;
use rust_decimal::Decimal;
use uuid::Uuid;

/// The layout version of a stored record value.
const RECORD_FORMAT: u8 = 1;

// Record value tags.
const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_INT: u8 = 3;
const T_DECIMAL: u8 = 4;
const T_TEXT: u8 = 5;
const T_DATE: u8 = 6;
const T_TIMESTAMP: u8 = 7;
const T_ID: u8 = 8;
const T_JSON: u8 = 9;
const T_BYTES: u8 = 10;

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::backend_msg(format!("sled store: corrupt data: {what}"))
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        // Truncation is the point: the low seven bits, with the continuation bit set.
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A cursor over stored bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, Error> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or_else(|| corrupt("record ends early"))?;
        self.bytes = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.bytes.len() < n {
            return Err(corrupt("record ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }

    fn len(&mut self) -> Result<usize, Error> {
        usize::try_from(self.varint()?).map_err(|_| corrupt("length too large"))
    }

    fn text(&mut self) -> Result<&'a str, Error> {
        std::str::from_utf8(self.bytes()?).map_err(|_| corrupt("text is not UTF-8"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = self.len()?;
        self.take(n)
    }
}

/// Microseconds since the epoch: the precision every adapter stores.
fn micros(t: &DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(m: i64) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp_micros(m).ok_or_else(|| corrupt("timestamp out of range"))
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(T_NULL),
        Value::Bool(false) => out.push(T_FALSE),
        Value::Bool(true) => out.push(T_TRUE),
        Value::Int(i) => {
            out.push(T_INT);
            put_varint(out, zigzag(*i));
        }
        Value::Decimal(d) => {
            out.push(T_DECIMAL);
            out.extend_from_slice(&d.serialize());
        }
        Value::Text(s) => {
            out.push(T_TEXT);
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Date(d) => {
            out.push(T_DATE);
            put_varint(out, zigzag(i64::from(d.num_days_from_ce())));
        }
        Value::Timestamp(t) => {
            out.push(T_TIMESTAMP);
            put_varint(out, zigzag(micros(t)));
        }
        Value::Id(id) => {
            out.push(T_ID);
            out.extend_from_slice(id.as_bytes());
        }
        Value::Json(j) => {
            out.push(T_JSON);
            let s = j.to_string();
            put_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(T_BYTES);
            put_varint(out, b.len() as u64);
            out.extend_from_slice(b);
        }
    }
}

fn get_value(r: &mut Reader<'_>) -> Result<Value, Error> {
    Ok(match r.byte()? {
        T_NULL => Value::Null,
        T_FALSE => Value::Bool(false),
        T_TRUE => Value::Bool(true),
        T_INT => Value::Int(unzigzag(r.varint()?)),
        T_DECIMAL => {
            let mut b = [0u8; 16];
            b.copy_from_slice(r.take(16)?);
            if b[2] > 28 {
                return Err(corrupt("decimal scale out of range"));
            }
            Value::Decimal(Decimal::deserialize(b))
        }
        T_TEXT => Value::Text(r.text()?.to_owned()),
        T_DATE => {
            let days = i32::try_from(unzigzag(r.varint()?)).map_err(|_| corrupt("date"))?;
            Value::Date(NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| corrupt("date"))?)
        }
        T_TIMESTAMP => Value::Timestamp(from_micros(unzigzag(r.varint()?))?),
        T_ID => {
            let mut b = [0u8; 16];
            b.copy_from_slice(r.take(16)?);
            Value::Id(Uuid::from_bytes(b))
        }
        T_JSON => {
            Value::Json(serde_json::from_str(r.text()?).map_err(|e| corrupt(format!("JSON: {e}")))?)
        }
        T_BYTES => Value::Bytes(r.bytes()?.to_vec()),
        t => return Err(corrupt(format!("unknown value tag {t}"))),
    })
}

/// Encodes the stored value of a record: its version and its column values.
pub(crate) fn encode_record(version: u64, values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + values.len() * 12);
    out.push(RECORD_FORMAT);
    put_varint(&mut out, version);
    put_varint(&mut out, values.len() as u64);
    for v in values {
        put_value(&mut out, v);
    }
    out
}

/// Decodes a stored record of `kind`.
pub(crate) fn decode_record(kind: &'static Kind, id: Uuid, bytes: &[u8]) -> Result<Record, Error> {
    let mut r = Reader { bytes };
    if r.byte()? != RECORD_FORMAT {
        return Err(corrupt("unknown record format"));
    }
    let version = r.varint()?;
    let n = r.len()?;
    if n != kind.columns.len() {
        return Err(corrupt(format!(
            "{} {id} has {n} values, the kind has {} columns",
            kind.name,
            kind.columns.len()
        )));
    }
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        values.push(get_value(&mut r)?);
    }
    if !r.bytes.is_empty() {
        return Err(corrupt(format!("{} {id} has trailing bytes", kind.name)));
    }
    Ok(Record {
        kind,
        id,
        version,
        values,
    })
}

/// The 16-byte key of an id.
pub(crate) fn id_from_key(key: &[u8]) -> Result<Uuid, Error> {
    let b: [u8; 16] = key
        .try_into()
        .map_err(|_| corrupt("id key is not 16 bytes"))?;
    Ok(Uuid::from_bytes(b))
}

// Key tags: the rank order of `Value`.
const K_NULL: u8 = 0x00;
const K_BOOL: u8 = 0x01;
const K_INT: u8 = 0x02;
const K_DECIMAL: u8 = 0x03;
const K_TEXT: u8 = 0x04;
const K_DATE: u8 = 0x05;
const K_TIMESTAMP: u8 = 0x06;
const K_ID: u8 = 0x07;
const K_JSON: u8 = 0x08;
const K_BYTES: u8 = 0x09;

fn flip_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

/// Text (or raw bytes) escaped so that it sorts byte-wise and no encoding is a prefix of another:
/// `0x00` becomes `0x00 0xff`, and the text ends with `0x00 0x01`.
fn put_key_text(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// A decimal as class (negative, zero, positive), exponent and significant digits, so that
/// numerically equal decimals (1.0 and 1.00) encode the same and byte order is numeric order.
fn put_key_decimal(out: &mut Vec<u8>, d: &Decimal) {
    if d.is_zero() {
        out.push(1);
        return;
    }
    let negative = d.is_sign_negative();
    let digits = d.mantissa().unsigned_abs().to_string();
    // value = 0.d1d2d3… × 10^exponent; |exponent| ≤ 29, so it fits a byte with an offset.
    let exponent = digits.len() as i64 - i64::from(d.scale());
    let exponent_byte = (exponent + 64).clamp(0, 255) as u8;
    let significant = digits.trim_end_matches('0').as_bytes();
    if negative {
        out.push(0);
        out.push(!exponent_byte);
        for &c in significant {
            out.push(!(c - b'0' + 1));
        }
        out.push(0xff);
    } else {
        out.push(2);
        out.push(exponent_byte);
        for &c in significant {
            out.push(c - b'0' + 1);
        }
        out.push(0x00);
    }
}

/// Appends the order-preserving encoding of one value.
pub(crate) fn put_key_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(K_NULL),
        Value::Bool(b) => out.extend_from_slice(&[K_BOOL, u8::from(*b)]),
        Value::Int(i) => {
            out.push(K_INT);
            out.extend_from_slice(&flip_i64(*i));
        }
        Value::Decimal(d) => {
            out.push(K_DECIMAL);
            put_key_decimal(out, d);
        }
        Value::Text(s) => {
            out.push(K_TEXT);
            put_key_text(out, s.as_bytes());
        }
        Value::Date(d) => {
            out.push(K_DATE);
            out.extend_from_slice(&flip_i64(i64::from(d.num_days_from_ce())));
        }
        Value::Timestamp(t) => {
            out.push(K_TIMESTAMP);
            out.extend_from_slice(&flip_i64(micros(t)));
        }
        Value::Id(id) => {
            out.push(K_ID);
            out.extend_from_slice(id.as_bytes());
        }
        Value::Json(j) => {
            out.push(K_JSON);
            put_key_text(out, j.to_string().as_bytes());
        }
        Value::Bytes(b) => {
            out.push(K_BYTES);
            put_key_text(out, b);
        }
    }
}

/// The order-preserving encoding of one value, alone: the prefix of every index key whose first
/// column holds it.
#[cfg(test)]
pub(crate) fn key_of(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    put_key_value(&mut out, v);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;
    use crm_core::customer::CUSTOMER;
    use std::str::FromStr;

    fn samples() -> Vec<Value> {
        let dec = |s: &str| Value::Decimal(Decimal::from_str(s).unwrap());
        vec![
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(i64::MIN),
            Value::Int(-300),
            Value::Int(-1),
            Value::Int(0),
            Value::Int(1),
            Value::Int(255),
            Value::Int(256),
            Value::Int(i64::MAX),
            dec("-79228162514264337593543950335"),
            dec("-1000"),
            dec("-999.99"),
            dec("-10"),
            dec("-1.5"),
            dec("-1.05"),
            dec("-1"),
            dec("-0.12"),
            dec("-0.0001"),
            dec("0"),
            dec("0.0000000000000000000000000001"),
            dec("0.12"),
            dec("0.123"),
            dec("1"),
            dec("1.05"),
            dec("1.5"),
            dec("9.99"),
            dec("10"),
            dec("100"),
            dec("100.5"),
            dec("79228162514264337593543950335"),
            Value::Text(String::new()),
            Value::Text("\0".into()),
            Value::Text("\0\0".into()),
            Value::Text("\0a".into()),
            Value::Text("a".into()),
            Value::Text("a\0".into()),
            Value::Text("ab".into()),
            Value::Text("b".into()),
            Value::Text("北京".into()),
            Value::Text("北京市".into()),
            Value::Date(NaiveDate::from_ymd_opt(-200, 1, 1).unwrap()),
            Value::Date(NaiveDate::from_ymd_opt(1990, 2, 28).unwrap()),
            Value::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            Value::Timestamp(Utc.timestamp_micros(-5).unwrap()),
            Value::Timestamp(Utc.timestamp_micros(0).unwrap()),
            Value::Timestamp(Utc.timestamp_micros(1_700_000_000_123_456).unwrap()),
            Value::Id(Uuid::nil()),
            Value::Id(Uuid::now_v7()),
            Value::Id(Uuid::max()),
            Value::Json(serde_json::json!(["a", "b"])),
            Value::Json(serde_json::json!({"k": 1})),
            Value::Bytes(Vec::new()),
            Value::Bytes(vec![0]),
            Value::Bytes(vec![0, 0]),
            Value::Bytes(vec![0, 0xff]),
            Value::Bytes(vec![1]),
            Value::Bytes(vec![0xff, 0]),
            Value::Bytes(vec![0xff, 0xff]),
        ]
    }

    #[test]
    fn key_order_is_value_order() {
        let vs = samples();
        for a in &vs {
            for b in &vs {
                assert_eq!(
                    key_of(a).cmp(&key_of(b)),
                    a.cmp(b),
                    "{a:?} vs {b:?}: {:?} {:?}",
                    key_of(a),
                    key_of(b)
                );
            }
        }
    }

    #[test]
    fn equal_decimals_have_equal_keys() {
        let a = Value::Decimal(Decimal::from_str("1.0").unwrap());
        let b = Value::Decimal(Decimal::from_str("1.000").unwrap());
        assert_eq!(key_of(&a), key_of(&b));
        let a = Value::Decimal(Decimal::from_str("-120").unwrap());
        let b = Value::Decimal(Decimal::from_str("-120.00").unwrap());
        assert_eq!(key_of(&a), key_of(&b));
    }

    #[test]
    fn tuples_sort_by_their_first_value_first() {
        let vs = samples();
        for a in &vs {
            for b in &vs {
                let mut ka = key_of(a);
                put_key_value(&mut ka, &Value::Int(9));
                let mut kb = key_of(b);
                put_key_value(&mut kb, &Value::Null);
                if a != b {
                    assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn records_round_trip() {
        let mut values: Vec<Value> = samples();
        values.truncate(CUSTOMER.columns.len());
        let id = Uuid::now_v7();
        let bytes = encode_record(42, &values);
        let r = decode_record(&CUSTOMER, id, &bytes).unwrap();
        assert_eq!(r.version, 42);
        assert_eq!(r.id, id);
        for (a, b) in r.values.iter().zip(&values) {
            assert_eq!(a, b);
        }
        // Decimal scale is kept, not just the numeric value.
        let d = Decimal::from_str("1.500").unwrap();
        let mut v2 = values.clone();
        v2[0] = Value::Decimal(d);
        let r = decode_record(&CUSTOMER, id, &encode_record(1, &v2)).unwrap();
        assert!(matches!(&r.values[0], Value::Decimal(x) if x.to_string() == "1.500"));
        assert!(decode_record(&CUSTOMER, id, &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn bytes_round_trip_exactly() {
        use crm_core::store::{Column, ColumnType};
        static FILES: Kind = Kind {
            name: "files",
            columns: &[
                Column::new("name", ColumnType::Text),
                Column::new("bytes", ColumnType::Bytes),
            ],
            indexes: &[],
        };
        let big: Vec<u8> = (0..1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
        for bytes in [Vec::new(), vec![0, 0xff, 0], big] {
            let values = vec![Value::Text("a.png".into()), Value::Bytes(bytes)];
            let id = Uuid::now_v7();
            let encoded = encode_record(1, &values);
            let r = decode_record(&FILES, id, &encoded).unwrap();
            assert_eq!(r.values, values);
            assert!(decode_record(&FILES, id, &encoded[..encoded.len() - 1]).is_err());
        }
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 64, i64::MAX, i64::MIN, 1 << 40] {
            let mut out = Vec::new();
            put_varint(&mut out, zigzag(v));
            let mut r = Reader { bytes: &out };
            assert_eq!(unzigzag(r.varint().unwrap()), v);
        }
    }
}
