//! Inference: a probe runs once against the live target, then through the model once per
//! candidate value of its knob, at the same instants; the candidates whose answers read the same
//! as the target's (every step by its [`View::Outcome`], the decisive step by the probe's view)
//! are the values the probe allows.

use serde_json::Value;

use super::probes::{Candidates, Probe, View};
use crate::config::Config;
use crate::error_code::ErrorCode;
use crate::event::Event;
use crate::output::Output;
use crate::profile::Profile;
use crate::server::AuthServer;
use crate::target::{ResourceAnswer, Target, TargetError, resource_answer, wall_clock};
use crate::time::UnixMillis;
use crate::trace::{EventExpr, Field, resolve};

/// One probe as the live target answered it.
#[derive(Debug, Clone)]
pub(crate) struct TargetRun {
    /// When each step was sent (the target's clock: the wall clock).
    pub(crate) at: Vec<UnixMillis>,
    /// The target's answers, one per step sent.
    pub(crate) outputs: Vec<Output>,
    /// Why the probe says nothing, if it does not: a step not sent (no endpoint), a resource
    /// answer that neither accepts nor rejects. (A run may also end early, without this, when
    /// an answer lacked a value a later step refers to.)
    pub(crate) unobservable: Option<String>,
}

/// Run `probe` against `target` in real time. `Err` only when the target cannot be reached.
pub(crate) fn run_target(probe: &Probe, target: &mut dyn Target) -> Result<TargetRun, TargetError> {
    let mut run = TargetRun {
        at: Vec::new(),
        outputs: Vec::new(),
        unobservable: None,
    };
    for (i, (pause, event)) in probe.steps.iter().enumerate() {
        if *pause > 0 {
            std::thread::sleep(std::time::Duration::from_millis(*pause));
        }
        // An answer lacked a value this step refers to: the probe ends here, and the
        // candidates are judged on the steps sent (the model must end here too).
        let Ok(event) = resolve(event, &run.outputs, i + 2) else {
            return Ok(run);
        };
        if let Some(why) = target.unsendable(&event) {
            run.unobservable = Some(format!("step {} not sent: {why}", i + 1));
            return Ok(run);
        }
        let at = wall_clock();
        let out = target.send(at, &event)?;
        if let (Event::Resource(_), ResourceAnswer::Unusable(why)) = (&event, resource_answer(&out))
        {
            run.unobservable = Some(format!("step {}: {why}", i + 1));
        }
        run.at.push(at);
        run.outputs.push(out);
        if run.unobservable.is_some() {
            return Ok(run);
        }
    }
    Ok(run)
}

/// Run `probe`'s first `steps` steps through a fresh model under `profile` at the instants
/// `at` (a step past the end of `at` at the last instant plus its pause); a step whose
/// reference does not resolve on the model's side ends the run.
pub(crate) fn run_model(
    probe: &Probe,
    profile: &Profile,
    config: &Config,
    at: &[UnixMillis],
    steps: usize,
) -> Option<Vec<Output>> {
    let mut server = AuthServer::new(config.clone(), profile.clone()).ok()?;
    let mut outputs = Vec::new();
    let mut now = at.first().copied().unwrap_or(UnixMillis(0));
    for (i, (pause, event)) in probe.steps.iter().take(steps).enumerate() {
        now = at
            .get(i)
            .copied()
            .unwrap_or(UnixMillis(now.0.saturating_add(*pause)));
        let Ok(event) = resolve(event, &outputs, i + 2) else {
            break;
        };
        outputs.push(server.apply(now, &event));
    }
    Some(outputs)
}

