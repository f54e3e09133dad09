//! `oauth-oracle fingerprint`: learn a [`Profile`] from a live server.
//!
//! Short probe flows (`probes`), each aimed at one knob, run once against the live target;
//! each is then run through the model under every candidate value of its knob at the same
//! instants (`infer`). The values under which the model answers as the server did are the
//! values the probe allows: one value is *decided*, none (or probes that contradict each other)
//! is *inconsistent*, and a probe that cannot be run (no endpoint, no short lifetime given) or
//! that does not tell the values apart leaves the knob *not observable*, kept from the base
//! profile. Prefixes and value formats are read from the values the server issued
//! (`formats`). What the server did that no knob describes is listed with the probe's trace.
//!
//! Everything here is a function of the server's answers: probes run in a fixed order, knobs
//! are reported in [`KNOBS`] order, and no output depends on a map's iteration order.
//!
//! The module is public for the command line only ([`fingerprint`] and the [`Fingerprint`] it
//! returns).

mod formats;
mod infer;
mod probes;
mod report;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::output::Output;
use crate::profile::{KNOBS, Profile};
use crate::target::{Target, TargetError};
use crate::trace::{Header, StepLine, Trace};

use infer::{Finding, TargetRun};
use probes::Probe;

/// How sure the fingerprint is of a knob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Every probe of the knob allows exactly this value.
    Decided,
    /// The probes contradict each other, or the server did something no value of the knob
    /// describes (listed under the unexpressed behaviours).
    Inconsistent,
    /// No probe could tell; the base profile's value is kept.
    NotObservable,
}

impl Confidence {
    /// The word the report prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Decided => "decided",
            Self::Inconsistent => "inconsistent",
            Self::NotObservable => "not observable",
        }
    }
}

/// One knob as learned.
#[derive(Debug, Clone, Serialize)]
pub struct KnobFinding {
    /// The knob's key.
    pub key: &'static str,
    /// The value written to the profile (as in a profile file).
    pub value: Value,
    /// How sure.
    pub confidence: Confidence,
    /// The evidence trace's file name in the evidence folder, if any.
    pub evidence: Option<String>,
    /// The probe that decided it, or why it could not.
    pub note: String,
}

/// A behaviour seen in a probe that no knob value reproduces.
#[derive(Debug, Clone, Serialize)]
pub struct Unexpressed {
    /// The probe.
    pub probe: String,
    /// What the probe did.
    pub what: String,
    /// The 1-based step where the server and the model (under every candidate) differ.
    pub step: usize,
    /// How the server's answer reads.
    pub server: String,
    /// How the model's answer reads (the first candidate).
    pub model: String,
    /// The trace (the server's real answers) in the evidence folder.
    pub evidence: String,
}

/// What `fingerprint` learned.
#[derive(Debug, Clone, Serialize)]
pub struct Fingerprint {
    /// The target's base URL.
    pub target: String,
    /// The base profile's name.
    pub base: String,
    /// Every knob, in [`KNOBS`] order (`name` excluded).
    pub knobs: Vec<KnobFinding>,
    /// Behaviours no knob describes.
    pub unexpressed: Vec<Unexpressed>,
    /// Lifetimes the server stated (`expires_in`): configuration, not profile knobs.
    pub lifetimes: Vec<String>,
    /// Requests sent.
    pub requests: usize,
    /// The learned profile.
    #[serde(skip)]
    pub profile: Profile,
    /// Evidence traces by file name, in report order.
    #[serde(skip)]
    pub evidence: Vec<(String, Trace)>,
}

/// Options of a fingerprint run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The profile whose values the knobs that cannot be observed keep.
    pub base: Profile,
    /// The learned profile's name.
    pub name: String,
    /// The model configuration mirroring the server (base URL, scopes, lifetimes).
    pub config: Config,
    /// The longest access-token lifetime (s) the expiry probes wait for; `None`: never run them.
    pub max_expiry_wait: Option<u64>,
}

/// The margin added to the access lifetime before an expiry probe uses the token, in ms: clear
/// of whole-second rounding and of the network's delay.
const EXPIRY_MARGIN_MS: u64 = 1500;

/// How many times the knobs are judged, each time against the profile the previous pass
/// learned (a probe of one knob depends on others: a code replay says nothing when codes are
/// reusable); passes stop early when nothing changes.
const PASSES: usize = 6;

/// Why the expiry probes are not run, if they are not; else how long they wait (ms).
fn expiry_wait(opts: &Options, stated: Option<u64>) -> Result<u64, String> {
    let ttl = opts.config.lifetimes.access;
    if let Some(s) = stated
        && s != ttl
    {
        return Err(format!(
            "the server states expires_in {s} s, not the --access-ttl {ttl} s: pass its lifetime"
        ));
    }
    match opts.max_expiry_wait {
        Some(max) if ttl <= max => Ok(ttl.saturating_mul(1000).saturating_add(EXPIRY_MARGIN_MS)),
        _ => Err(format!(
            "the access-token lifetime {ttl} s (--access-ttl) is too long to wait for: start the server with a short one and pass it"
        )),
    }
}

