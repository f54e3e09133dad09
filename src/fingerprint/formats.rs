//! Value formats: the prefixes of codes and tokens the profile has knobs for, and the shapes of
//! values it has none for (client ids, secrets), read from the target's answers.

use serde_json::Value;

use super::infer::TargetRun;
use super::probes::Probe;
use super::{Confidence, Options, Pass, Unexpressed};
use crate::output::Output;
use crate::profile::Profile;
use crate::trace::Field;

/// The hex digits a value of `field` carries after its prefix in the model
/// ([`crate::Profile::code_prefix`] and the token prefixes).
pub(crate) fn hex_digits(field: Field) -> usize {
    match field {
        Field::Code => 32,
        Field::ClientId
        | Field::ClientSecret
        | Field::State
        | Field::AccessToken
        | Field::RefreshToken => 64,
    }
}

/// The prefix of `value` when it is `prefix` + `digits` lower-case hex digits with a prefix the
/// profile can hold (at most 64 unreserved characters), else `None`.
pub(crate) fn prefix_of(value: &str, digits: usize) -> Option<&str> {
    let split = value.len().checked_sub(digits)?;
    let (prefix, hex) = (value.get(..split)?, value.get(split..)?);
    let hex_ok = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let prefix_ok = prefix.len() <= 64
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    (hex_ok && prefix_ok).then_some(prefix)
}

/// The shape of a random value: `uuid`, or its prefix (up to the last `_`, when what precedes
/// it is a word: lower-case letters and `_`) with the alphabet and length of the rest
/// (`test_auth_code_<hex 32>`). A random base64url value may hold `_` anywhere: its text before
/// the last one (`A2_MCeBGSpu_`) is no prefix. Never the value itself.
pub(crate) fn shape(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        return "uuid".to_owned();
    }
    let split = v
        .rfind('_')
        .map(|i| i + 1)
        .filter(|&i| i >= 3 && v[..i].bytes().all(|c| c.is_ascii_lowercase() || c == b'_'))
        .unwrap_or(0);
    let (prefix, rest) = v.split_at(split);
    let class = if rest.bytes().all(|c| c.is_ascii_hexdigit()) {
        "hex"
    } else if rest
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
    {
        "base64url"
    } else {
        "other"
    };
    // A prefix longer than a word is part of the value, not a prefix.
    let prefix = if prefix.len() > 32 { "" } else { prefix };
    format!("{prefix}<{class} {}>", rest.len())
}

/// The value of `field` in `out`, if it carries one.
pub(crate) fn value(field: Field, out: &Output) -> Option<String> {
    field.extract(out)
}

/// `expires_in` of a token answer, if any.
pub(crate) fn expires_in(out: &Output) -> Option<u64> {
    serde_json::from_str::<Value>(&out.body)
        .ok()?
        .get("expires_in")?
        .as_u64()
}

/// The prefix knobs from the codes and tokens the server issued; the shapes of values no knob
/// describes (client ids and secrets) when they differ from the model's.
pub(super) fn learn(
    probes: &[Probe],
    runs: &[Result<TargetRun, String>],
    learned: &mut Profile,
    opts: &Options,
    pass: &mut Pass,
) {
    for (key, field) in [
        ("code_prefix", Field::Code),
        ("access_prefix", Field::AccessToken),
        ("refresh_prefix", Field::RefreshToken),
    ] {
        let mut seen: Vec<(usize, String)> = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let Ok(run) = run else { continue };
            seen.extend(
                run.outputs
                    .iter()
                    .filter_map(|o| value(field, o))
                    .map(|v| (i, v)),
            );
        }
        let Some(k) = pass.knobs.iter_mut().find(|k| k.key == key) else {
            continue;
        };
        let Some((first_probe, _)) = seen.first().cloned() else {
            k.note = format!("the server issued no {}", field.name());
            continue;
        };
        let digits = hex_digits(field);
        let prefixes: Vec<Option<&str>> = seen.iter().map(|(_, v)| prefix_of(v, digits)).collect();
        let file = format!("{key}.jsonl");
        match prefixes.first().copied().flatten() {
            Some(first) if prefixes.iter().all(|p| *p == Some(first)) => {
                if let Some(p) = super::infer::with_knob(learned, key, &Value::from(first)) {
                    *learned = p;
                }
                k.confidence = Confidence::Decided;
                k.evidence = Some(file.clone());
                k.note = format!(
                    "{} {} values seen, each {first:?} + {digits} hex digits (probe {})",
                    seen.len(),
                    field.name(),
                    probes[first_probe].name
                );
                pass.wanted.push((file, first_probe, false));
            }
            _ => {
                let mut shapes: Vec<String> = seen.iter().map(|(_, v)| shape(v)).collect();
                shapes.sort();
                shapes.dedup();
                k.confidence = Confidence::Inconsistent;
                k.evidence = Some(file.clone());
                k.note = format!(
                    "{} values are not a prefix + {digits} hex digits",
                    field.name()
                );
                pass.unexpressed.push(Unexpressed {
                    probe: probes[first_probe].name.to_owned(),
                    what: format!("the format of {} values", field.name()),
                    step: 0,
                    server: shapes.join(", "),
                    model: format!("<prefix><hex {digits}>"),
                    evidence: file.clone(),
                });
                pass.wanted.push((file, first_probe, true));
            }
        }
    }
    // Client ids and secrets: no knob; named when their shape is not the model's.
    let register = probes.iter().position(|p| p.name == "register");
    if let Some(i) = register
        && let Ok(run) = &runs[i]
        && let Some(model) = super::infer::run_model(&probes[i], learned, &opts.config, &run.at, 1)
    {
        for field in [Field::ClientId, Field::ClientSecret] {
            let (Some(t), Some(m)) = (
                run.outputs.first().and_then(|o| value(field, o)),
                model.first().and_then(|o| value(field, o)),
            ) else {
                continue;
            };
            let (ts, ms) = (shape(&t), shape(&m));
            if ts != ms {
                let file = format!("unexpressed-{}-format.jsonl", field.name());
                pass.unexpressed.push(Unexpressed {
                    probe: probes[i].name.to_owned(),
                    what: format!("the format of {} values", field.name()),
                    step: 1,
                    server: ts,
                    model: ms,
                    evidence: file.clone(),
                });
                pass.wanted.push((file, i, true));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_what_precedes_the_hex_digits() {
        let code = format!("test_auth_code_{}", "0a".repeat(16));
        assert_eq!(prefix_of(&code, 32), Some("test_auth_code_"));
        assert_eq!(prefix_of(&"ab".repeat(16), 32), Some(""));
        assert_eq!(prefix_of("4b923427-66c5-4ed7-aa15-4d8ba265e200", 32), None);
        assert_eq!(prefix_of(&format!("x{}", "A".repeat(32)), 32), None);
        assert_eq!(prefix_of("short", 32), None);
    }

    #[test]
    fn shapes_name_alphabet_and_length_never_the_value() {
        assert_eq!(shape("4b923427-66c5-4ed7-aa15-4d8ba265e200"), "uuid");
        assert_eq!(
            shape(&format!("test_access_token_{}", "f".repeat(64))),
            "test_access_token_<hex 64>"
        );
        assert_eq!(shape("abc-DEF"), "<base64url 7>");
        // node-oidc-provider's tokens: 43 random base64url characters, `_` among them.
        assert_eq!(
            shape("A2_MCeBGSpu_Qx7vN2pLk9R4sT8wYb3Hc6Dm1Fg5Jz0"),
            "<base64url 43>"
        );
        assert_eq!(shape("mcp_9f8e7d6c5b4a"), "mcp_<hex 12>");
    }
}
