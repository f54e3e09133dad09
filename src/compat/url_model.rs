//! pydantic 2.14's `AnyUrl` / `AnyHttpUrl` as the MCP SDK uses them: WHATWG parsing (the `url`
//! crate, which pydantic-core wraps), its error texts, and the `url_preserve_empty_path` switch
//! that decides whether `http://h:3000` serializes as itself or as `http://h:3000/` (D-27).

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use url::{Position, Url};

/// Parse `input` as pydantic's `AnyUrl` and return its string form, or pydantic's error message.
///
/// With `preserve_empty_path` (the registration models) a URL written without a path keeps none;
/// without it (the `/authorize` and `/token` request models) it gains `/`.
pub(crate) fn any_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    with_reading(input, |r| match r {
        Ok(forms) => Ok(forms.form(preserve_empty_path).to_owned()),
        Err(e) => Err(e.clone()),
    })
}

/// Parse `input` as pydantic's `AnyHttpUrl` (scheme `http` or `https`).
pub(crate) fn any_http_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    with_reading(input, |r| match r {
        Ok(forms) if forms.http => Ok(forms.form(preserve_empty_path).to_owned()),
        Ok(_) => Err("URL scheme should be 'http' or 'https'".to_owned()),
        Err(e) => Err(e.clone()),
    })
}

/// What pydantic makes of one input that parses: its string form in both path modes, and
/// whether its scheme is `http` or `https`.
struct Forms {
    /// With `url_preserve_empty_path`.
    kept: String,
    /// Without it.
    slashed: String,
    /// Scheme `http` or `https`.
    http: bool,
}

impl Forms {
    fn form(&self, preserve_empty_path: bool) -> &str {
        if preserve_empty_path {
            &self.kept
        } else {
            &self.slashed
        }
    }
}

/// Inputs longer than this are parsed each time, never remembered.
const MEMO_INPUT_MAX: usize = 512;
/// Most inputs a thread remembers (learned in the order they come, never evicted).
const MEMO_CAPACITY: usize = 4096;

thread_local! {
    /// A memo of the readings of the URLs parsed on this thread. The same few redirect URIs come
    /// back at every registration, `/authorize` and `/token` of every flow, and parsing them was
    /// a tenth of a checked step's work. A reading is a pure function of its input, so the memo
    /// never changes an answer, only skips recomputing it; it is bounded
    /// ([`MEMO_CAPACITY`] inputs of at most [`MEMO_INPUT_MAX`] bytes), so it does not grow with
    /// the state.
    static MEMO: RefCell<FxHashMap<Box<str>, Result<Forms, String>>> =
        RefCell::new(FxHashMap::default());
}

/// `f` of the reading of `input`: remembered, or read now (and remembered if there is room).
fn with_reading<T>(input: &str, f: impl FnOnce(&Result<Forms, String>) -> T) -> T {
    MEMO.with_borrow_mut(|memo| {
        if let Some(known) = memo.get(input) {
            return f(known);
        }
        let reading = read(input);
        let out = f(&reading);
        if input.len() <= MEMO_INPUT_MAX && memo.len() < MEMO_CAPACITY {
            memo.insert(input.into(), reading);
        }
        out
    })
}

/// What pydantic makes of `input`, computed.
fn read(input: &str) -> Result<Forms, String> {
    let url = parse(input)?;
    Ok(Forms {
        kept: serialize(&url, input, true),
        slashed: serialize(&url, input, false),
        http: matches!(url.scheme(), "http" | "https"),
    })
}

/// WHATWG parsing with pydantic's error texts.
fn parse(input: &str) -> Result<Url, String> {
    if input.is_empty() {
        return Err("Input should be a valid URL, input is empty".to_owned());
    }
    Url::parse(input).map_err(|e| format!("Input should be a valid URL, {e}"))
}

fn serialize(url: &Url, input: &str, preserve_empty_path: bool) -> String {
    if preserve_empty_path && url.has_authority() && url.path() == "/" && input_path_is_empty(input)
    {
        let mut s = url[..Position::BeforePath].to_owned();
        s.push_str(&url[Position::AfterPath..]);
        s
    } else {
        url.as_str().to_owned()
    }
}

