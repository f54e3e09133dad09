//! Value formats: the prefix and [`ValueFormat`] knobs of codes, tokens, client ids and
//! secrets, read from the values the target issued.

use serde_json::Value;

use super::infer::TargetRun;
use super::probes::Probe;
use super::{Confidence, Pass, Unexpressed};
use crate::ValueFormat;
use crate::keys::KEY_BYTES;
use crate::output::Output;
use crate::profile::{Profile, SECRET_BYTES};
use crate::trace::Field;

/// The kinds of issued values: the prefix knob (if the kind has one), the format knob, the
/// field, and the most random bytes the model's key for it holds.
const KINDS: &[(Option<&str>, &str, Field, usize)] = &[
    (Some("code_prefix"), "code_format", Field::Code, KEY_BYTES),
    (
        Some("access_prefix"),
        "access_format",
        Field::AccessToken,
        KEY_BYTES,
    ),
    (
        Some("refresh_prefix"),
        "refresh_format",
        Field::RefreshToken,
        KEY_BYTES,
    ),
    (None, "client_id_format", Field::ClientId, KEY_BYTES),
    (
        None,
        "client_secret_format",
        Field::ClientSecret,
        SECRET_BYTES,
    ),
];

/// The ways to read `v` as a prefix and a [`ValueFormat`], most specific first: a UUID alone; a
/// word prefix (lower-case letters and digits up to a `_`, `-`, `.` or `~`, longest first) and
/// the formats of the rest; the text before its last run of lower-case hex digits (an even
/// number of them) and that run; the whole value with no prefix.
pub(crate) fn readings(v: &str) -> Vec<(&str, ValueFormat)> {
    if ValueFormat::fits(v) == [ValueFormat::Uuid4] {
        return vec![("", ValueFormat::Uuid4)];
    }
    let mut splits: Vec<usize> = Vec::new();
    let b = v.as_bytes();
    if b.first().is_some_and(u8::is_ascii_lowercase) {
        let word_end = b
            .iter()
            .position(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || SEPARATORS.contains(c)))
            .unwrap_or(b.len());
        splits.extend(
            (0..word_end.min(64))
                .rev()
                .filter(|&i| SEPARATORS.contains(&b[i]))
                .map(|i| i + 1),
        );
    }
    let hex_run = b
        .iter()
        .rev()
        .take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        .count();
    splits.push(b.len() - hex_run + hex_run % 2);
    splits.push(0);
    let mut out: Vec<(&str, ValueFormat)> = Vec::new();
    for split in splits {
        for f in ValueFormat::fits(&v[split..]) {
            if !out.contains(&(&v[..split], f)) {
                out.push((&v[..split], f));
            }
        }
    }
    out
}

/// The characters that end a word prefix.
const SEPARATORS: &[u8] = b"_-.~:";

/// Where the word prefix of `v` ends, if it has one.
fn word_prefix(v: &str) -> Option<usize> {
    v.rfind('_')
        .map(|i| i + 1)
        .filter(|&i| i >= 3 && v[..i].bytes().all(|c| c.is_ascii_lowercase() || c == b'_'))
}

/// The shape of a random value: `uuid`, or its prefix (a word prefix, see [`readings`]) with the
/// alphabet and length of the rest (`test_auth_code_<hex 32>`). Never the value itself.
pub(crate) fn shape(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        return "uuid".to_owned();
    }
    let split = word_prefix(v).unwrap_or(0);
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

