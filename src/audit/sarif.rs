//! The conformance report as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), for
//! code-scanning UIs: one rule per catalogue invariant, one result per FAIL.

use serde_json::{Value, json};

use super::{Report, Status};
use crate::invariant::{InvariantId, Level};

/// The schema a SARIF 2.1.0 log names (`$schema`).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The URL of one cited section: `RFC 9700 §4.1.3` → rfc-editor.org, `OAuth 2.1 §4.1.1` → the
/// draft on datatracker, `MCP authorization 2025-11-25 §Token Handling` → the MCP
/// specification's page and the heading's anchor; `None` for a citation of another shape.
pub fn citation_url(cite: &str) -> Option<String> {
    let cite = cite.trim();
    if let Some(rest) = cite.strip_prefix("MCP authorization ") {
        let (version, heading) = rest.split_once('§')?;
        let version = version.trim();
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return None;
        }
        let anchor: String = heading
            .trim()
            .to_ascii_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        return Some(format!(
            "https://modelcontextprotocol.io/specification/{version}/basic/authorization#{anchor}"
        ));
    }
    let (doc, section) = cite.split_once('§').map_or((cite, None), |(d, s)| {
        let s = s
            .trim()
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        (d.trim(), Some(s.split_whitespace().next().unwrap_or(s)))
    });
    let base = if let Some(n) = doc.strip_prefix("RFC ") {
        let n = n.trim();
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!("https://www.rfc-editor.org/rfc/rfc{n}")
    } else if doc == "OAuth 2.1" {
        "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13".to_owned()
    } else {
        return None;
    };
    Some(match section {
        Some(s) if !s.is_empty() => format!("{base}#section-{s}"),
        _ => base,
    })
}

/// Every link a citation (`RFC 6749 §4.1.2, §4.1.2.1; OAuth 2.1 §4.1.2.1`) carries, in order.
pub fn citation_urls(citation: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in citation.split(';') {
        let mut doc = "";
        for (i, piece) in part.split(',').enumerate() {
            let piece = piece.trim();
            let full = if i == 0 {
                doc = piece.split('§').next().unwrap_or("").trim();
                piece.to_owned()
            } else if piece.starts_with('§') {
                format!("{doc} {piece}")
            } else {
                piece.to_owned()
            };
            if let Some(u) = citation_url(&full)
                && !out.contains(&u)
            {
                out.push(u);
            }
        }
    }
    out
}

/// The SARIF `level` of an invariant's level: a MUST broken is an `error`, a SHOULD or MAY a
/// `warning`.
fn rule_level(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should | Level::May => "warning",
    }
}

impl Report {
    /// The report as a SARIF 2.1.0 log: one rule per invariant of the report (id, short
    /// description, help text with the citation's links), one result per FAIL (`level` error,
    /// the message naming the violation, the location `trace_file(invariant)`: the minimal trace
    /// beside the report). NOT TESTED and PASS invariants are not results. Details are the
    /// report's, so they carry labels, never secrets, unless the report was made revealing them.
    pub fn sarif(&self, trace_file: impl Fn(InvariantId) -> String) -> Value {
        let rules: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let links = citation_urls(e.citation);
                let deviation = e
                    .invariant
                    .invariant()
                    .fastmcp_deviation
                    .map(|d| format!(" FastMCP deviation {d}."))
                    .unwrap_or_default();
                let mut rule = json!({
                    "id": e.invariant,
                    "name": e.invariant,
                    "shortDescription": {"text": e.summary},
                    "fullDescription": {"text": format!("{} {} ({})", e.level.as_str(), e.summary, e.citation)},
                    "help": {
                        "text": format!("{} ({}: {}).{deviation} See {}", e.summary, e.level.as_str(), e.citation, links.join(" ")),
                    },
                    "defaultConfiguration": {"level": rule_level(e.level)},
                    "properties": {"level": e.level.as_str(), "citation": e.citation},
                });
                if let Some(first) = links.first() {
                    rule["helpUri"] = Value::from(first.clone());
                }
                rule
            })
            .collect();
        let results: Vec<Value> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.status == Status::Fail)
            .map(|(i, e)| {
                let file = trace_file(e.invariant);
                json!({
                    "ruleId": e.invariant,
                    "ruleIndex": i,
                    "level": "error",
                    "message": {"text": format!(
                        "{} broken by {}: {} ({} of {} checks violated). Minimal trace: {file} (`oauth-oracle audit --replay {file} --target {}`).",
                        e.invariant,
                        self.target,
                        e.detail.as_deref().unwrap_or(e.summary),
                        e.tally.violations,
                        e.tally.checks,
                        self.target,
                    )},
                    "locations": [{
                        "physicalLocation": {"artifactLocation": {"uri": file}},
                        "message": {"text": "the minimal trace of the violation (JSON Lines)"},
                    }],
                })
            })
            .collect();
        json!({
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "oauth-oracle",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13",
                    "rules": rules,
                }},
                "results": results,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_become_links_per_section() {
        assert_eq!(
            citation_urls("RFC 6749 §4.1.2, §4.1.2.1; OAuth 2.1 §4.1.2.1"),
            [
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2",
                "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1",
                "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1-13#section-4.1.2.1",
            ]
        );
        assert_eq!(
            citation_url("RFC 7009").as_deref(),
            Some("https://www.rfc-editor.org/rfc/rfc7009")
        );
        assert_eq!(citation_url("FastMCP source"), None);
        assert_eq!(
            citation_url("MCP authorization 2025-11-25 §Client ID Metadata Documents").as_deref(),
            Some(
                "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-id-metadata-documents"
            )
        );
    }

    #[test]
    fn every_reported_citation_has_a_link() {
        let internal = crate::invariant::InvariantId::StorePairsConsistent;
        for i in crate::invariant::CATALOG
            .iter()
            .filter(|i| i.id != internal)
        {
            assert!(
                !citation_urls(i.citation).is_empty(),
                "{}: {:?} gives no link",
                i.id,
                i.citation
            );
        }
    }
}
