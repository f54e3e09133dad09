//! CPython 3.11 `urllib.parse` as FastMCP uses it: `quote`, `quote_plus`, `unquote`, `parse_qsl`,
//! `urlsplit`/`urlunsplit`, and the SDK's `construct_redirect_uri` built on them.

use std::fmt::Write as _;

/// Characters `urllib.parse.quote` never escapes (`_ALWAYS_SAFE`).
fn is_always_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~')
}

/// `urllib.parse.quote(s, safe)`: UTF-8 encode, then `%XX` (upper case) every byte that is neither
/// always safe nor in `safe`.
pub fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_always_safe(b) || (b.is_ascii() && safe.as_bytes().contains(&b)) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `urllib.parse.quote_plus(s, safe='')`: like [`quote`] but a space becomes `+`.
pub fn quote_plus(s: &str) -> String {
    if s.contains(' ') {
        quote(s, " ").replace(' ', "+")
    } else {
        quote(s, "")
    }
}

/// `urllib.parse.unquote(s)` with `encoding='utf-8', errors='replace'`: `%XX` runs are decoded as
/// UTF-8 with U+FFFD for invalid sequences; malformed escapes are kept literally.
pub fn unquote(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                pending.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        if !pending.is_empty() {
            out.push_str(&String::from_utf8_lossy(&pending));
            pending.clear();
        }
        // Copy one whole UTF-8 character.
        let ch_len = utf8_len(bytes[i]);
        out.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    if !pending.is_empty() {
        out.push_str(&String::from_utf8_lossy(&pending));
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `urllib.parse.parse_qsl(qs, keep_blank_values)` with `&` as the only separator and `+` read
/// as a space.
pub fn parse_qsl(qs: &str, keep_blank_values: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for piece in qs.split('&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.split_once('=') {
            Some((n, v)) => (n, v),
            None if keep_blank_values => (piece, ""),
            None => continue,
        };
        if !value.is_empty() || keep_blank_values {
            out.push((
                unquote(&name.replace('+', " ")),
                unquote(&value.replace('+', " ")),
            ));
        }
    }
    out
}

/// `urllib.parse.urlencode(pairs)` (with `quote_plus`).
pub fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&quote_plus(k));
        out.push('=');
        out.push_str(&quote_plus(v));
    }
    out
}

/// The five parts of `urllib.parse.urlsplit`, plus `urlparse`'s `;params` of the last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitUrl {
    /// Lower-cased scheme, or empty.
    pub scheme: String,
    /// The authority after `//`, or empty.
    pub netloc: String,
    /// The path (without `;params`).
    pub path: String,
    /// `;params` of the last path segment (schemes in `uses_params` only).
    pub params: String,
    /// The query, without `?`.
    pub query: String,
    /// The fragment, without `#`.
    pub fragment: String,
}

const USES_NETLOC: &[&str] = &[
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
    "snews", "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git",
    "git+ssh", "ws", "wss",
];
const USES_PARAMS: &[&str] = &[
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtspu", "sip", "sips",
    "mms", "sftp", "tel",
];

/// `urllib.parse.urlparse(url)` (CPython 3.11), for URLs already serialized by a URL parser (no
/// leading blanks or tabs to strip).
pub fn urlparse(url: &str) -> SplitUrl {
    let mut rest = url;
    let mut scheme = String::new();
    if let Some(i) = rest.find(':')
        && i > 0
        && rest[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        scheme = rest[..i].to_ascii_lowercase();
        rest = &rest[i + 1..];
    }
    let mut netloc = String::new();
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after[..end].to_owned();
        rest = &after[end..];
    }
    let (before_frag, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, f.to_owned()),
        None => (rest, String::new()),
    };
    let (mut path, query) = match before_frag.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (before_frag.to_owned(), String::new()),
    };
    let mut params = String::new();
    if USES_PARAMS.contains(&scheme.as_str()) && path.contains(';') {
        let last_slash = path.rfind('/');
        let semi = match last_slash {
            Some(s) => path[s..].find(';').map(|i| i + s),
            None => path.find(';'),
        };
        if let Some(i) = semi {
            params = path[i + 1..].to_owned();
            path.truncate(i);
        }
    }
    SplitUrl {
        scheme,
        netloc,
        path,
        params,
        query,
        fragment,
    }
}

