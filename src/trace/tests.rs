//! Reading and resolving trace events: the golden and generated traces read and write back byte
//! for byte and resolve against their outputs; unusual events, step lines and referenced bodies
//! give the results and errors pinned here.
#![allow(clippy::unwrap_used)]

use super::{EventExpr, Field, Resolver, Trace, TraceError, parse_step, resolve};
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

/// `text` reads, writes back byte for byte, and every event resolves against the outputs
/// recorded before it.
fn check_trace_text(text: &str) {
    let trace = Trace::read(text.as_bytes()).unwrap();
    assert_eq!(trace.to_jsonl(), text);
    let outputs: Vec<Output> = trace.steps.iter().map(|s| s.output.clone()).collect();
    let mut resolver = Resolver::new();
    for (i, step) in trace.steps.iter().enumerate() {
        resolver
            .resolve(step.event.clone(), &outputs[..i], i + 2)
            .unwrap();
    }
}

#[test]
fn golden_and_generated_traces_write_back_byte_for_byte_and_resolve() {
    for text in GOLDEN {
        check_trace_text(text);
    }
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

/// What each of [`EVENTS`] reads and resolves to against [`outputs`], one line each.
fn resolved_events() -> Vec<String> {
    let outputs = outputs();
    EVENTS
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let line = i + 2;
            let r = serde_json::from_str::<EventExpr>(text)
                .map_err(|e| super::malformed(line, "event", e.to_string()))
                .and_then(|event| resolve(&event, &outputs, line));
            format!("{text} => {}", shown(&r))
        })
        .collect()
}

#[test]
fn unusual_events_read_and_resolve_as_pinned() {
    let got = resolved_events();
    let want: Vec<&str> = include_str!("tests_events.txt").lines().collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
    }
}

/// Step lines the fast reader must hand to the general one, or read the same way.
const LINES: &[&str] = &[
    r#"{"step":1,"at":5,"event":{"kind":"register","body":"a"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{ "step" : 1 , "at" : 5 , "event" : { "kind" : "register" } , "output" : { "status" : 200 , "headers" : [ ] , "body" : "" , "reason" : null } }"#,
    r#"{"step":1,"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"event":[],"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"status":201,"headers":[],"body":""}}"#,
    r#"[1,5,{},{"status":200,"headers":[],"body":""}]"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":[200,[],""]}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""},"x":1}"#,
    r#"{"step":2,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":"1","at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":-5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[["a"]],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":"","reason":"nope"}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":"","x":1}}"#,
    r#"{"step":1,"at":5,"event":{"a":1.50,"b":1e2},"output":{"status":200,"headers":[],"body":""}}"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}} x"#,
    r#"{"step":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":""}"#,
    r#"{"st\u0065p":1,"at":5,"event":{"kind":"authorization_server_metadata"},"output":{"status":200,"headers":[],"body":"\u00e9"}}"#,
    r#"null"#,
    r#"7"#,
];

#[test]
fn unusual_step_lines_read_or_name_their_field_as_pinned() {
    let got: Vec<String> = LINES
        .iter()
        .enumerate()
        .map(|(i, text)| format!("{text} => {}", shown(&parse_step(text, i + 2, 1))))
        .collect();
    let want: Vec<&str> = include_str!("tests_lines.txt").lines().collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
    }
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
    let mut got = Vec::new();
    for body in bodies {
        let outputs = [Output::new(200, &[], body.to_owned())];
        for field in [
            Field::ClientId,
            Field::ClientSecret,
            Field::AccessToken,
            Field::RefreshToken,
        ] {
            let event = format!(
                r#"{{"kind":"register","body":{{"ref":1,"field":"{}"}}}}"#,
                field.name()
            );
            let event: EventExpr = serde_json::from_str(&event).unwrap();
            let resolved = resolve(&event, &outputs, 2).ok().map(|e| {
                let crate::Event::Register(r) = e else {
                    panic!("{e:?}")
                };
                r.body
            });
            assert_eq!(
                resolved,
                field.extract(&outputs[0]),
                "{body} {}",
                field.name()
            );
            got.push(resolved);
        }
    }
    // Last value wins; only strings count; anything but a JSON object carries nothing.
    assert_eq!(
        got[0..4],
        [Some("a"), Some("b"), Some("c"), Some("d")].map(|s| s.map(str::to_owned))
    );
    assert_eq!(got[4], Some("aA".to_owned()));
    assert_eq!(got[8], Some("b".to_owned()));
    assert_eq!(got[12], None);
    assert_eq!(got[13], Some("b".to_owned()));
    assert!(got[20..].iter().all(Option::is_none), "{got:?}");
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
