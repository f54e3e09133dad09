//! How much of a campaign ran, and why flows stopped early: the coverage every report
//! (`check`, `diff`, `audit`) states beside its verdict. Nothing tested is never a pass.
//!
//! A *generated* step is one the generator wrote into a flow; an *executed* step is one that was
//! sent and answered (by the model for `check`, by the target for `diff` and `audit`). A step is
//! not executed when its flow stopped before it (a step refers to a value an earlier step did not
//! produce — e.g. a code the server never issued — or the flow diverged from the model), or when
//! it was not sent (the target has no endpoint for it).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::output::Output;
#[cfg(feature = "diff")]
use crate::trace::{Field, Unresolved};

/// Whether `output` refused the request: a status of 400 or more, or a redirect carrying an
/// `error` parameter (an authorization error sent back to the client).
pub fn refused(output: &Output) -> bool {
    output.status >= 400 || redirect_error(output).is_some()
}

/// The `error` parameter of `output`'s redirect (query or fragment), if any.
fn redirect_error(output: &Output) -> Option<String> {
    let loc = output.header("location")?;
    let (_, rest) = loc.split_once(['?', '#'])?;
    // Without a `%`, a name is its own text (`+` decodes to a space): no `error` in the text,
    // no parameter named `error`.
    if !rest.contains("error") && !rest.contains('%') {
        return None;
    }
    rest.split('#')
        .find_map(|part| crate::compat::pyurl::QueryPairs::first_in(part, "error"))
}

/// How an answer refused (or did not give) what a later step needed, in a few words:
/// `answered 400 invalid_client_metadata`, `redirected with error=access_denied`,
/// `was not sent`, `answered 200`.
pub fn describe_answer(output: &Output) -> String {
    if output.status == 0 {
        return "was not sent".to_owned();
    }
    if let Some(e) = redirect_error(output) {
        return format!("redirected with error={e}");
    }
    let error = serde_json::from_str::<Value>(&output.body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(str::to_owned));
    match error {
        Some(e) => format!("answered {} {e}", output.status),
        None => format!("answered {}", output.status),
    }
}

/// Why a step cannot be sent: `missing`, the first value it refers to that the referred
/// step's answer (`outputs`, index 0 = step 1) does not carry, and how that step's endpoint
/// (`kinds`, the event kind of each step) answered, e.g. `a code that was never issued
/// (authorize answered 400 invalid_request)`.
#[cfg(feature = "diff")]
pub(crate) fn unresolved_reason(
    missing: &Unresolved,
    outputs: &[Output],
    kinds: &[&str],
) -> String {
    let (step, field) = (
        usize::try_from(missing.step).unwrap_or(usize::MAX),
        missing.field,
    );
    let what = match field {
        Field::ClientId => "a client_id",
        Field::ClientSecret => "a client_secret",
        Field::Code => "a code",
        Field::State => "a state",
        Field::AccessToken => "an access_token",
        Field::RefreshToken => "a refresh_token",
    };
    match step.checked_sub(1).and_then(|i| outputs.get(i)) {
        Some(o) => {
            let kind = kinds.get(step - 1).copied().unwrap_or("the step");
            format!(
                "step refers to {what} that was never issued ({kind} {})",
                describe_answer(o)
            )
        }
        None => format!("step refers to {what} of a step that never ran"),
    }
}

/// What one flow ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowCoverage {
    /// Steps the flow was generated with.
    pub generated: u64,
    /// Steps sent and answered.
    pub executed: u64,
    /// Why each step that was not sent was not sent (the flow went on).
    pub unsent: Vec<String>,
    /// Why the flow stopped before its last step, if it did.
    pub stopped: Option<String>,
    /// How each executed step that was refused was refused (`token answered 400 invalid_grant`),
    /// for the runs that go on after a refusal (`audit`).
    pub refused: Vec<String>,
}

/// What a campaign ran: steps generated and executed, flows stopped early by reason, steps not
/// sent by reason. Summed flow by flow; the sums do not depend on the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Flows run.
    pub flows: u64,
    /// Steps generated.
    pub steps_generated: u64,
    /// Steps executed (sent and answered).
    pub steps_executed: u64,
    /// Flows stopped early, by reason.
    pub stopped: BTreeMap<String, u64>,
    /// Steps not sent (their flow went on), by reason.
    pub unsent: BTreeMap<String, u64>,
    /// Executed steps the server refused (their flow went on), by endpoint and answer.
    pub refused: BTreeMap<String, u64>,
}

/// One reason and how often, as reports list them.
#[derive(Serialize, Deserialize)]
struct Counted {
    reason: String,
    count: u64,
}