/// Probe `target` and learn its profile. `Err` only when the target cannot be reached.
pub fn fingerprint(target: &mut dyn Target, opts: &Options) -> Result<Fingerprint, TargetError> {
    let mut probes = probes::all(0);
    let mut runs: Vec<Result<TargetRun, String>> = Vec::with_capacity(probes.len());
    let mut requests = 0;
    for p in probes.iter().filter(|p| !p.waits_for_expiry) {
        let run = infer::run_target(p, target)?;
        requests += run.outputs.len();
        runs.push(Ok(run));
    }
    let stated = first_output(&probes, &runs, "token", formats::expires_in);
    match expiry_wait(opts, stated) {
        Ok(wait) => {
            probes = probes::all(wait);
            for p in probes.iter().filter(|p| p.waits_for_expiry) {
                let run = infer::run_target(p, target)?;
                requests += run.outputs.len();
                runs.push(Ok(run));
            }
        }
        Err(why) => runs.extend(
            probes
                .iter()
                .filter(|p| p.waits_for_expiry)
                .map(|_| Err(why.clone())),
        ),
    }
    let mut learned = Profile {
        name: opts.name.clone().into(),
        ..opts.base.clone()
    };
    let mut pass = Pass::default();
    for _ in 0..PASSES {
        let start = learned.clone();
        pass = Pass::default();
        let mut next = start.clone();
        for knob in KNOBS.iter().filter(|k| k.key != "name") {
            let mine: Vec<usize> = (0..probes.len())
                .filter(|&i| probes[i].knob == knob.key)
                .collect();
            let finding = if mine.is_empty() {
                KnobFinding {
                    key: knob.key,
                    value: Value::Null,
                    confidence: Confidence::NotObservable,
                    evidence: None,
                    note: unprobed(knob.key).to_owned(),
                }
            } else {
                decide(
                    knob.key, &mine, &probes, &runs, &start, &mut next, opts, &mut pass,
                )
            };
            pass.knobs.push(finding);
        }
        formats::learn(&probes, &runs, &mut next, &mut pass);
        learned = next;
        if learned == start {
            break;
        }
    }
    let Pass {
        mut knobs,
        unexpressed,
        wanted,
    } = pass;
    let mut lifetimes = Vec::new();
    if let Some(e) = stated {
        lifetimes.push(format!(
            "access token expires_in {e} s (--access-ttl {} s)",
            opts.config.lifetimes.access
        ));
    }
    for k in &mut knobs {
        k.value = infer::knob_value(&learned, k.key);
    }
    let evidence = wanted
        .iter()
        .filter_map(|(file, i, server_answers)| {
            let run = runs[*i].as_ref().ok()?;
            Some((
                file.clone(),
                evidence_trace(&probes[*i], run, &learned, &opts.config, *server_answers),
            ))
        })
        .collect();
    Ok(Fingerprint {
        target: target.name(),
        base: opts.base.name.to_string(),
        knobs,
        unexpressed,
        lifetimes,
        requests,
        profile: learned,
        evidence,
    })
}

/// Why a knob without a probe has none (the prefixes are read from the values issued).
fn unprobed(key: &str) -> &'static str {
    match key {
        "sweep_expired" => {
            "no probe: whether expired records are swept leaves no trace in any answer"
        }
        "default_refresh_lifetime" => {
            "no probe: a configured lifetime no answer states (give diff --refresh-ttl instead)"
        }
        "refresh_expiry_per_grant" | "refresh_expiry_margin" => {
            "no probe: it shows only as a refresh token's lifetime runs out"
        }
        _ => "",
    }
}

/// What one pass over the knobs found.
#[derive(Debug, Default)]
struct Pass {
    knobs: Vec<KnobFinding>,
    unexpressed: Vec<Unexpressed>,
    /// Evidence wanted: (file name, probe index, whether it records the server's answers).
    wanted: Vec<(String, usize, bool)>,
}

impl Pass {
    /// Want the trace of probe `i` as `file` (once).
    fn want(&mut self, file: &str, i: usize, server_answers: bool) {
        if !self.wanted.iter().any(|(f, _, _)| f == file) {
            self.wanted.push((file.to_owned(), i, server_answers));
        }
    }
}

