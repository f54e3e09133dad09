//! The shapes of FastMCP's random values, and the placeholders the transcript tables write for
//! them: one copy for every test that checks a value's form.

/// A lower-case hex digit.
pub fn is_hex_byte(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `^[0-9a-f]{n}$`.
pub fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(is_hex_byte)
}

/// A lower-case hyphenated version-4 UUID (`str(uuid.uuid4())`).
pub fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                is_hex_byte(c)
            }
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

/// `prefix` followed by exactly `n` lower-case hex digits.
pub fn is_prefixed_hex(s: &str, prefix: &str, n: usize) -> bool {
    s.strip_prefix(prefix).is_some_and(|h| is_hex(h, n))
}

/// A FastMCP authorization code.
pub fn is_code(s: &str) -> bool {
    is_prefixed_hex(s, "test_auth_code_", 32)
}

/// A FastMCP access token.
pub fn is_access(s: &str) -> bool {
    is_prefixed_hex(s, "test_access_token_", 64)
}

/// A FastMCP refresh token.
pub fn is_refresh(s: &str) -> bool {
    is_prefixed_hex(s, "test_refresh_token_", 64)
}

/// `s` with its random values replaced the way the transcript tables abbreviate them: a code,
/// access or refresh token as its prefix and `<32hex>` / `<64hex>`, a UUID as `<uuid>`, any
/// other run of exactly 64 hex digits (a secret) as `<64hex>`.
pub fn normalize(s: &str) -> String {
    const PREFIXED: [(&str, usize, &str); 3] = [
        ("test_auth_code_", 32, "test_auth_code_<32hex>"),
        ("test_access_token_", 64, "test_access_token_<64hex>"),
        ("test_refresh_token_", 64, "test_refresh_token_<64hex>"),
    ];
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'scan: while i < b.len() {
        for (prefix, n, placeholder) in PREFIXED {
            let end = i + prefix.len() + n;
            if s[i..].starts_with(prefix)
                && end <= b.len()
                && is_hex(&s[i + prefix.len()..end], n)
                && b.get(end).is_none_or(|&c| !is_hex_byte(c))
            {
                out.push_str(placeholder);
                i = end;
                continue 'scan;
            }
        }
        if i + 36 <= b.len() && is_uuid4(&s[i..i + 36]) {
            out.push_str("<uuid>");
            i += 36;
            continue;
        }
        if is_hex_byte(b[i]) {
            let mut j = i;
            while j < b.len() && is_hex_byte(b[j]) {
                j += 1;
            }
            out.push_str(if j - i == 64 { "<64hex>" } else { &s[i..j] });
            i = j;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8().max(1);
    }
    out
}