/// `map`'s entries by count (most first), then reason.
fn by_count(map: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut v: Vec<(&str, u64)> = map.iter().map(|(k, &n)| (k.as_str(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v
}

/// `n word`, with an `s` unless `n` is 1.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Coverage {
    /// Add one flow.
    pub fn add(&mut self, flow: &FlowCoverage) {
        self.flows += 1;
        self.steps_generated += flow.generated;
        self.steps_executed += flow.executed;
        for why in &flow.unsent {
            *self.unsent.entry(why.clone()).or_default() += 1;
        }
        for how in &flow.refused {
            *self.refused.entry(how.clone()).or_default() += 1;
        }
        if let Some(why) = &flow.stopped {
            *self.stopped.entry(why.clone()).or_default() += 1;
        }
    }

    /// Add another campaign's (disjoint) flows.
    pub fn absorb(&mut self, other: &Self) {
        self.flows += other.flows;
        self.steps_generated += other.steps_generated;
        self.steps_executed += other.steps_executed;
        for (why, n) in &other.stopped {
            *self.stopped.entry(why.clone()).or_default() += n;
        }
        for (why, n) in &other.unsent {
            *self.unsent.entry(why.clone()).or_default() += n;
        }
        for (how, n) in &other.refused {
            *self.refused.entry(how.clone()).or_default() += n;
        }
    }

    /// Flows stopped early.
    pub fn flows_stopped(&self) -> u64 {
        self.stopped.values().sum()
    }

    /// The executed share of the generated steps in tenths of a percent, rounded down (so 100 %
    /// means every step ran); 0 when nothing was generated.
    pub fn executed_permille(&self) -> u64 {
        (self.steps_executed * 1000)
            .checked_div(self.steps_generated)
            .unwrap_or(0)
    }

    /// The executed share as text: `93.3%`.
    pub fn percent(&self) -> String {
        let p = self.executed_permille();
        format!("{}.{}%", p / 10, p % 10)
    }

    /// Flows stopped early, by count (most first) then reason.
    pub fn stop_reasons(&self) -> Vec<(&str, u64)> {
        by_count(&self.stopped)
    }

    /// Steps not sent, by count (most first) then reason.
    pub fn unsent_reasons(&self) -> Vec<(&str, u64)> {
        by_count(&self.unsent)
    }

    /// `only N of M generated steps ran` when fewer than half of the generated steps ran: too
    /// little for a verdict.
    pub fn too_little(&self) -> Option<String> {
        (self.steps_executed * 2 < self.steps_generated).then(|| {
            format!(
                "only {} of {} generated steps ran ({})",
                self.steps_executed,
                self.steps_generated,
                self.percent()
            )
        })
    }

    /// The coverage as report lines: the counts, then each stop reason and each reason steps
    /// were not sent, by count then text.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "coverage: {} of {} generated steps executed ({}); {} of {} stopped early",
            self.steps_executed,
            self.steps_generated,
            self.percent(),
            self.flows_stopped(),
            plural(self.flows, "flow"),
        )];
        for (why, n) in self.stop_reasons() {
            out.push(format!("  stopped: {why}: {}", plural(n, "flow")));
        }
        for (why, n) in self.unsent_reasons() {
            out.push(format!("  not sent: {why}: {}", plural(n, "step")));
        }
        for (how, n) in by_count(&self.refused) {
            out.push(format!("  refused: {how}: {}", plural(n, "step")));
        }
        out
    }
}

impl Serialize for Coverage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out {
            flows: u64,
            steps_generated: u64,
            steps_executed: u64,
            executed_percent: f64,
            flows_stopped: u64,
            stopped: Vec<Counted>,
            unsent: Vec<Counted>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            refused: Vec<Counted>,
        }
        let list = |v: Vec<(&str, u64)>| {
            v.into_iter()
                .map(|(reason, count)| Counted {
                    reason: reason.to_owned(),
                    count,
                })
                .collect()
        };
        Out {
            flows: self.flows,
            steps_generated: self.steps_generated,
            steps_executed: self.steps_executed,
            executed_percent: self.executed_permille() as f64 / 10.0,
            flows_stopped: self.flows_stopped(),
            stopped: list(self.stop_reasons()),
            unsent: list(self.unsent_reasons()),
            refused: list(by_count(&self.refused)),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Coverage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct In {
            flows: u64,
            steps_generated: u64,
            steps_executed: u64,
            stopped: Vec<Counted>,
            unsent: Vec<Counted>,
            #[serde(default)]
            refused: Vec<Counted>,
        }
        let i = In::deserialize(d)?;
        let map = |v: Vec<Counted>| {
            let mut m: BTreeMap<String, u64> = BTreeMap::new();
            for c in v {
                *m.entry(c.reason).or_default() += c.count;
            }
            m
        };
        Ok(Self {
            flows: i.flows,
            steps_generated: i.steps_generated,
            steps_executed: i.steps_executed,
            stopped: map(i.stopped),
            unsent: map(i.unsent),
            refused: map(i.refused),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_sorted_by_count_then_text_and_too_little_is_under_half() {
        let mut c = Coverage::default();
        for (stopped, executed) in [(Some("b"), 1), (Some("a"), 1), (Some("b"), 1), (None, 4)] {
            c.add(&FlowCoverage {
                generated: 4,
                executed,
                unsent: vec![],
                stopped: stopped.map(str::to_owned),
                refused: vec![],
            });
        }
        assert_eq!(c.stop_reasons(), vec![("b", 2), ("a", 1)]);
        assert_eq!(c.percent(), "43.7%");
        assert_eq!(
            c.too_little().as_deref(),
            Some("only 7 of 16 generated steps ran (43.7%)")
        );
        let back: Coverage = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn an_error_redirect_is_a_refusal() {
        let loc = |l: &'static str| Output::new(302, &[("location", l)], String::new());
        assert!(refused(&loc("http://x/cb?error=access_denied&state=s")));
        assert!(!refused(&loc("http://x/cb?code=abc&state=s")));
        // A name spelled with percent-escapes, or in the fragment, is still `error`.
        assert!(refused(&loc("http://x/cb?%65rror=access_denied")));
        assert!(refused(&loc("http://x/cb#state=s&error=access_denied")));
        assert!(!refused(&loc("http://x/cb?state=error&code=a%20b")));
        assert!(refused(&Output::new(400, &[], String::new())));
        assert!(!refused(&Output::new(201, &[], String::new())));
        assert_eq!(
            describe_answer(&Output::new(
                400,
                &[],
                r#"{"error":"invalid_client_metadata"}"#.into()
            )),
            "answered 400 invalid_client_metadata"
        );
    }
}
