//! The conformance report: per invariant its status (PASS / FAIL / NOT TESTED with why), in
//! Markdown, JSON and JUnit XML.

use serde::Serialize;

use super::{SecretLabels, Surface};
use crate::coverage::Coverage;
use crate::invariant::{CATALOG, InvariantId, Level, Tally, Violation};
use crate::trace::Trace;

/// The outcome of one invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// Evaluated and never broken.
    #[serde(rename = "PASS")]
    Pass,
    /// Broken at least once.
    #[serde(rename = "FAIL")]
    Fail,
    /// Never evaluated: no check ran (the entry's `why` says why: an endpoint missing from the
    /// metadata, a resource that never answered 2xx or 401, or no flow reaching a step that
    /// checks it). Nothing tested is never a pass.
    #[serde(rename = "NOT TESTED")]
    NotTested,
}

impl Status {
    /// The verdict as the report prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::NotTested => "NOT TESTED",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Invariant id.
    pub invariant: InvariantId,
    /// RFC 2119 level.
    pub level: Level,
    /// Citation.
    pub citation: &'static str,
    /// One sentence.
    pub summary: &'static str,
    /// The verdict.
    pub status: Status,
    /// For NOT TESTED: why no check ran.
    pub why: Option<String>,
    /// Checks run and violations.
    pub tally: Tally,
    /// The first violation, if any.
    pub detail: Option<String>,
    /// The minimal trace of the first violation, as JSON Lines, every secret the provider issued
    /// replaced by a label ([`SecretLabels`]): events refer to earlier answers, so it still
    /// replays against a live server (`replay --target`).
    pub trace: Option<String>,
}

/// A conformance report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The provider audited.
    pub target: String,
    /// Flows run.
    pub flows: u64,
    /// Requests sent.
    pub requests: u64,
    /// Steps generated and executed, flows stopped early and why, steps not sent and why
    /// ([`Report::with_coverage`]).
    pub coverage: Coverage,
    /// The provider's endpoints and resource, as far as known ([`Report::with_surface`]).
    pub surface: Surface,
    /// One entry per catalogue invariant (the model-internal one excluded).
    pub entries: Vec<Entry>,
}

impl Report {
    /// A report from per-invariant tallies and the first violation (with its minimal trace) of each;
    /// the secrets the traces' answers carry are replaced by labels in details and traces alike.
    pub fn new(
        target: String,
        flows: u64,
        requests: u64,
        tallies: &std::collections::BTreeMap<InvariantId, Tally>,
        failures: &[(Violation, Trace)],
    ) -> Self {
        Self::with_labels(
            target,
            flows,
            requests,
            tallies,
            failures,
            SecretLabels::new(),
        )
    }

    /// [`Report::new`] with secrets already learnt (e.g. from the runs in which the violations were
    /// first seen, whose answers a violation's detail may quote); the failures' traces are learnt too.
    pub fn with_labels(
        target: String,
        flows: u64,
        requests: u64,
        tallies: &std::collections::BTreeMap<InvariantId, Tally>,
        failures: &[(Violation, Trace)],
        mut labels: SecretLabels,
    ) -> Self {
        for (_, t) in failures {
            labels.learn(t);
        }
        let entries = CATALOG
            .iter()
            .filter(|i| i.id != InvariantId::StorePairsConsistent)
            .map(|inv| {
                let tally = tallies.get(&inv.id).copied().unwrap_or_default();
                let failure = failures.iter().find(|(v, _)| v.invariant == inv.id);
                let status = match (tally.checks, tally.violations) {
                    (0, _) => Status::NotTested,
                    (_, 0) => Status::Pass,
                    _ => Status::Fail,
                };
                let why =
                    (status == Status::NotTested).then(|| Surface::default().why_untested(inv.id));
                Entry {
                    invariant: inv.id,
                    level: inv.level,
                    citation: inv.citation,
                    summary: inv.summary,
                    status,
                    why,
                    tally,
                    detail: failure.map(|(v, _)| labels.redact(&v.detail)),
                    trace: failure.map(|(_, t)| labels.redact(&t.to_jsonl())),
                }
            })
            .collect();
        Self {
            target,
            flows,
            requests,
            coverage: Coverage::default(),
            surface: Surface::default(),
            entries,
        }
    }

    /// The report with what the flows ran: steps generated and executed, why flows stopped.
    pub fn with_coverage(mut self, coverage: Coverage) -> Self {
        self.coverage = coverage;
        self
    }

    /// The coverage as Markdown: the counts, each stop reason, and what positive and negative
    /// checks are.
    fn coverage_markdown(&self) -> String {
        let mut lines = self.coverage.lines().into_iter();
        let mut s = format!("{}.\n\n", capitalised(&lines.next().unwrap_or_default()));
        let mut any = false;
        for l in lines {
            s.push_str(&format!("- {}\n", l.trim_start()));
            any = true;
        }
        if any {
            s.push('\n');
        }
        s.push_str(
            "Checks are *positive* when made on an answer that did not refuse the request, \
             *negative* (a probe refused) when made on a refusal: a status of 400 or more, or a \
             redirect carrying `error`.\n\n",
        );
        s
    }

    /// The report with the provider's surface known: each NOT TESTED entry says why from it
    /// (the endpoint missing from the metadata, the resource that never answered 2xx or 401).
    ///
    /// An invariant that needs an endpoint the metadata does not name is NOT TESTED even if the
    /// checker counted evaluations of it: without revocation nothing is ever revoked, so a
    /// `revoked-stays-dead` evaluated at every refresh could never have failed.
    pub fn with_surface(mut self, surface: Surface) -> Self {
        for e in &mut self.entries {
            let missing = surface.missing_for(e.invariant);
            if let Some(why) = missing.filter(|_| e.tally.violations == 0) {
                e.status = Status::NotTested;
                e.why = Some(why);
            } else if e.status == Status::NotTested {
                e.why = Some(surface.why_untested(e.invariant));
            }
        }
        self.surface = surface;
        self
    }