/// How `out` (the answer to `event`) reads under `view`.
pub(crate) fn read(view: View, event: &EventExpr, out: &Output) -> String {
    let error = out.error_code().unwrap_or_else(|| "-".to_owned());
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    match view {
        View::Outcome => outcome(event, out),
        View::StatusAndError => format!("{} {error}", out.status),
        View::Error if error == "-" => format!("no error (HTTP {})", out.status),
        View::Error => error,
        View::NoStore => yes_no(
            out.header("cache-control")
                .is_some_and(|c| c.to_ascii_lowercase().contains("no-store")),
        ),
        View::Iss => yes_no(location_has(out, "iss")),
        View::GrantTypes => metadata(out)
            .get("grant_types")
            .map_or_else(|| "none".to_owned(), Value::to_string),
        View::Description => match metadata(out).get("error_description") {
            Some(Value::String(d)) => d.clone(),
            _ => out.body.clone(),
        },
        View::Challenge => yes_no(out.header("www-authenticate").is_some()),
        View::IssuerSlash => match metadata(out).get("issuer").and_then(Value::as_str) {
            Some(i) => yes_no(i.ends_with('/')),
            None => "no issuer".to_owned(),
        },
        View::NoneAuthMethod => yes_no(
            metadata(out)
                .get("token_endpoint_auth_methods_supported")
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(|v| v.as_str() == Some("none"))),
        ),
        View::DocumentsAdvertised => yes_no(
            metadata(out)
                .get("client_id_metadata_document_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
    }
}

fn metadata(out: &Output) -> Value {
    serde_json::from_str(&out.body).unwrap_or(Value::Null)
}

fn location_has(out: &Output, key: &str) -> bool {
    out.header("location").is_some_and(|l| {
        let query = l.split_once(['?', '#']).map_or("", |(_, q)| q);
        query
            .split(['&', '#'])
            .any(|kv| kv.split('=').next() == Some(key))
    })
}

/// Success or refusal of `out`, by what `event` asked for.
fn outcome(event: &EventExpr, out: &Output) -> String {
    let ok = |b: bool, yes: &str| {
        if b {
            yes.to_owned()
        } else {
            "refused".to_owned()
        }
    };
    match event.kind() {
        "register" => ok(
            (200..300).contains(&out.status) && Field::ClientId.extract(out).is_some(),
            "registered",
        ),
        "authorize" => ok(Field::Code.extract(out).is_some(), "code issued"),
        "token" => ok(Field::AccessToken.extract(out).is_some(), "tokens issued"),
        "revoke" => ok((200..300).contains(&out.status), "revoked (2xx)"),
        "resource" => match resource_answer(out) {
            ResourceAnswer::Accepted => "accepted".to_owned(),
            ResourceAnswer::Rejected => "rejected".to_owned(),
            ResourceAnswer::Unusable(why) => why,
        },
        _ => format!("HTTP {}", out.status / 100 * 100),
    }
}

/// How a candidate read the probe: `None` when it agrees with the target at every step.
fn disagreement(probe: &Probe, target: &[Output], model: &[Output]) -> Option<(usize, String)> {
    if model.len() > target.len() {
        let i = target.len();
        return Some((
            i,
            format!(
                "{} (the server's answers gave this step nothing to refer to)",
                read_step(probe, i, &model[i])
            ),
        ));
    }
    for (i, t) in target.iter().enumerate() {
        let event = &probe.steps[i].1;
        let view = if i == probe.decisive {
            probe.view
        } else {
            View::Outcome
        };
        let Some(m) = model.get(i) else {
            return Some((
                i,
                "not sent (an earlier answer of the model lacked the value this step refers to)"
                    .to_owned(),
            ));
        };
        let (tv, mv) = (read(view, event, t), read(view, event, m));
        if tv != mv
            || (view != View::Outcome
                && read(View::Outcome, event, t) != read(View::Outcome, event, m))
        {
            return Some((i, read(view, event, m)));
        }
    }
    None
}

/// How step `i`'s answer `out` reads: by the probe's view at the decisive step, else by its outcome.
fn read_step(probe: &Probe, i: usize, out: &Output) -> String {
    let view = if i == probe.decisive {
        probe.view
    } else {
        View::Outcome
    };
    read(view, &probe.steps[i].1, out)
}

/// The candidate values of `probe`'s knob, as JSON (the form a profile file holds).
fn candidates(probe: &Probe, run: &TargetRun) -> Vec<Value> {
    let decisive = run.outputs.get(probe.decisive);
    let mut values: Vec<Value> = match probe.candidates {
        Candidates::Bool => vec![Value::Bool(true), Value::Bool(false)],
        Candidates::Status => {
            let mut v = vec![400u16, 401];
            if let Some(o) = decisive
                && (100..=599).contains(&o.status)
            {
                v.push(o.status);
            }
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(Value::from).collect()
        }
        Candidates::ErrorCode => {
            let mut v = vec![
                ErrorCode::InvalidClient,
                ErrorCode::UnauthorizedClient,
                ErrorCode::InvalidRequest,
                ErrorCode::InvalidGrant,
            ];
            if let Some(c) = decisive
                .and_then(Output::error_code)
                .and_then(|c| ErrorCode::from_wire(&c))
            {
                v.push(c);
            }
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(|c| Value::from(c.as_str())).collect()
        }
        Candidates::Wire => [crate::Wire::PythonSdk, crate::Wire::WorkersOauthProvider]
            .into_iter()
            .map(|w| Value::from(w.as_str()))
            .collect(),
    };
    values.dedup();
    values
}

/// `profile` with knob `key` set to `value`, if that is a valid profile.
pub(crate) fn with_knob(profile: &Profile, key: &str, value: &Value) -> Option<Profile> {
    let mut v = serde_json::to_value(profile).ok()?;
    v.as_object_mut()?.insert(key.to_owned(), value.clone());
    serde_json::from_value(v).ok()
}

/// The value of knob `key` in `profile`, as JSON.
pub(crate) fn knob_value(profile: &Profile, key: &str) -> Value {
    serde_json::to_value(profile)
        .ok()
        .and_then(|v| v.get(key).cloned())
        .unwrap_or(Value::Null)
}

/// What one probe says about its knob.
#[derive(Debug, Clone)]
pub(crate) enum Finding {
    /// The probe could not be run to its decisive step.
    Unobservable(String),
    /// The candidate values under which the model answers as the target did (empty: none does;
    /// then the step where the closest candidate first differs, and how it read).
    Allows {
        values: Vec<Value>,
        /// For an empty `values`: the step (0-based) where the first candidate differs, with
        /// the target's and the model's readings.
        differs: Option<(usize, String, String)>,
    },
}

/// Judge `probe`'s target run against the model under `profile` with each candidate.
pub(crate) fn judge(probe: &Probe, run: &TargetRun, profile: &Profile, config: &Config) -> Finding {
    if let Some(why) = &run.unobservable {
        return Finding::Unobservable(why.clone());
    }
    let mut values = Vec::new();
    let mut first_difference = None;
    for value in candidates(probe, run) {
        let Some(p) = with_knob(profile, probe.knob, &value) else {
            continue;
        };
        let Some(model) = run_model(probe, &p, config, &run.at, probe.steps.len()) else {
            continue;
        };
        match disagreement(probe, &run.outputs, &model) {
            None => values.push(value),
            Some((step, model_reads)) => {
                if first_difference.is_none() {
                    let target_reads = run.outputs.get(step).map_or_else(
                        || {
                            "not sent (an earlier answer lacked the value this step refers to)"
                                .to_owned()
                        },
                        |o| read_step(probe, step, o),
                    );
                    first_difference = Some((step, target_reads, model_reads));
                }
            }
        }
    }
    Finding::Allows {
        differs: if values.is_empty() {
            first_difference
        } else {
            None
        },
        values,
    }
}
