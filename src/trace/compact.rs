//! An [`Output`] written as compact JSON, the bytes `serde_json` writes for it (and so the bytes
//! of a recorded trace), without `serde_json`'s writer: strings are scanned for escapes eight
//! bytes at a time ([`write_json_str`]).
//!
//! The replay only relies on one property: the text written is valid JSON that decodes to the
//! same [`Output`]. A recorded output that equals it byte for byte is that output; one that
//! differs is decoded and compared field by field (`stream_tests.rs` pins that the text is also
//! exactly `serde_json`'s).

use crate::compat::pyjson::write_json_str as write_str;
use crate::output::Output;

/// Write `out` as `{"status":..,"headers":[[..,..],..],"body":..[,"reason":..]}` into `buf`
/// (appended).
pub(super) fn write_output(buf: &mut Vec<u8>, out: &Output) {
    buf.extend_from_slice(b"{\"status\":");
    write_u16(buf, out.status);
    buf.extend_from_slice(b",\"headers\":[");
    for (i, (name, value)) in out.headers.iter().enumerate() {
        buf.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        write_str(buf, name);
        buf.push(b',');
        write_str(buf, value);
        buf.push(b']');
    }
    buf.extend_from_slice(b"],\"body\":");
    write_str(buf, &out.body);
    if let Some(reason) = out.reason {
        buf.extend_from_slice(b",\"reason\":");
        // A unit variant is written as its name, a string; writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &reason);
    }
    buf.push(b'}');
}

fn write_u16(buf: &mut Vec<u8>, n: u16) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}
