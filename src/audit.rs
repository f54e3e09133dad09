//! The invariant catalogue run against a live provider: a conformance report with, per invariant,
//! its level, citation, PASS / FAIL / NOT TESTED (with why) and, per FAIL, a minimal replayable
//! trace; and the endpoints the provider's metadata named, or did not.

use serde::Serialize;

use crate::check::minimize;
use crate::coverage::{Coverage, FlowCoverage, unresolved_reason};
use crate::diff::due_after;
use crate::invariant::{CATALOG, Checker, Expectations, InvariantId, Level, Tally, Violation};
use crate::output::Output;
use crate::target::{
    Endpoint, EndpointKind, ResourceAnswer, Target, TargetError, monotonic_now, resource_answer,
    wall_clock,
};
use crate::time::UnixMillis;
use crate::trace::{Trace, resolve_step_event};

/// Run `trace`'s events against `target` in real time, checking every answer. The recorded
/// outputs of the returned trace are the target's. A step the target has no endpoint for
/// ([`Target::unsendable`]) is not sent and not checked: its recorded output is a stand-in
/// (status 0, nothing a later step can refer to).
pub fn audit_flow(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<(Vec<Violation>, Checker, Trace), TargetError> {
    let run = audit_flow_covered(trace, target, exp)?;
    Ok((run.violations, run.checker, run.observed))
}

/// One flow as [`audit_flow_covered`] ran it.
#[derive(Debug, Clone)]
pub struct AuditRun {
    /// The violations found.
    pub violations: Vec<Violation>,
    /// The checker, with its tallies.
    pub checker: Checker,
    /// The trace as run, with the target's answers.
    pub observed: Trace,
    /// Steps generated and sent, steps not sent and why, why the flow stopped early (a step
    /// referring to a value the target never issued).
    pub coverage: FlowCoverage,
}

/// [`audit_flow`], with what the flow ran.
pub fn audit_flow_covered(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
) -> Result<AuditRun, TargetError> {
    let mut coverage = FlowCoverage {
        generated: trace.steps.len() as u64,
        ..FlowCoverage::default()
    };
    let kinds: Vec<Option<String>> = trace.steps.iter().map(|s| s.kind()).collect();
    let mut checker = Checker::new(exp.clone());
    let mut outputs: Vec<Output> = Vec::new();
    let mut violations = Vec::new();
    let mut observed = Trace {
        header: trace.header.clone(),
        steps: Vec::new(),
    };
    let at0 = trace.steps.first().map_or(UnixMillis(0), |s| s.at);
    let start = monotonic_now();
    for (i, step) in trace.steps.iter().enumerate() {
        // Saturating: a step recorded before the first is due at once.
        let left = due_after(at0, step.at).saturating_sub(start.elapsed());
        if !left.is_zero() {
            std::thread::sleep(left);
        }
        let Ok(event) = resolve_step_event(&step.event, &outputs, i + 2) else {
            coverage.stopped = Some(unresolved_reason(&step.event_value(), &outputs, &kinds));
            break;
        };
        let at = wall_clock();
        if let Some(why) = target.unsendable(&event) {
            coverage.unsent.push(why);
            let mut line = step.clone();
            line.at = at;
            line.output = crate::diff::not_sent();
            observed.steps.push(line);
            outputs.push(crate::diff::not_sent());
            continue;
        }
        let out = target.send(at, &event)?;
        coverage.executed += 1;
        violations.extend(checker.observe(i + 1, at, &event, &out));
        let mut line = step.clone();
        line.at = at;
        line.output = out.clone();
        observed.steps.push(line);
        outputs.push(out);
    }
    Ok(AuditRun {
        violations,
        checker,
        observed,
        coverage,
    })
}

/// Shrink a trace that broke `invariant` on `target`: drop steps while a re-run still breaks it.
/// At most `budget` re-runs.
pub fn shrink_violation(
    trace: &Trace,
    target: &mut dyn Target,
    exp: &Expectations,
    invariant: &str,
    budget: usize,
) -> Result<Trace, TargetError> {
    let breaks = |t: &Trace, target: &mut dyn Target| -> Result<bool, TargetError> {
        Ok(audit_flow(t, target, exp)?
            .0
            .iter()
            .any(|v| v.invariant == invariant))
    };
    let keep: Vec<usize> = (0..trace.steps.len()).collect();
    let minimal = minimize(trace, keep, budget, |t| breaks(t, target))?;
    Ok(audit_flow(&minimal, target, exp)?.2)
}

/// The secrets a live provider issued (client secrets, tokens, codes), each replaced in report
/// text by a label numbered per kind in order of first issue: `<client_secret#1>`,
/// `<access_token#2>`, `<refresh_token#1>`, `<code#3>`. One set of labels serves a whole report,
/// so a value reads the same wherever it appears. Also replaced: a value's JSON-escaped and
/// form-encoded spellings, and `Basic` credentials that carry one.
#[derive(Default, Clone)]
pub struct SecretLabels {
    /// (value, label), in order of first issue.
    values: Vec<(String, String)>,
    counts: std::collections::BTreeMap<&'static str, usize>,
    basic: Vec<(String, String)>,
}

/// The answer fields whose values are secrets.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "access_token",
    "refresh_token",
    "code",
    "id_token",
    "registration_access_token",
];