/// Whether the text after `scheme://authority` starts with something other than `/`.
fn input_path_is_empty(input: &str) -> bool {
    let trimmed = input.trim_matches(|c: char| c <= ' ');
    let Some(idx) = trimmed.find(':') else {
        return false;
    };
    let after_scheme = trimmed[idx + 1..].trim_start_matches(['/', '\\']);
    match after_scheme.find(['/', '\\', '?', '#']) {
        None => true,
        Some(i) => !matches!(after_scheme.as_bytes()[i], b'/' | b'\\'),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// URL-ish text: schemes, hosts, ports, empty and non-empty paths, queries, fragments,
    /// case, spaces and backslashes, so both fixed points and respelled inputs occur.
    fn url_text() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["http", "https", "HTTP", "myapp", "", "http:"]),
            prop::sample::select(vec!["://", ":/", ":", "://\\"]),
            prop::sample::select(vec![
                "localhost",
                "LocalHost",
                "127.0.0.1",
                "",
                "a b",
                "[::1]",
            ]),
            prop::sample::select(vec!["", ":80", ":443", ":3000", ":x"]),
            prop::sample::select(vec!["", "/", "/cb", "/a/../b", "/%7e", "\\cb", "/ c"]),
            prop::sample::select(vec!["", "?", "?x=1", "?a b"]),
            prop::sample::select(vec!["", "#", "#f"]),
            prop::sample::select(vec!["", " "]),
        )
            .prop_map(|(s, sep, h, p, path, q, f, pad)| format!("{pad}{s}{sep}{h}{p}{path}{q}{f}"))
    }

    /// [`any_url`] and [`any_http_url`] computed without the memo.
    fn unmemoised(input: &str, preserve: bool, http: bool) -> Result<String, String> {
        let url = parse(input)?;
        if http && !matches!(url.scheme(), "http" | "https") {
            return Err("URL scheme should be 'http' or 'https'".to_owned());
        }
        Ok(serialize(&url, input, preserve))
    }

    proptest! {
        /// The memo answers exactly what parsing answers, in both modes and for both types,
        /// the first time an input is seen and every time after.
        #[test]
        fn memo_answers_what_parsing_answers(
            inputs in prop::collection::vec(url_text(), 1..6),
        ) {
            for _ in 0..2 {
                for text in &inputs {
                    for preserve in [false, true] {
                        prop_assert_eq!(any_url(text, preserve), unmemoised(text, preserve, false));
                        prop_assert_eq!(
                            any_http_url(text, preserve),
                            unmemoised(text, preserve, true)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn memo_is_bounded() {
        let long = format!("http://localhost/{}", "a".repeat(MEMO_INPUT_MAX));
        assert!(any_url(&long, true).is_ok());
        for i in 0..MEMO_CAPACITY + 10 {
            let _ = any_url(&format!("http://localhost/cb{i}"), true);
        }
        MEMO.with_borrow(|memo| {
            assert_eq!(memo.len(), MEMO_CAPACITY);
            assert!(!memo.contains_key(long.as_str()));
        });
    }

    #[test]
    fn empty_path_is_kept_only_when_preserving() {
        assert_eq!(
            any_url("http://localhost:3000", true).as_deref(),
            Ok("http://localhost:3000")
        );
        assert_eq!(
            any_url("http://localhost:3000", false).as_deref(),
            Ok("http://localhost:3000/")
        );
        assert_eq!(
            any_url("http://localhost:3000?x=1", true).as_deref(),
            Ok("http://localhost:3000?x=1")
        );
        assert_eq!(
            any_url("HTTP://LocalHost:80/cb", true).as_deref(),
            Ok("http://localhost/cb")
        );
    }

    #[test]
    fn errors_read_like_pydantic() {
        assert_eq!(
            any_url("not a url", false),
            Err("Input should be a valid URL, relative URL without a base".to_owned())
        );
        assert_eq!(
            any_url("", false),
            Err("Input should be a valid URL, input is empty".to_owned())
        );
        assert_eq!(
            any_http_url("myapp://x", true),
            Err("URL scheme should be 'http' or 'https'".to_owned())
        );
    }
}