/// `urllib.parse.urlunparse` (CPython 3.11).
pub fn urlunparse(u: &SplitUrl) -> String {
    let mut url = u.path.clone();
    if !u.params.is_empty() {
        url = format!("{url};{}", u.params);
    }
    if !u.netloc.is_empty()
        || (!u.scheme.is_empty()
            && USES_NETLOC.contains(&u.scheme.as_str())
            && !url.starts_with("//"))
    {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{}{url}", u.netloc);
    }
    if !u.scheme.is_empty() {
        url = format!("{}:{url}", u.scheme);
    }
    if !u.query.is_empty() {
        url.push('?');
        url.push_str(&u.query);
    }
    if !u.fragment.is_empty() {
        url.push('#');
        url.push_str(&u.fragment);
    }
    url
}

/// The MCP SDK's `construct_redirect_uri(base, **params)` (`provider.py`): keeps the base's
/// query (blank values dropped, repeated keys grouped at their first position), appends the given
/// parameters in order, and re-encodes everything with `quote_plus`.
pub fn construct_redirect_uri(base: &str, params: &[(&str, &str)]) -> String {
    let mut parsed = urlparse(base);
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in parse_qsl(&parsed.query, false) {
        match grouped.iter_mut().find(|(name, _)| *name == k) {
            Some((_, values)) => values.push(v),
            None => grouped.push((k, vec![v])),
        }
    }
    let mut pairs: Vec<(&str, &str)> = grouped
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect();
    pairs.extend_from_slice(params);
    parsed.query = urlencode(pairs);
    urlunparse(&parsed)
}

/// The `Location` header Starlette's `RedirectResponse` sends for `url`:
/// `quote(url, safe=":/%#?=@[]!$&'()*+,;")`.
pub fn starlette_location(url: &str) -> String {
    quote(url, ":/%#?=@[]!$&'()*+,;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construct_redirect_uri_groups_repeated_keys_and_drops_blanks() {
        assert_eq!(
            construct_redirect_uri(
                "http://h/cb?a=1&b=2&a=3&e=&sp=x%20y",
                &[("code", "c"), ("state", "s t~/")]
            ),
            "http://h/cb?a=1&a=3&b=2&sp=x+y&code=c&state=s+t~%2F"
        );
        assert_eq!(
            construct_redirect_uri(
                "http://localhost/cb?keep=1&blank=&keep=2#frag",
                &[("code", "X"), ("state", "s p&ace")]
            ),
            "http://localhost/cb?keep=1&keep=2&code=X&state=s+p%26ace#frag"
        );
    }

    #[test]
    fn construct_redirect_uri_keeps_pathless_and_opaque_bases() {
        assert_eq!(
            construct_redirect_uri("http://localhost:3000", &[("code", "c")]),
            "http://localhost:3000?code=c"
        );
        assert_eq!(
            construct_redirect_uri("javascript:alert(1)", &[("code", "c")]),
            "javascript:alert(1)?code=c"
        );
        assert_eq!(
            construct_redirect_uri("myapp://cb", &[("code", "c")]),
            "myapp://cb?code=c"
        );
    }

    #[test]
    fn unquote_decodes_utf8_runs_and_keeps_bad_escapes() {
        assert_eq!(unquote("a%20b%zz%"), "a b%zz%");
        assert_eq!(unquote("%C3%A9"), "é");
        assert_eq!(unquote("%ff"), "\u{fffd}");
    }

    #[test]
    fn starlette_location_escapes_outside_its_safe_set() {
        assert_eq!(
            starlette_location("http://h/c b?x={y}"),
            "http://h/c%20b?x=%7By%7D"
        );
        assert_eq!(starlette_location("http://h/é"), "http://h/%C3%A9");
    }
}