impl std::fmt::Debug for SecretLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field named: a new one does not compile until its `Debug` is decided. The values
        // are the secrets themselves: only their labels are shown.
        let Self {
            values,
            counts,
            basic,
        } = self;
        let labels: Vec<&str> = values
            .iter()
            .chain(basic)
            .map(|(_, l)| l.as_str())
            .collect();
        f.debug_struct("SecretLabels")
            .field("labels", &labels)
            .field("counts", counts)
            .finish()
    }
}

impl SecretLabels {
    /// No labels yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&mut self, kind: &'static str, value: &str) {
        // Very short values are not secrets worth a label (and would match everywhere).
        if value.len() < 6 || self.values.iter().any(|(v, _)| v == value) {
            return;
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        self.values
            .push((value.to_owned(), format!("<{kind}#{n}>")));
    }

    /// Learn the secrets `trace`'s answers issued.
    pub fn learn(&mut self, trace: &Trace) {
        for step in &trace.steps {
            self.learn_output(&step.output);
        }
    }

    /// Learn the secrets one answer issued: JSON body fields and a `code` in `Location`.
    pub fn learn_output(&mut self, o: &Output) {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&o.body) {
            for &field in SECRET_FIELDS {
                if let Some(serde_json::Value::String(v)) = m.get(field) {
                    self.add(field, v);
                }
            }
        }
        if let Some((_, query)) = o.header("location").and_then(|l| l.split_once('?')) {
            let query = query.split('#').next().unwrap_or(query);
            for (k, v) in crate::compat::pyurl::parse_qsl(query, true) {
                if k == "code" {
                    self.add("code", &v);
                }
            }
        }
    }

    /// `text` with every learnt secret replaced by its label.
    pub fn redact(&mut self, text: &str) -> String {
        let mut out = self.redact_basic(text);
        let mut by_length: Vec<(String, String)> = self.values.clone();
        by_length.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        for (value, label) in &by_length {
            let json = serde_json::to_string(value).unwrap_or_default();
            let json = json.trim_matches('"');
            let form = crate::compat::pyurl::quote_plus(value);
            for spelling in [value.as_str(), json, form.as_str()] {
                if !spelling.is_empty() && out.contains(spelling) {
                    out = out.replace(spelling, label);
                }
            }
        }
        out
    }

    /// `Basic <base64>` credentials whose decoded text holds a learnt secret become
    /// `Basic <basic_credentials#n>`.
    fn redact_basic(&mut self, text: &str) -> String {
        use base64::Engine as _;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find("Basic ") {
            let (head, tail) = rest.split_at(i + "Basic ".len());
            out.push_str(head);
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
                .unwrap_or(tail.len());
            let blob = &tail[..end];
            let secret = base64::engine::general_purpose::STANDARD
                .decode(blob)
                .ok()
                .map(|raw| String::from_utf8_lossy(&raw).into_owned())
                .is_some_and(|raw| self.values.iter().any(|(v, _)| raw.contains(v.as_str())));
            if secret {
                let label = match self.basic.iter().find(|(b, _)| b == blob) {
                    Some((_, l)) => l.clone(),
                    None => {
                        let l = format!("<basic_credentials#{}>", self.basic.len() + 1);
                        self.basic.push((blob.to_owned(), l.clone()));
                        l
                    }
                };
                out.push_str(&label);
            } else {
                out.push_str(blob);
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
}

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

/// How the protected resource answered the requests an audit sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceProbes {
    /// The resource's URL.
    pub url: String,
    /// Answers 2xx (the token accepted).
    pub accepted: u64,
    /// Answers 401, or 403 with a Bearer challenge (the token rejected).
    pub rejected: u64,
    /// Every other answer, by status: it says nothing about the token and checks nothing.
    pub unusable: std::collections::BTreeMap<u16, u64>,
}

impl ResourceProbes {
    /// Count one answer of the resource.
    pub fn observe(&mut self, o: &Output) {
        match resource_answer(o) {
            ResourceAnswer::Accepted => self.accepted += 1,
            ResourceAnswer::Rejected => self.rejected += 1,
            ResourceAnswer::Unusable(_) => *self.unusable.entry(o.status).or_default() += 1,
        }
    }

    /// Why the resource checked nothing, if it did not: the reason its most frequent answer gives
    /// (`resource endpoint answered 404: not a protected resource`), with every answer counted.
    pub fn why_untested(&self) -> Option<String> {
        if self.accepted + self.rejected > 0 {
            return None;
        }
        let Some((&status, _)) = self
            .unusable
            .iter()
            .max_by_key(|&(s, n)| (*n, std::cmp::Reverse(*s)))
        else {
            return Some(format!("no request reached the resource {}", self.url));
        };
        let why = match resource_answer(&Output::new(status, &[], String::new())) {
            ResourceAnswer::Unusable(why) => why,
            ResourceAnswer::Accepted | ResourceAnswer::Rejected => String::new(),
        };
        let answers: Vec<String> = self
            .unusable
            .iter()
            .map(|(status, n)| format!("{status} ×{n}"))
            .collect();
        Some(format!(
            "{why} ({}: {}; never 2xx or 401)",
            self.url,
            answers.join(", ")
        ))
    }
}

/// What the audit knows of the provider's surface: where its endpoints came from, each endpoint
/// (or its absence), and how its protected resource answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// Where the endpoints came from (`RFC 8414 metadata at URL`, `OpenID discovery at URL`,
    /// or `no metadata (...): FastMCP's paths assumed`).
    pub metadata: String,
    /// Whether a metadata document was found.
    pub discovered: bool,
    /// Every endpoint kind: its URL, or `None` when the metadata names none.
    pub endpoints: Vec<Endpoint>,
    /// The protected resource's answers (`None`: not known).
    pub resource: Option<ResourceProbes>,
}

