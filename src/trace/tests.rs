//! The fast paths of reading and resolving give exactly what the general paths give: on every
//! line of the golden traces, on generated traces, and on hand-made lines the fast paths must
//! hand over to the general ones.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use serde_json::value::RawValue;

use super::read::{check_step_number, parse_step_general};
use super::{Resolver, StepLine, Trace, TraceError, parse_step, resolve_event};
use crate::config::Config;
use crate::generate::Generator;
use crate::output::Output;
use crate::profile::Profile;
use crate::rng::Seed;

pub(super) const GOLDEN: [&str; 3] = [
    include_str!("../../tests/golden/seed1.jsonl"),
    include_str!("../../tests/golden/seed2.jsonl"),
    include_str!("../../tests/golden/seed3.jsonl"),
];

/// A generated trace of `steps` steps under `profile`, as JSON Lines.
pub(super) fn generated(profile: Profile, seed: u64, steps: usize) -> String {
    let config = Config {
        seed: Seed::from_u64(seed),
        ..Config::default()
    };
    Generator::new(profile, config)
        .unwrap()
        .run(steps)
        .to_jsonl()
}

/// A result as text: the value's debug form, or the error message.
fn shown<T: std::fmt::Debug>(r: &Result<T, TraceError>) -> String {
    match r {
        Ok(v) => format!("ok: {v:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// The general path on `event`'s text, as the old `resolve_event(&step.event, ..)` ran it.
fn general(event: &str, outputs: &[Output], line: usize) -> Result<crate::Event, TraceError> {
    let value: Value = serde_json::from_str(event).unwrap();
    resolve_event(&value, outputs, line)
}

/// Every step line of `text` read both ways, and every event resolved both ways against the
/// recorded outputs; the fast resolution must not need the general path.
fn check_trace_text(text: &str) {
    let trace = Trace::read(text.as_bytes()).unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        let fast = parse_step(line, i + 2, i + 1).unwrap();
        let slow = parse_step_general(line, i + 2).unwrap();
        assert_eq!(fast, slow, "line {}", i + 2);
        assert_eq!(fast.event.get(), slow.event.get(), "line {}", i + 2);
        assert_eq!(fast, trace.steps[i]);
    }
    let outputs: Vec<Output> = trace.steps.iter().map(|s| s.output.clone()).collect();
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter().enumerate() {
        let line = i + 2;
        let fast = resolver
            .resolve_fast(&step.event, &outputs[..i])
            .unwrap_or_else(|| panic!("line {line}: the fast path gave up on {}", step.event));
        let slow = general(step.event.get(), &outputs[..i], line).unwrap();
        assert_eq!(fast, slow, "line {line}");
    }
}

#[test]
fn fast_paths_equal_general_paths_on_golden_traces() {
    for text in GOLDEN {
        check_trace_text(text);
    }
}

#[test]
fn fast_paths_equal_general_paths_on_generated_traces() {
    for (profile, seed) in [(Profile::fastmcp(), 7), (Profile::oauth21(), 11)] {
        check_trace_text(&generated(profile, seed, 3000));
    }
}

/// Outputs to refer to: a registration (client id and secret), a redirect with a code and a
/// state, and a token answer.
fn outputs() -> Vec<Output> {
    let text = GOLDEN[0];
    let trace = Trace::read(text.as_bytes()).unwrap();
    let mut outs: Vec<Output> = trace.steps.iter().map(|s| s.output.clone()).collect();
    outs.push(Output::new(
        302,
        &[("location", "http://x/cb?state=a&code=c1&code=c2#code=no")],
        String::new(),
    ));
    outs
}

/// Events where the fast resolution must give way, or must agree while taking unusual shapes.
const EVENTS: &[&str] = &[
    r#"{"kind":"authorization_server_metadata"}"#,
    r#"{"kind":"authorization_server_metadata","x":1}"#,
    r#"{"kind":"protected_resource_metadata","x":{"ref":999,"field":"code"}}"#,
    r#"{"body":"{}","kind":"register"}"#,
    r#"{"kind":"register","body":"a","body":"b"}"#,
    r#"{"kind":"register","kind":"register","body":"a"}"#,
    r#"{"kind":"register","body":{"ref":1,"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"field":"client_secret","ref":1}}"#,
    r#"{"kind":"register","body":{"ref":1,"field":"client_id","x":1}}"#,
    r#"{"kind":"register","body":{"ref":1,"field":"client_id","ref":1}}"#,
    r#"{"kind":"register","body":{"concat":["a"],"ref":1,"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"ref":1,"concat":["a"],"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"ref":1.0,"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"ref":-1,"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"ref":0,"field":"client_id"}}"#,
    r#"{"kind":"register","body":{"ref":1}}"#,
    r#"{"kind":"register","body":{"ref":1,"field":{"client_id":null}}}"#,
    r#"{"kind":"register","body":{"ref":1,"field":"nope"}}"#,
    r#"{"kind":"register","body":{"ref":1,"field":"code"}}"#,
    r#"{"kind":"register","body":{"ref":99999,"field":"code"}}"#,
    r#"{"kind":"register","body":{"concat":[]}}"#,
    r#"{"kind":"register","body":{"concat":["x",{"ref":1,"field":"client_id"},"y"]}}"#,
    r#"{"kind":"register","body":{"concat":["x",1]}}"#,
    r#"{"kind":"register","body":{"concat":"x"}}"#,
    r#"{"kind":"register","body":{"basic":["a","b"]}}"#,
    r#"{"kind":"register","body":{"basic":["a","b","c"]}}"#,
    r#"{"kind":"register","body":{"basic":["a"]}}"#,
    r#"{"kind":"register","body":{"basic":[{"concat":["a"]},{"ref":1,"field":"client_secret"}]}}"#,
    r#"{"kind":"register","body":{}}"#,
    r#"{"kind":"register","body":null}"#,
    r#"{"kind":"register","body":1}"#,
    r#"{"kind":"register"}"#,
    r#"{"kind":"register","body":"a","ref":1}"#,
    r#"{"kind":{"ref":1,"field":"client_id"},"body":"a"}"#,
    r#"{"kind":"nope"}"#,
    r#"{"kind":2,"body":"a"}"#,
    r#"{"kind":{"register":null},"body":"a"}"#,
    r#"{"k\u0069nd":"register","b\u006fdy":"\u0041"}"#,
    r#" { "kind" : "register" , "body" : "a" } "#,
    r#"["register","a"]"#,
    r#"{}"#,
    r#"null"#,
    r#"{"kind":"authorize","method":"GET","params":[["client_id",{"ref":1,"field":"client_id"}]]}"#,
    r#"{"kind":"authorize","method":"PUT","params":[]}"#,
    r#"{"kind":"authorize","method":{"GET":null},"params":[]}"#,
    r#"{"kind":"authorize","method":"POST","params":[["a"]]}"#,
    r#"{"kind":"authorize","method":"POST","params":[["a","b","c"]]}"#,
    r#"{"kind":"authorize","method":"POST","params":[{"ref":1,"field":"client_id"}]}"#,
    r#"{"kind":"authorize","method":"POST","params":[[{"ref":1,"field":"client_id"},"b"]]}"#,
    r#"{"kind":"authorize","method":"POST"}"#,
    r#"{"kind":"token","form":[["code",{"ref":151,"field":"code"}],["state",{"ref":151,"field":"state"}]]}"#,
    r#"{"kind":"token","form":[],"authorization":null}"#,
    r#"{"kind":"token","form":[],"authorization":{"basic":[{"ref":1,"field":"client_id"},{"ref":1,"field":"client_secret"}]}}"#,
    r#"{"kind":"token","form":[],"authorization":"a","authorization":"b"}"#,
    r#"{"kind":"token","form":null}"#,
    r#"{"kind":"revoke","form":[["token",{"ref":5,"field":"access_token"}]]}"#,
    r#"{"kind":"revoke","form":[["token",{"ref":5,"field":"refresh_token"}]],"authorization":"x"}"#,
    r#"{"kind":"introspect","form":[["token",{"ref":5,"field":"access_token"}]],"authorization":null}"#,
    r#"{"kind":"introspect","form":[["token",{"ref":5,"field":"refresh_token"}]],"authorization":{"basic":[{"ref":1,"field":"client_id"},"wrong"]}}"#,
    r#"{"kind":"introspect"}"#,
    r#"{"kind":"resource","authorization":[]}"#,
    r#"{"kind":"resource","authorization":[{"concat":["Bearer ",{"ref":5,"field":"access_token"}]}]}"#,
    r#"{"kind":"resource","authorization":null}"#,
    r#"{"kind":"resource"}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x"}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","query":"a=1","headers":[["host","h"]],"body":"too_large"}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","query":null}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","headers":null}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","body":null}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","body":"nope"}"#,
    r#"{"kind":"unrouted","method":"GET","path":"/x","body":{"incomplete":null}}"#,
    r#"{"kind":"unrouted","method":{"ref":1,"field":"client_id"},"path":"/x"}"#,
    r#"{"kind":"unrouted","path":"/x"}"#,
];

#[test]
fn fast_resolution_equals_the_general_path_on_unusual_events() {
    let outputs = outputs();
    for (i, event) in EVENTS.iter().enumerate() {
        let raw: Box<RawValue> = serde_json::from_str(event).unwrap();
        let line = i + 2;
        let fast = Resolver::new().resolve(&raw, &outputs, line);
        let slow = general(event, &outputs, line);
        assert_eq!(shown(&fast), shown(&slow), "{event}");
    }
}

#[test]
fn the_fast_resolution_handles_the_usual_shapes_itself() {
    let outputs = outputs();
    for event in [
        r#"{"kind":"register","body":{"field":"client_secret","ref":1}}"#,
        r#"{"kind":"token","form":[["code",{"ref":151,"field":"code"}]],"authorization":null}"#,
        r#"{"kind":"unrouted","method":"GET","path":"/x","body":null}"#,
    ] {
        let raw: Box<RawValue> = serde_json::from_str(event).unwrap();
        assert!(
            Resolver::new().resolve_fast(&raw, &outputs).is_some(),
            "{event}"
        );
    }
}

/// Step lines the fast reader must hand to the general one, or read the same way.
const LINES: &[&str] = &[
    r#"{"step":1,"at":5,"event":{"kind":"register","body":"a"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{ "step" : 1 , "at" : 5 , "event" : { "kind" : "register" } , "output" : { "status" : 200 , "headers" : [ ] , "body" : "" , "reason" : null } }"#,
    r#"{"step":1,"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{},"event":[],"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"status":201,"headers":[],"body":""}}"#,
    r#"[1,5,{},{"status":200,"headers":[],"body":""}]"#,
    r#"{"step":1,"at":5,"event":{},"output":[200,[],""]}"#,
    r#"{"step":1,"at":5,"event":{}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":""},"x":1}"#,
    r#"{"step":2,"at":5,"event":{},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":"1","at":5,"event":{},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":-5,"event":{},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[["a"]],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":"","reason":"nope"}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":"","x":1}}"#,
    r#"{"step":1,"at":5,"event":{"a":1.50,"b":1e2},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":""}} x"#,
    r#"{"step":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":""}"#,
    r#"{"st\u0065p":1,"at":5,"event":{},"output":{"status":200,"headers":[],"body":"\u00e9"}}"#,
    r#"null"#,
    r#"7"#,
];

#[test]
fn fast_reading_equals_the_general_path_on_unusual_lines() {
    for (i, text) in LINES.iter().enumerate() {
        let line = i + 2;
        let fast = parse_step(text, line, 1);
        let slow = parse_step_general(text, line).and_then(|s| check_step_number(s, line, 1));
        // Both read it (events equal as values; the fast reader keeps the event's spacing), or
        // both refuse it with the same words.
        match (&fast, &slow) {
            (Ok(f), Ok(s)) => assert_eq!(f, s, "{text}"),
            _ => assert_eq!(shown(&fast), shown(&slow), "{text}"),
        }
    }
}

#[test]
fn step_lines_compare_events_as_values() {
    let a: StepLine = serde_json::from_str(
        r#"{"step":1,"at":5,"event":{"kind":"x","n":1},"output":{"status":200,"headers":[],"body":""}}"#,
    )
    .unwrap();
    let mut b = a.clone();
    b.event = serde_json::from_str(r#"{ "n" : 1, "kind" : "x" }"#).unwrap();
    assert_eq!(a, b);
    b.event = serde_json::from_str(r#"{"kind":"x","n":2}"#).unwrap();
    assert_ne!(a, b);
}

/// Every variant of `v` that changes one node: a key removed, set to null or duplicated by an
/// extra expression key, an object's keys reversed, a string replaced by a reference (good or
/// dangling) or a number, an array grown or shrunk.
fn one_node_variants(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            for key in map.keys() {
                let mut m = map.clone();
                m.shift_remove(key);
                out.push(Value::Object(m));
                let mut m = map.clone();
                m.insert(key.clone(), Value::Null);
                out.push(Value::Object(m));
            }
            let mut m = map.clone();
            m.insert(
                "x".into(),
                serde_json::json!({"ref": 1, "field": "client_id"}),
            );
            out.push(Value::Object(m));
            out.push(Value::Object(
                map.iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ));
            for (key, child) in map {
                for variant in one_node_variants(child) {
                    let mut m = map.clone();
                    m.insert(key.clone(), variant);
                    out.push(Value::Object(m));
                }
            }
        }
        Value::Array(items) => {
            let mut grown = items.clone();
            grown.push("x".into());
            out.push(Value::Array(grown));
            if !items.is_empty() {
                out.push(Value::Array(items[1..].to_vec()));
            }
            for (i, child) in items.iter().enumerate() {
                for variant in one_node_variants(child) {
                    let mut a = items.clone();
                    a[i] = variant;
                    out.push(Value::Array(a));
                }
            }
        }
        Value::String(_) => {
            out.push(serde_json::json!({"ref": 1, "field": "client_id"}));
            out.push(serde_json::json!({"ref": 151, "field": "state"}));
            out.push(serde_json::json!({"ref": 9999, "field": "code"}));
            out.push(serde_json::json!({"concat": ["a", {"ref": 1, "field": "client_secret"}]}));
            out.push(Value::from(1));
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            out.push(Value::from("s"));
        }
    }
    out
}

#[test]
fn fast_resolution_equals_the_general_path_on_mutated_golden_events() {
    let outputs = outputs();
    let mut fast_taken = 0;
    let mut total = 0;
    for text in GOLDEN {
        let trace = Trace::read(text.as_bytes()).unwrap();
        for (i, step) in trace.steps.iter().enumerate().take(60) {
            for variant in one_node_variants(&step.event_value()) {
                let raw = super::raw_event(&variant);
                let line = i + 2;
                let mut resolver = Resolver::new();
                fast_taken += usize::from(resolver.resolve_fast(&raw, &outputs).is_some());
                total += 1;
                let fast = resolver.resolve(&raw, &outputs, line);
                let slow = resolve_event(&variant, &outputs, line);
                assert_eq!(shown(&fast), shown(&slow), "{variant}");
            }
        }
    }
    // Both paths are exercised: many variants are still events the fast path reads.
    assert!(
        fast_taken > total / 10 && fast_taken < total,
        "{fast_taken} of {total}"
    );
}

#[test]
fn values_referenced_in_unusual_bodies_resolve_as_field_extract_reads_them() {
    let bodies = [
        r#"{"client_id":"a","client_secret":"b","access_token":"c","refresh_token":"d"}"#,
        r#" {"refresh_token":"d","x":[1,{"y":null}],"client_id":"a\u0041"} "#,
        r#"{"client_id":"a","client_id":"b"}"#,
        r#"{"client_id":5,"client_secret":"b"}"#,
        r#"{"client_id":null,"access_token":"c"}"#,
        r#"["a","b","c","d"]"#,
        r#"{"client_id":"a"} x"#,
        r#"{"client_id":"a""#,
        "",
        "null",
        r#""client_id""#,
    ];
    for body in bodies {
        let outputs = [Output::new(200, &[], body.to_owned())];
        for field in [
            "client_id",
            "client_secret",
            "access_token",
            "refresh_token",
        ] {
            let event = format!(r#"{{"kind":"register","body":{{"ref":1,"field":"{field}"}}}}"#);
            let raw: Box<RawValue> = serde_json::from_str(&event).unwrap();
            let fast = Resolver::new().resolve(&raw, &outputs, 2);
            let slow = general(&event, &outputs, 2);
            assert_eq!(shown(&fast), shown(&slow), "{body} {field}");
        }
    }
}

/// A line that is not UTF-8 is an error naming the line, the field holding the bad bytes and
/// the byte, never the bare I/O error "stream did not contain valid UTF-8".
#[test]
fn a_line_that_is_not_utf8_names_its_line_and_field() {
    let text = generated(Profile::fastmcp(), 1, 5);
    let third = text.match_indices('\n').nth(1).unwrap().0 + 1;
    let body = third + text[third..].find("\"body\":\"").unwrap() + "\"body\":\"".len();
    let mut bytes = text.clone().into_bytes();
    bytes[body] = 0xff;
    let err = Trace::read(bytes.as_slice()).unwrap_err().to_string();
    assert!(
        err.starts_with("line 3: step.event.body: not valid UTF-8 (byte "),
        "{err}"
    );
    // The header too, and a line that does not read as JSON at all names the whole line.
    let mut header = text.clone().into_bytes();
    header[11] = 0xc3;
    let err = Trace::read(header.as_slice()).unwrap_err().to_string();
    assert_eq!(
        err,
        "line 1: header.format: not valid UTF-8 (byte 12 of the line)"
    );
    let mut garbage = text.into_bytes();
    garbage[third] = 0xff;
    let err = Trace::read(garbage.as_slice()).unwrap_err().to_string();
    assert_eq!(err, "line 3: step: not valid UTF-8 (byte 1 of the line)");
}
