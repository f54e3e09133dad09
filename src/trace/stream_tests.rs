//! The one-pass replay ([`replay_bytes`]) answers exactly what [`Trace::read`] then [`replay`]
//! answer: on the golden and generated traces, and on lines edited so that the byte comparison
//! fails, the raw reading gives way, or the line is malformed (same error, same line, same
//! field); and the compact writer writes `serde_json`'s bytes.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;

use serde_json::Value;

use super::compact::write_output;
use super::stream::read_written;
use super::tests::{GOLDEN, generated};
use super::{ReplayOutcome, Trace, TraceError, replay, replay_bytes};
use crate::output::{Output, Reason};
use crate::profile::Profile;

/// The recorded outputs of a trace.
fn outputs_of(text: &str) -> impl Iterator<Item = Output> {
    Trace::read(text.as_bytes())
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.output)
}

/// A result as text: the outcome's debug form, or the error message.
fn shown(r: &Result<ReplayOutcome, TraceError>) -> String {
    match r {
        Ok(v) => format!("ok: {v:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// The two-phase answer.
fn two_phase(bytes: &[u8]) -> Result<ReplayOutcome, TraceError> {
    Trace::read(bytes).and_then(|t| replay(&t))
}

/// Both ways agree on `text`; the answer, shown.
fn agree(text: &str) -> String {
    let fast = shown(&replay_bytes(text.as_bytes()));
    assert_eq!(fast, shown(&two_phase(text.as_bytes())), "{text}");
    fast
}

/// A match of `steps` steps, shown.
fn matched(steps: usize) -> String {
    shown(&Ok(ReplayOutcome::Match { steps }))
}

/// `text` with line `i` (0-based) replaced.
fn with_line(text: &str, i: usize, line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[i] = line;
    lines.join("\n") + "\n"
}

#[test]
fn the_compact_writer_writes_serde_json_bytes() {
    let mut outputs: Vec<Output> = Vec::new();
    for text in GOLDEN {
        outputs.extend(outputs_of(text));
    }
    outputs.extend(outputs_of(&generated(Profile::oauth21(), 5, 500)));
    // Every byte that JSON escapes, at every offset of an eight-byte chunk and in the tail.
    let mut odd = String::new();
    for c in (0u8..0x20)
        .map(char::from)
        .chain(['"', '\\', '\u{7f}', 'é', '€', '😀'])
    {
        odd.push(c);
        odd.push_str("abcdefg");
        odd.push(c);
    }
    for len in 0..=odd.len() {
        if let Some(body) = odd.get(..len) {
            let out = Output::new(200, &[], body.to_owned())
                .with_header(body.to_owned(), Cow::Borrowed("x\"y"))
                .because(Reason::CodeUnknown);
            outputs.push(out);
        }
    }
    outputs.push(Output::new(0, &[], String::new()));
    outputs.push(Output::new(u16::MAX, &[("a", "b"), ("c", "")], "x".into()));
    for out in &outputs {
        let mut written = Vec::new();
        write_output(&mut written, out);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            serde_json::to_string(out).unwrap()
        );
    }
}

#[test]
fn one_pass_replay_equals_two_phases_on_golden_and_generated_traces() {
    for text in GOLDEN {
        assert!(agree(text).starts_with("ok: Match"));
    }
    for (profile, seed) in [(Profile::fastmcp(), 7), (Profile::oauth21(), 11)] {
        let text = generated(profile, seed, 2000);
        assert_eq!(agree(&text), matched(2000));
        for line in text.lines().skip(1) {
            assert!(read_written(line).is_some(), "read the written way: {line}");
        }
        // Windows line ends and no final line end read the same.
        assert_eq!(agree(&text.replace('\n', "\r\n")), matched(2000));
        assert_eq!(agree(text.trim_end()), matched(2000));
    }
}

/// `output` (a JSON object) with its members in reverse order and spaces around everything.
fn respelled(output: &Value) -> String {
    let members: Vec<String> = output
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| format!(" {} : {} ", Value::from(k.as_str()), v))
        .collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn a_respelled_output_still_matches_and_an_edited_one_reports_as_before() {
    let text = generated(Profile::fastmcp(), 7, 120);
    let lines: Vec<&str> = text.lines().collect();
    let mut respelled_all = vec![lines[0].to_owned()];
    for line in &lines[1..] {
        let v: Value = serde_json::from_str(line).unwrap();
        respelled_all.push(format!(
            r#"{{"step":{},"at":{},"event":{},"output":{}}}"#,
            v["step"],
            v["at"],
            v["event"],
            respelled(&v["output"])
        ));
    }
    let respelled_all = respelled_all.join("\n") + "\n";
    assert_eq!(agree(&respelled_all), matched(120));

    // A changed body, status, header or reason is the same mismatch, written either way.
    let victim = 40;
    let v: Value = serde_json::from_str(lines[victim]).unwrap();
    for (pointer, new) in [
        ("/output/body", Value::from("changed")),
        ("/output/status", Value::from(599)),
        ("/output/headers", Value::Array(Vec::new())),
        ("/output/reason", Value::from("code_expired")),
    ] {
        let mut edited = v.clone();
        *edited.pointer_mut(pointer).unwrap() = new;
        for line in [edited.to_string(), {
            let out = respelled(&edited["output"]);
            edited["output"] = Value::Null;
            let line = edited.to_string();
            format!("{}{out}}}", line.strip_suffix("null}").unwrap())
        }] {
            let r = agree(&with_line(&text, victim, &line));
            assert!(
                r.starts_with("ok: Mismatch { step: 40, line: 41,"),
                "{pointer}: {r}"
            );
        }
    }
}

/// Edits of one step line's text: the byte comparison fails, the raw reading gives way, or the
/// line is malformed.
fn edits(line: &str) -> Vec<String> {
    let subs: &[(&str, &str)] = &[
        (r#""output":{"status":"#, r#""output":{"status":"200","x":"#),
        (r#""output":{"status":"#, r#""output":{"x":1,"status":"#),
        (
            r#""output":{"status":"#,
            r#""output":{"status":1,"status":"#,
        ),
        (r#""output":{"status":"#, r#""output":{"status":99999,"y":"#),
        (
            r#""output":{"status":"#,
            r#""output":{"reason":null,"status":"#,
        ),
        (
            r#""output":{"status":"#,
            r#""output":{"reason":"nope","status":"#,
        ),
        (
            r#""output":{"status":"#,
            r#""output":{"reason":{"code_unknown":null},"status":"#,
        ),
        (r#""headers":["#, r#""headers":[["a"],"#),
        (r#""headers":["#, r#""headers":[["a","b","c"],"#),
        (r#""headers":["#, r#""headers":[[1,"b"],"#),
        (r#""body":""#, r#""body":"\ud800"#),
        (r#""body":""#, r#""body":"\u0041"#),
        (r#""body":""#, r#""body":"\n"#),
        (r#""body":"#, r#""body":null,"body":"#),
        (r#"{"step":"#, r#"{"step":1,"step":"#),
        (r#"{"step":"#, r#"{"step":0"#),
        (r#"{"step":"#, r#"{"step":-"#),
        (r#"{"step":"#, r#"{ "step":"#),
        (r#","at":"#, r#","at":1,"at":"#),
        (r#","at":"#, r#","at":0"#),
        (r#","event":{"#, r#","event":{"x":1,"#),
        (r#","event":{"#, r#","event":{"kind":"nope","#),
        (
            r#","event":"#,
            r#","event":{"kind":"register","body":"a"},"event":"#,
        ),
        (
            r#","event":{"#,
            r#","event":{"kind":"register","kind":"register","body":"a","#,
        ),
        (r#","output":"#, r#","x":1,"output":"#),
        (r#","output":"#, r#" , "output" : "#),
        (r#"}}"#, r#"},"at":1}"#),
        (
            r#"}}"#,
            r#"},"event":{"kind":"authorization_server_metadata"}}"#,
        ),
        (
            r#"}}"#,
            r#"},"output":{"status":200,"headers":[],"body":""}}"#,
        ),
        (r#"}}"#, r#"}} "#),
        (r#"}}"#, r#"}}x"#),
        (r#"}}"#, r#"}"#),
        (r#"}}"#, r#"},"x":1}"#),
    ];
    let mut out: Vec<String> = subs
        .iter()
        .filter(|(from, _)| line.contains(from))
        .map(|(from, to)| line.replacen(from, to, 1))
        .collect();
    out.push(String::new());
    out.push("   ".to_owned());
    out.push("[]".to_owned());
    out.push("{}".to_owned());
    out
}

#[test]
fn one_pass_replay_equals_two_phases_on_edited_lines() {
    let text = generated(Profile::fastmcp(), 3, 30);
    let lines: Vec<&str> = text.lines().collect();
    let mut edited_lines = 0;
    for i in 1..lines.len() {
        for line in edits(lines[i]) {
            edited_lines += 1;
            let edited = with_line(&text, i, &line);
            agree(&edited);
            // A malformed line after a mismatch or after an unresolvable event is still the
            // answer; and a mismatch before the edited line is answered only if it reads.
            let mismatch = lines[1].replacen(r#""status":"#, r#""status":1"#, 1);
            if i > 1 {
                agree(&with_line(&edited, 1, &mismatch));
                let mut unresolved: Value = serde_json::from_str(lines[1]).unwrap();
                unresolved["event"] = serde_json::json!(
                    {"kind": "resource", "authorization": [{"ref": 99, "field": "access_token"}]}
                );
                agree(&with_line(&edited, 1, &unresolved.to_string()));
            }
        }
    }
    assert!(edited_lines > 30 * 20, "{edited_lines}");
}

#[test]
fn unusual_files_answer_as_before() {
    let text = generated(Profile::fastmcp(), 3, 10);
    agree("");
    agree("\n");
    agree(&(text.clone() + "\n"));
    agree(&(text.clone() + "\r\n"));
    agree(&text.replacen('\n', "\n\n", 3));
    let lines: Vec<&str> = text.lines().collect();
    agree(&lines[..1].join("\n"));
    agree(&text.replace("\"version\":2", "\"version\":9"));
    // Version-2 headers whose profile the one-pass replay must read as the two phases do: a
    // changed knob (replays to a mismatch or a match), an unknown, a missing and a mistyped
    // knob, a version-1 name in a version-2 header, and the reverse.
    let header = lines[0];
    for (from, to) in [
        (
            "\"invalid_grant_status\":401",
            "\"invalid_grant_status\":400",
        ),
        (
            "\"code_prefix\":\"test_auth_code_\"",
            "\"code_prefix\":\"c_\"",
        ),
        ("\"sweep_expired\"", "\"sweep\""),
        ("\"sweep_expired\":false,", ""),
        ("\"sweep_expired\":false", "\"sweep_expired\":0"),
        ("\"version\":2", "\"version\":1"),
    ] {
        let edited = text.replacen(header, &header.replace(from, to), 1);
        assert_ne!(edited, text, "{from}");
        agree(&edited);
    }
    let v1 = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/seed1.jsonl"
    ))
    .unwrap_or_default();
    let v1_header = v1.lines().next().unwrap_or_default();
    agree(&v1.replacen(
        v1_header,
        &v1_header.replace("\"version\":1", "\"version\":2"),
        1,
    ));
    // Not UTF-8 on line 3: handed to the two phases whole, so this pins only that the answer
    // is their error, not a panic or a different one.
    let mut bytes = text.clone().into_bytes();
    let at = text.match_indices('\n').nth(2).unwrap().0 + 3;
    bytes[at] = 0xff;
    assert_eq!(shown(&replay_bytes(&bytes)), shown(&two_phase(&bytes)));
    // Read from a reader, as the command line does.
    assert_eq!(
        shown(&super::replay_jsonl(text.as_bytes())),
        shown(&two_phase(text.as_bytes()))
    );
}