/// Decide knob `key` from the probes `mine` (indices into `probes`), judged against `start`;
/// set the value decided in `next`.
#[allow(clippy::too_many_arguments)]
fn decide(
    key: &'static str,
    mine: &[usize],
    probes: &[Probe],
    runs: &[Result<TargetRun, String>],
    start: &Profile,
    next: &mut Profile,
    opts: &Options,
    pass: &mut Pass,
) -> KnobFinding {
    let mut allowed: Option<Vec<Value>> = None;
    // The evidence: the first probe that allows one value alone, else the first that allows any.
    let mut deciding: Option<(usize, bool)> = None;
    let mut conflict: Option<String> = None;
    let mut unobservable = Vec::new();
    for &i in mine {
        let p = &probes[i];
        let run = match &runs[i] {
            Ok(run) => run,
            Err(why) => {
                unobservable.push(format!("{}: {why}", p.name));
                continue;
            }
        };
        match infer::judge(p, run, start, &opts.config) {
            Finding::Unobservable(why) => unobservable.push(format!("{}: {why}", p.name)),
            Finding::Allows { values, differs } => {
                if values.is_empty() {
                    let file = format!("unexpressed-{}.jsonl", p.name);
                    if let Some((step, server, model)) = differs {
                        pass.unexpressed.push(Unexpressed {
                            probe: p.name.to_owned(),
                            what: p.what.to_owned(),
                            step: step + 1,
                            server,
                            model,
                            evidence: file.clone(),
                        });
                    }
                    pass.want(&file, i, true);
                    conflict.get_or_insert(file);
                    continue;
                }
                let alone = values.len() == 1;
                let shown = values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ");
                let kept: Vec<Value> = match &allowed {
                    None => values,
                    Some(a) => a.iter().filter(|v| values.contains(v)).cloned().collect(),
                };
                if kept.is_empty() {
                    // Two probes of one knob want different values: no value expresses both.
                    let earlier = allowed
                        .as_ref()
                        .map(|a| {
                            a.iter()
                                .map(Value::to_string)
                                .collect::<Vec<_>>()
                                .join(" or ")
                        })
                        .unwrap_or_default();
                    let first = deciding.map_or(i, |(d, _)| d);
                    let file = format!("unexpressed-{}.jsonl", p.name);
                    pass.unexpressed.push(Unexpressed {
                        probe: p.name.to_owned(),
                        what: format!(
                            "{} (while probe {} wants {key} = {earlier})",
                            p.what, probes[first].name
                        ),
                        step: p.decisive + 1,
                        server: run.outputs.get(p.decisive).map_or_else(
                            || "the probe ended before this step".to_owned(),
                            |o| infer::read(p.view, &p.steps[p.decisive].1, o),
                        ),
                        model: format!("only {key} = {shown} reproduces it"),
                        evidence: file.clone(),
                    });
                    pass.want(&file, i, true);
                    conflict.get_or_insert(file);
                    continue;
                }
                if deciding.is_none_or(|(_, was_alone)| alone && !was_alone) {
                    deciding = Some((i, alone));
                }
                allowed = Some(kept);
            }
        }
    }
    let single = allowed
        .as_ref()
        .filter(|a| a.len() == 1)
        .map(|a| a[0].clone());
    if let Some(v) = &single
        && let Some(p) = infer::with_knob(next, key, v)
    {
        *next = p;
    }
    let deciding = deciding.map(|(i, _)| i);
    let (confidence, note, evidence) = match (&conflict, &single, deciding) {
        (Some(file), _, _) => (
            Confidence::Inconsistent,
            "no one value reproduces every probe (see the behaviours no knob describes)".to_owned(),
            Some(file.clone()),
        ),
        (None, Some(_), Some(i)) => {
            let file = format!("{key}.jsonl");
            pass.want(&file, i, false);
            (
                Confidence::Decided,
                format!("probe {}: {}", probes[i].name, probes[i].what),
                Some(file),
            )
        }
        (None, _, _) => (
            Confidence::NotObservable,
            {
                // A knob no probe sees now (another knob learned since hides it, as no rotation
                // hides the refresh grace) keeps the base's value, not one an earlier pass took.
                if single.is_none()
                    && let Some(p) =
                        infer::with_knob(next, key, &infer::knob_value(&opts.base, key))
                {
                    *next = p;
                }
                if unobservable.is_empty() {
                    "no probe tells the values apart".to_owned()
                } else {
                    unobservable.join("; ")
                }
            },
            None,
        ),
    };
    KnobFinding {
        key,
        value: infer::knob_value(next, key),
        confidence,
        evidence,
        note,
    }
}

/// The first value `f` reads from an answer to a step of `kind` in any probe run, in probe order.
fn first_output<T>(
    probes: &[Probe],
    runs: &[Result<TargetRun, String>],
    kind: &str,
    f: impl Fn(&Output) -> Option<T>,
) -> Option<T> {
    probes.iter().zip(runs).find_map(|(p, run)| {
        let run = run.as_ref().ok()?;
        p.steps
            .iter()
            .zip(&run.outputs)
            .filter(|((_, e), _)| e.kind() == kind)
            .find_map(|(_, o)| f(o))
    })
}

/// The probe's trace: header `learned` + `config`; each step at the instant it was sent, with
/// the server's answer (`server_answers`) or the model's under `learned`.
fn evidence_trace(
    probe: &Probe,
    run: &TargetRun,
    learned: &Profile,
    config: &Config,
    server_answers: bool,
) -> Trace {
    let outputs = if server_answers {
        run.outputs.clone()
    } else {
        infer::run_model(probe, learned, config, &run.at, run.at.len()).unwrap_or_default()
    };
    let steps = probe
        .steps
        .iter()
        .zip(&run.at)
        .zip(outputs)
        .enumerate()
        .map(|(i, (((_, event), at), output))| StepLine {
            step: i + 1,
            at: *at,
            event: event.clone(),
            output,
        })
        .collect();
    Trace {
        header: Header::new(learned, config),
        steps,
    }
}