    /// The surface as Markdown lines (empty when not known).
    fn surface_markdown(&self) -> String {
        let sf = &self.surface;
        if sf.endpoints.is_empty() {
            return String::new();
        }
        let mut s = format!(
            "Endpoints: {}.\n\n| endpoint | URL |\n|---|---|\n",
            sf.metadata
        );
        for e in &sf.endpoints {
            let url = match &e.url {
                Some(u) => format!("`{u}`"),
                None => e.kind.when_missing().to_owned(),
            };
            s.push_str(&format!("| `{}` | {url} |\n", e.kind.field()));
        }
        if let Some(r) = &sf.resource {
            let unusable: Vec<String> = r
                .unusable
                .iter()
                .map(|(status, n)| format!("{status} ×{n}"))
                .collect();
            s.push_str(&format!(
                "| resource | `{}`: {} accepted (2xx), {} rejected (401), {} unusable{} |\n",
                r.url,
                r.accepted,
                r.rejected,
                r.unusable.values().sum::<u64>(),
                if unusable.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", unusable.join(", "))
                }
            ));
        }
        s.push('\n');
        s
    }

    /// How many invariants have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.entries.iter().filter(|e| e.status == status).count()
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "# OAuth conformance audit of {}\n\n{} flows, {} requests. {} PASS, {} FAIL, {} NOT TESTED.\n\n{}{}| invariant | level | status | checks | violations | citation | why not tested | positive | negative |\n|---|---|---|---:|---:|---|---|---:|---:|\n",
            self.target,
            self.flows,
            self.requests,
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::NotTested),
            self.coverage_markdown(),
            self.surface_markdown()
        );
        for e in &self.entries {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                e.invariant,
                e.level.as_str(),
                e.status.as_str(),
                e.tally.checks,
                e.tally.violations,
                e.citation,
                e.why.as_deref().unwrap_or(""),
                e.tally.positive,
                e.tally.negative
            ));
        }
        for e in self.entries.iter().filter(|e| e.status == Status::Fail) {
            s.push_str(&format!(
                "\n## FAIL `{}` ({})\n\n{}\n\nFirst violation: {}\n\n",
                e.invariant,
                e.level.as_str(),
                e.summary,
                e.detail.as_deref().unwrap_or("")
            ));
            if let Some(t) = &e.trace {
                s.push_str(&format!(
                    "Minimal trace (`oauth-oracle replay --target {} FILE`):\n\n```jsonl\n{t}```\n",
                    self.target
                ));
            }
        }
        s
    }

    /// The report as JUnit XML: one test case per invariant.
    pub fn junit(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let mut s = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"oauth-oracle audit {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
            esc(&self.target),
            self.entries.len(),
            self.count(Status::Fail),
            self.count(Status::NotTested)
        );
        s.push_str("  <properties>\n");
        let c = &self.coverage;
        for (name, value) in [
            ("steps_generated", c.steps_generated.to_string()),
            ("steps_executed", c.steps_executed.to_string()),
            ("executed_percent", c.percent()),
            ("flows_stopped", c.flows_stopped().to_string()),
        ] {
            s.push_str(&format!(
                "    <property name=\"{name}\" value=\"{value}\"/>\n"
            ));
        }
        for (why, n) in c.stop_reasons() {
            s.push_str(&format!(
                "    <property name=\"stopped\" value=\"{}\"/>\n",
                esc(&format!("{why}: {n} flows"))
            ));
        }
        for (why, n) in c.unsent_reasons() {
            s.push_str(&format!(
                "    <property name=\"not_sent\" value=\"{}\"/>\n",
                esc(&format!("{why}: {n} steps"))
            ));
        }
        if !self.surface.endpoints.is_empty() {
            s.push_str(&format!(
                "    <property name=\"metadata\" value=\"{}\"/>\n",
                esc(&self.surface.metadata)
            ));
            for e in &self.surface.endpoints {
                s.push_str(&format!(
                    "    <property name=\"{}\" value=\"{}\"/>\n",
                    e.kind.field(),
                    esc(e.url.as_deref().unwrap_or("missing"))
                ));
            }
        }
        s.push_str("  </properties>\n");
        for e in &self.entries {
            s.push_str(&format!(
                "  <testcase classname=\"{}\" name=\"{}\">",
                e.level.as_str(),
                e.invariant
            ));
            match e.status {
                Status::Pass => {}
                Status::NotTested => s.push_str(&format!(
                    "<skipped message=\"not tested: {}\"/>",
                    esc(e.why.as_deref().unwrap_or(""))
                )),
                Status::Fail => s.push_str(&format!(
                    "<failure message=\"{}\">{}\n{}</failure>",
                    esc(e.detail.as_deref().unwrap_or("")),
                    esc(&format!("{} ({})", e.summary, e.citation)),
                    esc(e.trace.as_deref().unwrap_or(""))
                )),
            }
            s.push_str(&format!(
                "<system-out>{} checks: {} positive, {} negative; {} violations</system-out>",
                e.tally.checks, e.tally.positive, e.tally.negative, e.tally.violations
            ));
            s.push_str("</testcase>\n");
        }
        s.push_str("</testsuite>\n");
        s
    }
}

/// `text` with its first letter upper-case.
fn capitalised(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