impl Surface {
    /// Why invariant `id` cannot be tested: an endpoint it needs is missing from the metadata.
    fn missing_for(&self, id: &str) -> Option<String> {
        needs(id).0.iter().find_map(|kind| {
            self.endpoints
                .iter()
                .any(|e| e.kind == *kind && e.url.is_none())
                .then(|| {
                    format!(
                        "no {} in metadata: the steps that need it were not sent",
                        kind.field()
                    )
                })
        })
    }

    /// Why an invariant with no check ran was not tested.
    fn why_untested(&self, id: &str) -> String {
        let (_, resource) = needs(id);
        if let Some(why) = self.missing_for(id) {
            return why;
        }
        if id == InvariantId::IssuerIdentity.as_str()
            && !self.endpoints.is_empty()
            && !self.discovered
        {
            return "no authorization-server metadata to check".to_owned();
        }
        if resource
            && let Some(why) = self
                .resource
                .as_ref()
                .and_then(ResourceProbes::why_untested)
        {
            return why;
        }
        "no check ran: no flow reached a step that checks it".to_owned()
    }
}

/// What the checks of invariant `id` need: the endpoints (all of them) and whether answers of the
/// protected resource.
fn needs(id: &str) -> (&'static [EndpointKind], bool) {
    use EndpointKind::{Authorization, Registration, Revocation, Token};
    use InvariantId::*;
    let Some(id) = InvariantId::from_id(id) else {
        return (&[Registration, Authorization, Token], false);
    };
    match id {
        RegistrationRedirectPolicy
        | RegistrationNoStore
        | PublicClientsGetNoSecret
        | SecretExpiryPresent => (&[Registration], false),
        IssuerIdentity => (&[], false),
        RedirectExactMatch
        | LoopbackAnyPort
        | NoRedirectToUnvalidatedUri
        | PkceRequired
        | PkcePlainRefused
        | PkceAbsentMethodIsPlain
        | PkceChallengeSyntax
        | StateEchoed
        | IssInAuthorizationResponse => (&[Registration, Authorization], false),
        RevokedStaysDead
        | RevocationCascades
        | RevocationOwnerOnly
        | RevocationUnknownToken200
        | RevocationPublicAndBasicClients
        | RevocationAuthErrorCode
        | RevocationHintIgnored => (&[Registration, Revocation], false),
        UnknownTokenRejected | BearerChallenge => (&[], true),
        ExpiredAccessRejected | InsufficientScope403 => {
            (&[Registration, Authorization, Token], true)
        }
        RepeatedParametersRefused
        | CodeSingleUse
        | CodeReplayRevokesTokens
        | CodeClientBinding
        | CodeExpires
        | PkceVerified
        | PkceVerifierSyntax
        | RedirectUriBoundToCode
        | ClientAuthentication
        | TokenResponseNoStore
        | TokenErrorStatus
        | InvalidClientChallenge
        | UnsupportedGrantTypeError
        | RedirectMismatchIsInvalidGrant
        | IssuedValuesUnique
        | IssuedValuesEntropy
        | RefreshClientBinding
        | RefreshScopeNoWidening
        | RefreshRotatedDead
        | RefreshReuseRevokesFamily
        | RefreshExpires
        | ExpiredRefreshDead
        | ExpiredAccessKeepsRefresh
        | MetadataTruthfulAuthMethods
        | StorePairsConsistent => (&[Registration, Authorization, Token], false),
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Invariant id.
    pub invariant: &'static str,
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
    /// replays against a live provider (`replay --target`).
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
        tallies: &std::collections::BTreeMap<&'static str, Tally>,
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
        tallies: &std::collections::BTreeMap<&'static str, Tally>,
        failures: &[(Violation, Trace)],
        mut labels: SecretLabels,
    ) -> Self {
        for (_, t) in failures {
            labels.learn(t);
        }
        let entries = CATALOG
            .iter()
            .filter(|i| i.id != InvariantId::StorePairsConsistent.as_str())
            .map(|inv| {
                let tally = tallies.get(inv.id).copied().unwrap_or_default();
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
