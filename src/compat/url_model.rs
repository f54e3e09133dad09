//! pydantic 2.14's `AnyUrl` / `AnyHttpUrl` as the MCP SDK uses them: WHATWG parsing (the `url`
//! crate, which pydantic-core wraps), its error texts, and the `url_preserve_empty_path` switch
//! that decides whether `http://h:3000` serializes as itself or as `http://h:3000/` (D-27).

use url::{Position, Url};

/// Parse `input` as pydantic's `AnyUrl` and return its string form, or pydantic's error message.
///
/// With `preserve_empty_path` (the registration models) a URL written without a path keeps none;
/// without it (the `/authorize` and `/token` request models) it gains `/`.
pub fn any_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    if input.is_empty() {
        return Err("Input should be a valid URL, input is empty".to_owned());
    }
    let url = Url::parse(input).map_err(|e| format!("Input should be a valid URL, {e}"))?;
    Ok(serialize(&url, input, preserve_empty_path))
}

/// Parse `input` as pydantic's `AnyHttpUrl` (scheme `http` or `https`).
pub fn any_http_url(input: &str, preserve_empty_path: bool) -> Result<String, String> {
    if input.is_empty() {
        return Err("Input should be a valid URL, input is empty".to_owned());
    }
    let url = Url::parse(input).map_err(|e| format!("Input should be a valid URL, {e}"))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("URL scheme should be 'http' or 'https'".to_owned());
    }
    Ok(serialize(&url, input, preserve_empty_path))
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
    use super::*;

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
