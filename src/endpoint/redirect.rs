//! Redirect-URI policy shared by registration, authorization and the token endpoint.
//!
//! FastMCP compares pydantic-normalised URLs (D-12). The exact policy compares strings
//! ([RFC 9700 §4.1.3](https://www.rfc-editor.org/rfc/rfc9700#section-4.1.3)) with one exception:
//! any port on a loopback host ([RFC 8252 §7.3](https://www.rfc-editor.org/rfc/rfc8252#section-7.3)).
//! `localhost` counts as loopback here, as MCP clients use it.

/// `(host, the URI with its port removed)` when `uri` is `http://<host>[:port]...`.
fn split_port(uri: &str) -> Option<(&str, String)> {
    let rest = uri.strip_prefix("http://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = v6.find(']')?;
        let host = &authority[..close + 2];
        (host, &authority[close + 2..])
    } else {
        match authority.rfind(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    if !(port.is_empty() || (port.len() > 1 && port[1..].bytes().all(|b| b.is_ascii_digit()))) {
        return None;
    }
    Some((host, format!("http://{host}{}", &rest[end..])))
}

/// Whether `host` is a loopback host.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host.starts_with("127.") && host.split('.').count() == 4
}

/// Exact string equality, or equality but for the port of a loopback `http` URI.
pub(crate) fn exact_match(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (split_port(registered), split_port(requested)) {
        (Some((h1, r1)), Some((h2, r2))) => h1 == h2 && is_loopback_host(h1) && r1 == r2,
        _ => false,
    }
}

/// Cloudflare's loopback rule: both URIs parse as URLs ([WHATWG URL](https://url.spec.whatwg.org/))
/// with a loopback host, and their schemes, hosts, paths and queries are equal (the port is
/// free).
pub(crate) fn loopback_parsed_match(registered: &str, requested: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(registered), url::Url::parse(requested)) else {
        return false;
    };
    let loopback = |u: &url::Url| u.host_str().is_some_and(is_loopback_host);
    let query = |u: &url::Url| u.query().filter(|q| !q.is_empty()).map(str::to_owned);
    loopback(&a)
        && loopback(&b)
        && a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && query(&a) == query(&b)
}

/// Why a redirect URI may not be registered under the strict policy, if it may not.
pub(crate) fn refused_at_registration(uri: &str) -> Option<&'static str> {
    // URL parsing drops tabs and newlines silently: the string registered would not be the one
    // redirected to.
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("a redirect URI must not contain whitespace or control characters");
    }
    let lower = uri.to_ascii_lowercase();
    if ["javascript:", "data:", "vbscript:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return Some("scheme not allowed for a redirect URI");
    }
    if uri.contains('#') {
        return Some("a redirect URI must not contain a fragment");
    }
    if lower.starts_with("http://") && !split_port(uri).is_some_and(|(h, _)| is_loopback_host(h)) {
        return Some("plain http is only allowed for loopback redirect URIs");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_interchangeable_and_nothing_else_is() {
        assert!(exact_match(
            "http://localhost:9999/cb",
            "http://localhost:1234/cb"
        ));
        assert!(exact_match(
            "http://127.0.0.1/cb",
            "http://127.0.0.1:5000/cb"
        ));
        assert!(exact_match("http://[::1]:1/cb", "http://[::1]:2/cb"));
        assert!(!exact_match(
            "http://localhost:9999/cb",
            "http://localhost:9999/cb/"
        ));
        assert!(!exact_match(
            "http://example.com:1/cb",
            "http://example.com:2/cb"
        ));
        assert!(!exact_match(
            "https://localhost:1/cb",
            "https://localhost:2/cb"
        ));
        assert!(!exact_match(
            "http://localhost:9999/cb",
            "HTTP://localhost:9999/cb"
        ));
    }

    #[test]
    fn parsed_loopback_match_ignores_port_and_case_of_scheme_and_host_only() {
        let reg = "http://localhost:9999/cb";
        assert!(loopback_parsed_match(reg, "HTTP://LOCALHOST:1234/cb"));
        assert!(loopback_parsed_match(reg, "http://localhost/cb"));
        assert!(!loopback_parsed_match(reg, "http://localhost:9999/CB"));
        assert!(!loopback_parsed_match(reg, "http://localhost:9999/cb/"));
        assert!(!loopback_parsed_match(reg, "http://127.0.0.1:9999/cb"));
        assert!(!loopback_parsed_match(reg, "https://localhost:9999/cb"));
        assert!(!loopback_parsed_match(reg, "http://localhost:9999/cb?x=1"));
        assert!(!loopback_parsed_match(
            "https://app.example/cb",
            "HTTPS://APP.EXAMPLE/cb"
        ));
    }

    #[test]
    fn strict_registration_refuses_dangerous_uris() {
        assert!(refused_at_registration("javascript:alert(1)").is_some());
        assert!(refused_at_registration("https://a.example/cb#x").is_some());
        assert!(refused_at_registration("http://evil.example/cb").is_some());
        assert!(refused_at_registration("http://127.0.0.1:8000/cb").is_none());
        assert!(refused_at_registration("myapp://cb").is_none());
        assert!(refused_at_registration("https://a.example/cb").is_none());
        assert!(refused_at_registration("http://127.0.0.1:9999/cb\nx").is_some());
        assert!(refused_at_registration("http://127.0.0.1:9999/c\u{1c}b").is_some());
    }
}
