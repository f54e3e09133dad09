//! CPython 3.11 `urllib.parse` as FastMCP uses it: `quote`, `quote_plus`, `unquote`, `parse_qsl`,
//! `urlsplit`/`urlunsplit`, and the SDK's `construct_redirect_uri` built on them.

/// The bytes `urllib.parse.quote` leaves as they are: those it never escapes (`_ALWAYS_SAFE`:
/// ASCII letters and digits, `_.-~`) and the ASCII bytes of its `safe` argument, as a table (one
/// lookup per byte).
struct SafeSet([bool; 256]);

impl SafeSet {
    /// The set for `quote(s, safe)`.
    const fn new(safe: &[u8]) -> Self {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 128 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'~');
            b += 1;
        }
        let mut i = 0;
        while i < safe.len() {
            if safe[i].is_ascii() {
                table[safe[i] as usize] = true;
            }
            i += 1;
        }
        Self(table)
    }
}

/// `quote(s, safe='')` and `quote_plus(s, safe='')`'s set.
const NOTHING_SAFE: SafeSet = SafeSet::new(b"");
/// Starlette's `RedirectResponse` set ([`starlette_location`]).
const LOCATION_SAFE: SafeSet = SafeSet::new(b":/%#?=@[]!$&'()*+,;");

/// `urllib.parse.quote(s, safe)`: UTF-8 encode, then `%XX` (upper case) every byte that is neither
/// always safe nor in `safe`.
pub(crate) fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    quote_into(&mut out, s, &SafeSet::new(safe.as_bytes()), false);
    out
}

/// [`quote`] appended to `out`; with `plus`, a space becomes `+` (`quote_plus`).
fn quote_into(out: &mut String, s: &str, safe: &SafeSet, plus: bool) {
    const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut start = 0;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if safe.0[usize::from(b)] {
            continue;
        }
        // Runs of safe bytes are copied whole; a non-empty run is ASCII and starts after an
        // escaped byte that ended its character, so both ends are char boundaries.
        if start < i {
            out.push_str(s.get(start..i).unwrap_or_default());
        }
        if plus && b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(UPPER_HEX[usize::from(b >> 4)] as char);
            out.push(UPPER_HEX[usize::from(b & 15)] as char);
        }
        start = i + 1;
    }
    // `start` follows an escaped byte or is 0; a partial UTF-8 sequence was escaped whole.
    if let Some(rest) = s.get(start..) {
        out.push_str(rest);
    }
}

/// `urllib.parse.quote_plus(s, safe='')`: like [`quote`] but a space becomes `+`.
#[cfg(any(feature = "diff", test))]
pub(crate) fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    quote_into(&mut out, s, &NOTHING_SAFE, true);
    out
}

/// `urllib.parse.unquote(s)` with `encoding='utf-8', errors='replace'`: `%XX` runs are decoded as
/// UTF-8 with U+FFFD for invalid sequences; malformed escapes are kept literally.
pub(crate) fn unquote(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            pending.push(h << 4 | l);
            i += 3;
            continue;
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
pub(crate) fn parse_qsl(qs: &str, keep_blank_values: bool) -> Vec<(String, String)> {
    raw_pairs(qs, keep_blank_values)
        .map(|(name, value)| (unquote_plus(name), unquote_plus(value)))
        .collect()
}

/// A query's `(name, value)` pairs as [`parse_qsl`] with blank values kept splits them, split once
/// and left undecoded, to be looked up by name: only the names are decoded until one matches (a
/// query's values are long codes, states and URLs; the callers want a few of them).
pub(crate) struct QueryPairs<'a>(Vec<(&'a str, &'a str)>);

impl<'a> QueryPairs<'a> {
    /// The pairs of `qs`.
    pub(crate) fn new(qs: &'a str) -> Self {
        Self(raw_pairs(qs, true).collect())
    }

    /// The first value [`parse_qsl`] reads for `name` in `qs`: for one lookup, with nothing
    /// split past it.
    pub(crate) fn first_in(qs: &str, name: &str) -> Option<String> {
        let found = raw_pairs(qs, true).find(|(n, _)| names(n, name));
        found.map(|(_, value)| unquote_plus(value))
    }

    /// The last value [`parse_qsl`] reads for `name`.
    pub(crate) fn last(&self, name: &str) -> Option<String> {
        let found = self.0.iter().rfind(|(n, _)| names(n, name));
        found.map(|(_, value)| unquote_plus(value))
    }

    /// How many values [`parse_qsl`] reads for `name`.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|(n, _)| names(n, name)).count()
    }
}

/// Whether the undecoded parameter name `raw` decodes to `name`.
fn names(raw: &str, name: &str) -> bool {
    if raw.bytes().any(|b| matches!(b, b'+' | b'%')) {
        unquote_plus(raw) == name
    } else {
        raw == name
    }
}

/// The `(name, value)` pieces of `qs`, undecoded, as `parse_qsl` splits them.
fn raw_pairs(qs: &str, keep_blank_values: bool) -> impl DoubleEndedIterator<Item = (&str, &str)> {
    qs.split('&').filter_map(move |piece| {
        if piece.is_empty() {
            return None;
        }
        let (name, value) = match piece.split_once('=') {
            Some((n, v)) => (n, v),
            None if keep_blank_values => (piece, ""),
            None => return None,
        };
        (!value.is_empty() || keep_blank_values).then_some((name, value))
    })
}

