//! pydantic 2.14's `AnyUrl` / `AnyHttpUrl` as the MCP SDK uses them: WHATWG parsing (the `url`
//! crate, which pydantic-core wraps), its error texts, and the `url_preserve_empty_path` switch
//! that decides whether `http://h:3000` serializes as itself or as `http://h:3000/` (D-27).

use rustc_hash::FxHashSet;
use url::{Position, Url};

/// Parse `input` as pydantic's `AnyUrl` and return its string form, or pydantic's error message.
///
/// With `preserve_empty_path` (the registration models) a URL written without a path keeps none;
/// without it (the `/authorize` and `/token` request models) it gains `/`.
pub(crate) fn any_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    let url = parse(input)?;
    Ok(serialize(&url, input, preserve_empty_path))
}

/// Parse `input` as pydantic's `AnyHttpUrl` (scheme `http` or `https`).
pub(crate) fn any_http_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    let url = parse(input)?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("URL scheme should be 'http' or 'https'".to_owned());
    }
    Ok(serialize(&url, input, preserve_empty_path))
}

/// A memo of [`any_url`] for the redirect URIs clients register.
///
/// A registered URI comes back at `/authorize`, at `/token` and often in the next registration;
/// parsing it each time was an eighth of a flow's work. The memo holds strings that [`any_url`]
/// returns unchanged in *both* path modes, learned when a registration parses them, and answers
/// for those without parsing; any other input is parsed as before. It never changes an answer:
/// [`any_url`] is a pure function and the memo only skips recomputing it. It is capped at
/// [`UrlMemo::CAPACITY`] strings (learned in event order, never evicted), so state that grows
/// with registrations does not grow with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct UrlMemo {
    fixed: FxHashSet<Box<str>>,
}

impl UrlMemo {
    /// Most strings remembered.
    pub(crate) const CAPACITY: usize = 4096;

    /// [`any_url`], answered from the memo when `input` is a known fixed point.
    pub(crate) fn any_url(&self, input: &str, preserve_empty_path: bool) -> Result<String, String> {
        if self.fixed.contains(input) {
            return Ok(input.to_owned());
        }
        any_url(input, preserve_empty_path)
    }

    /// [`any_url`], remembering `input` when it is its own form in both path modes.
    pub(crate) fn learn(
        &mut self,
        input: &str,
        preserve_empty_path: bool,
    ) -> Result<String, String> {
        if self.fixed.contains(input) {
            return Ok(input.to_owned());
        }
        let url = parse(input)?;
        let out = serialize(&url, input, preserve_empty_path);
        if self.fixed.len() < Self::CAPACITY
            && out == input
            && serialize(&url, input, !preserve_empty_path) == input
        {
            self.fixed.insert(input.into());
        }
        Ok(out)
    }

    /// Strings remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.fixed.len()
    }
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

    proptest! {
        /// The memo answers exactly what `any_url` answers, in both modes, for learned and
        /// unlearned inputs alike.
        #[test]
        fn memo_answers_what_any_url_answers(
            learned in prop::collection::vec((url_text(), any::<bool>()), 0..6),
            probe in url_text(),
        ) {
            let mut memo = UrlMemo::default();
            for (text, preserve) in &learned {
                prop_assert_eq!(memo.learn(text, *preserve), any_url(text, *preserve));
            }
            for text in learned.iter().map(|(t, _)| t).chain([&probe]) {
                for preserve in [false, true] {
                    prop_assert_eq!(memo.any_url(text, preserve), any_url(text, preserve));
                }
            }
        }
    }

    #[test]
    fn memo_learns_fixed_points_only_and_stops_at_its_capacity() {
        let mut memo = UrlMemo::default();
        assert!(memo.learn("http://localhost:3000", true).is_ok());
        assert!(memo.learn("HTTP://localhost/cb", true).is_ok());
        assert!(memo.learn("not a url", true).is_err());
        assert_eq!(
            memo.len(),
            0,
            "respelled, path-less and invalid inputs are not memoised"
        );
        assert!(memo.learn("http://localhost/cb", true).is_ok());
        assert_eq!(memo.len(), 1);
        for i in 0..UrlMemo::CAPACITY + 10 {
            let _ = memo.learn(&format!("http://localhost/cb{i}"), true);
        }
        assert_eq!(memo.len(), UrlMemo::CAPACITY);
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