/// The prefix and format knobs of each kind of value, from the values the server issued: the
/// first reading (see [`readings`]) every value of the kind has, with a prefix the profile can
/// hold and no more random bytes than the model's key. A kind with no such reading is listed
/// as a behaviour no knob describes.
pub(super) fn learn(
    probes: &[Probe],
    runs: &[Result<TargetRun, String>],
    learned: &mut Profile,
    pass: &mut Pass,
) {
    for &(prefix_key, format_key, field, max) in KINDS {
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
        let keys: Vec<&str> = prefix_key.into_iter().chain([format_key]).collect();
        let Some((first_probe, _)) = seen.first().cloned() else {
            for k in pass.knobs.iter_mut().filter(|k| keys.contains(&k.key)) {
                k.note = format!("the server issued no {}", field.name());
            }
            continue;
        };
        let fits = |(prefix, format): &(&str, ValueFormat)| {
            (prefix_key.is_some() || prefix.is_empty()) && format.at_most(max).is_ok()
        };
        let common = readings(&seen[0].1)
            .into_iter()
            .filter(fits)
            .find(|r| seen.iter().all(|(_, v)| readings(v).contains(r)));
        let file = format!("{format_key}.jsonl");
        let described = common.and_then(|(prefix, format)| {
            let with_prefix = match prefix_key {
                Some(key) => super::infer::with_knob(learned, key, &Value::from(prefix))?,
                None => learned.clone(),
            };
            let p = super::infer::with_knob(
                &with_prefix,
                format_key,
                &Value::from(format.to_string()),
            )?;
            Some((p, prefix, format))
        });
        let (confidence, note) = match described {
            Some((p, prefix, format)) => {
                *learned = p;
                pass.wanted.push((file.clone(), first_probe, false));
                let note = format!(
                    "{} {} values seen, each {prefix:?} + {format} (probe {})",
                    seen.len(),
                    field.name(),
                    probes[first_probe].name
                );
                (Confidence::Decided, note)
            }
            None => {
                let mut shapes: Vec<String> = seen.iter().map(|(_, v)| shape(v)).collect();
                shapes.sort();
                shapes.dedup();
                let model = match prefix_key {
                    Some(_) => format!(
                        "<prefix> + hex, base64url, alnum or uuid4 of at most {max} key bytes"
                    ),
                    None => format!(
                        "hex, base64url, alnum or uuid4 of at most {max} key bytes, no prefix"
                    ),
                };
                pass.unexpressed.push(Unexpressed {
                    probe: probes[first_probe].name.to_owned(),
                    what: format!("the format of {} values", field.name()),
                    step: 0,
                    server: shapes.join(", "),
                    model: model.clone(),
                    evidence: file.clone(),
                });
                pass.wanted.push((file.clone(), first_probe, true));
                let note = format!("{} values are not {model}", field.name());
                (Confidence::Inconsistent, note)
            }
        };
        for k in pass.knobs.iter_mut().filter(|k| keys.contains(&k.key)) {
            k.confidence = confidence;
            k.evidence = Some(file.clone());
            k.note.clone_from(&note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_as_its_word_prefix_and_format_or_as_a_whole() {
        let code = format!("test_auth_code_{}", "0a".repeat(16));
        assert_eq!(
            readings(&code)[0],
            ("test_auth_code_", ValueFormat::Hex(32))
        );
        assert_eq!(readings(&"ab".repeat(16))[0], ("", ValueFormat::Hex(32)));
        let other = format!("ac-{}", "0a".repeat(16));
        assert_eq!(readings(&other)[0], ("ac-", ValueFormat::Hex(32)));
        assert_eq!(
            readings("4b923427-66c5-4ed7-aa15-4d8ba265e200"),
            vec![("", ValueFormat::Uuid4)]
        );
        // node-oidc-provider's tokens: 43 base64url characters of 32 bytes, `_` among them.
        let token = "A2_MCeBGSpu_Qx7vN2pLk9R4sT8wYb3Hc6Dm1Fg5Jz0";
        assert_eq!(readings(token), vec![("", ValueFormat::Base64Url(43))]);
        // Authlib's: 42 letters and digits.
        let authlib = "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5hJ7kLz";
        assert_eq!(readings(authlib)[0], ("", ValueFormat::Alnum(42)));
        assert!(readings("a*b").is_empty());
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