/// `urllib.parse.unquote_plus`: `+` is a space, then [`unquote`]. A part with neither `+` nor
/// `%` is copied once.
fn unquote_plus(s: &str) -> String {
    if s.contains('+') {
        unquote(&s.replace('+', " "))
    } else {
        unquote(s)
    }
}

/// `urllib.parse.urlencode(pairs)` (with `quote_plus`).
pub(crate) fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    urlencode_into(&mut out, pairs);
    out
}

/// [`urlencode`] appended to `out`.
fn urlencode_into<'a>(out: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        quote_into(out, k, &NOTHING_SAFE, true);
        out.push('=');
        quote_into(out, v, &NOTHING_SAFE, true);
    }
}

/// The five parts of `urllib.parse.urlsplit`, plus `urlparse`'s `;params` of the last segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitUrl {
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
pub(crate) fn urlparse(url: &str) -> SplitUrl {
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
pub(crate) fn urlunparse(u: &SplitUrl) -> String {
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
pub(crate) fn construct_redirect_uri(base: &str, params: &[(&str, &str)]) -> String {
    if is_plain_base(base) && !params.is_empty() {
        // `urlunparse(urlparse(base))` is `base` itself for such a URI, and its query is empty.
        let mut out = String::with_capacity(base.len() + 128);
        out.push_str(base);
        out.push('?');
        urlencode_into(&mut out, params.iter().copied());
        return out;
    }
    construct_general(base, params)
}

/// `construct_redirect_uri` by the letter: split, merge the queries, join.
fn construct_general(base: &str, params: &[(&str, &str)]) -> String {
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

/// An `http(s)` URI that `urlparse` splits into scheme, non-empty netloc and path only, and that
/// `urlunparse` gives back unchanged: printable ASCII without `?`, `#`, `;`, brackets or
/// backslashes, a lower-case scheme, and an authority that does not start with `/`.
fn is_plain_base(base: &str) -> bool {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && base.bytes().all(|b| {
            (0x21..0x7f).contains(&b) && !matches!(b, b'?' | b'#' | b';' | b'[' | b']' | b'\\')
        })
}

/// The `Location` header Starlette's `RedirectResponse` sends for `url`:
/// `quote(url, safe=":/%#?=@[]!$&'()*+,;")`.
pub(crate) fn starlette_location(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    quote_into(&mut out, url, &LOCATION_SAFE, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortcut for plain bases gives what the general path gives, for bases built
        /// from every character class the shortcut must refuse or pass through.
        #[test]
        fn plain_base_shortcut_equals_general_path(
            scheme in prop::sample::select(vec!["http://", "https://", "HTTP://", "http:", "h://", ""]),
            rest in "[a-zA-Z0-9/:.;?#%@!~\\[\\] \t\\\\é-]{0,24}",
            state in "[a-z ~&/é%+]{0,8}",
        ) {
            let base = format!("{scheme}{rest}");
            let params = [("code", "abc"), ("state", state.as_str())];
            prop_assert_eq!(
                construct_redirect_uri(&base, &params),
                construct_general(&base, &params)
            );
        }
    }

    /// `urllib.parse.quote` / `quote_plus` spelled out byte by byte, as CPython's `Quoter` does.
    fn quote_reference(s: &str, safe: &str, plus: bool) -> String {
        let mut out = String::new();
        for &b in s.as_bytes() {
            if b.is_ascii_alphanumeric()
                || b"_.-~".contains(&b)
                || (b.is_ascii() && safe.as_bytes().contains(&b))
            {
                out.push(char::from(b));
            } else if plus && b == b' ' {
                out.push('+');
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    proptest! {
        /// Quoting gives CPython's answer for any text and any safe set.
        #[test]
        fn quote_equals_the_byte_by_byte_reference(
            s in "[ -~\t\u{80}-\u{10ff}]{0,24}",
            safe in "[ -~é]{0,8}",
        ) {
            prop_assert_eq!(quote(&s, &safe), quote_reference(&s, &safe, false));
            prop_assert_eq!(quote_plus(&s), quote_reference(&s, "", true));
        }
    }

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

    proptest! {
        /// [`QueryPairs`], which decodes only names until one matches, reads the first
        /// ([`QueryPairs::first_in`]) and last value [`parse_qsl`] reads for that name, and the number of its values, on
        /// queries of names that are `error` spelled plainly, with `%` escapes or `+`, and of
        /// broken escapes.
        #[test]
        fn query_pairs_read_as_parse_qsl(
            pieces in proptest::collection::vec(
                "(error|%65rror|err%6Fr|e\\+rror|err|error%|x)(=[a-z%+0-9]{0,4})?",
                0..6,
            ),
        ) {
            let qs = pieces.join("&");
            let pairs = parse_qsl(&qs, true);
            let read = QueryPairs::new(&qs);
            let mut named = pairs.iter().filter(|(k, _)| k == "error").map(|(_, v)| v.clone());
            prop_assert_eq!(QueryPairs::first_in(&qs, "error"), named.clone().next(), "{}", qs);
            prop_assert_eq!(read.last("error"), named.next_back(), "{}", qs);
            let count = pairs.iter().filter(|(k, _)| k == "error").count();
            prop_assert_eq!(read.count("error"), count, "{}", qs);
        }
    }
}
