//! What `diff` and `audit` share when they drive a live server: option checks, what the run
//! saw the target do (usable or not), and a progress line for readers without a progress bar.

use oauth_oracle::generate::Pacing;
use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use oauth_oracle::Output;
use oauth_oracle::coverage::Coverage;
use oauth_oracle::target::{EndpointKind, HttpTarget, PreClient};

use super::diff::TargetArgs;

#[allow(clippy::disallowed_methods)] // the command times a live run
pub(crate) fn clock() -> std::time::Instant {
    std::time::Instant::now()
}

/// The longest expiry wait run without `--allow-long-waits`, in seconds.
pub(crate) const LONG_WAIT_SECS: u64 = 60;

/// `--cases` / `--steps`: a positive whole number (0 would test nothing).
pub(crate) fn positive_u64(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (0 would test nothing)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// [`positive_u64`] as a `usize`.
pub(crate) fn positive_usize(s: &str) -> Result<usize, String> {
    positive_u64(s).and_then(|n| usize::try_from(n).map_err(|e| e.to_string()))
}

/// What a live run saw the target do, to tell a run that tested something from one that did not.
#[derive(Debug, Default)]
pub(crate) struct Usability {
    registrations: u64,
    registered: u64,
    codes: u64,
    /// The first authorization request the user agent got no answer to, and why.
    no_answer: Option<String>,
}

impl Usability {
    /// Note one answer of the target to a request of `kind` (the trace step's event kind).
    pub(crate) fn observe(&mut self, kind: Option<&str>, out: &Output) {
        if kind == Some("register") {
            self.registrations += 1;
            let issued = (200..300).contains(&out.status)
                && serde_json::from_str::<serde_json::Value>(&out.body)
                    .ok()
                    .and_then(|v| v.get("client_id").and_then(|c| c.as_str()).map(|_| ()))
                    .is_some();
            if issued {
                self.registered += 1;
            }
        }
        // A code in the query or in the fragment (`response_mode=fragment`).
        let code = out.header("location").is_some_and(|l| {
            l.split_once(['?', '#']).is_some_and(|(_, q)| {
                q.split(['&', '#'])
                    .any(|kv| kv.strip_prefix("code=").is_some_and(|c| !c.is_empty()))
            })
        });
        if kind == Some("authorize")
            && self.no_answer.is_none()
            && let Some(why) = oauth_oracle::target::unanswered(out)
        {
            self.no_answer = Some(why);
        }
        if code {
            self.codes += 1;
        }
    }

    /// Why the run tested nothing worth a verdict, if it did not.
    pub(crate) fn unusable(&self) -> Option<String> {
        if self.registered == 0 {
            return Some(format!(
                "no client could be registered ({} registration requests, none answered with a client_id)",
                self.registrations
            ));
        }
        if self.codes == 0 {
            let why = self
                .no_answer
                .as_ref()
                .map_or_else(String::new, |w| format!("; the user agent: {w}"));
            return Some(format!(
                "no authorization code was ever issued ({} clients registered){why}",
                self.registered
            ));
        }
        None
    }
}

/// Whether `--jump-percent` jumps onto code expiry: not when it lies over [`LONG_WAIT_SECS`]
/// away and `--allow-long-waits` is not given (a server whose codes live long, Cloudflare's
/// fixed 600 s, still has its token expiry probed).
fn code_jumps(args: &TargetArgs) -> bool {
    args.allow_long_waits || args.code_ttl <= LONG_WAIT_SECS
}

/// The pacing of live flows: [`Pacing::live`] with a 1.5 s margin around every boundary, and
/// no jumps onto code expiry where [`code_jumps`] says so.
pub(crate) fn live_pacing(args: &TargetArgs, jump_percent: u64) -> Pacing {
    let mut pacing = Pacing::live(jump_percent, 1500);
    if !code_jumps(args) {
        pacing.code_edge_offsets.clear();
    }
    pacing
}

/// Refuse `--jump-percent` waits for access-token expiry longer than [`LONG_WAIT_SECS`] unless
/// `--allow-long-waits`; say when code expiry is left out for its length.
fn check_waits(args: &TargetArgs, jump_percent: u64) -> Result<(), String> {
    if jump_percent == 0 || args.allow_long_waits {
        return Ok(());
    }
    if !code_jumps(args) {
        eprintln!(
            "note: --jump-percent: the authorization-code lifetime {} s (--code-ttl) is over {LONG_WAIT_SECS} s: jumps land on access-token expiry only (--allow-long-waits waits for code expiry too)",
            args.code_ttl
        );
    }
    let long: Vec<String> = [("--access-ttl", "access-token", args.access_ttl)]
        .iter()
        .filter(|(_, _, ttl)| *ttl > LONG_WAIT_SECS)
        .map(|(flag, what, ttl)| format!("the {what} lifetime {ttl} s ({flag})"))
        .collect();
    if long.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--jump-percent {jump_percent} waits in real time for expiry boundaries, here up to {}; waits over {LONG_WAIT_SECS} s are refused: start the provider with lifetimes of at most {LONG_WAIT_SECS} s and pass them here, or add --allow-long-waits",
        long.join(" and ")
    ))
}

/// The run's progress for a reader without a progress bar: shared counters, printed to stderr
/// every few seconds by a thread while the run lasts.
pub(crate) struct Heartbeat {
    /// Flows finished.
    pub(crate) flows: Arc<AtomicU64>,
    /// Requests sent.
    pub(crate) requests: Arc<AtomicU64>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    /// Every this often a progress line is printed.
    pub(crate) const EVERY: Duration = Duration::from_secs(5);

    /// Start printing `command: F/total flows, R requests, S s elapsed` every [`Self::EVERY`] when
    /// `quiet_bar` (no progress bar is drawn) or stderr is not a terminal; otherwise print nothing.
    pub(crate) fn start(command: &'static str, total: u64, quiet_bar: bool) -> Self {
        let flows = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU64::new(0));
        let mut beat = Self {
            flows: flows.clone(),
            requests: requests.clone(),
            stop: None,
            thread: None,
        };
        if !quiet_bar && std::io::stderr().is_terminal() {
            return beat;
        }
        let (tx, rx) = mpsc::channel::<()>();
        let started = clock();
        beat.stop = Some(tx);
        beat.thread = Some(std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Self::EVERY) {
                eprintln!(
                    "{command}: {}/{total} flows, {} requests, {} s elapsed",
                    flows.load(Ordering::Relaxed),
                    requests.load(Ordering::Relaxed),
                    started.elapsed().as_secs()
                );
            }
        }));
        beat
    }

    /// One more flow finished, having sent `requests` requests (workers call it at once).
    pub(crate) fn flow_done(&self, requests: u64) {
        self.flows.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests, Ordering::Relaxed);
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether `name` is `{prefix}{digits}{suffix}`.
pub(crate) fn is_numbered(name: &str, prefix: &str, suffix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The target `args` name, checked and discovered, ready for `command` (`diff` or `audit`); or,
/// having said why on stderr, `None` (exit 2): long waits not allowed, a URL that is not
/// `http://`, metadata that cannot be read, or no registration endpoint (both commands register
/// their own clients, so nothing could be tested).
///
/// With pre-registered `clients` (`--client`) no registration is sent, so a provider
/// without a registration endpoint is usable.
pub(crate) fn connect(
    command: &str,
    args: &TargetArgs,
    jump_percent: u64,
    clients: &[PreClient],
) -> Option<HttpTarget> {
    if let Err(e) = check_waits(args, jump_percent) {
        eprintln!("error: {e}");
        return None;
    }
    let mut target = match HttpTarget::checked(&args.target, &args.mcp_path)
        .and_then(|t| args.access.apply(t))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return None;
        }
    };
    if let Err(e) = target.discover() {
        eprintln!("error: {e}");
        return None;
    }
    if !target.endpoints().discovered() {
        eprintln!("note: {}", target.endpoints().describe_source());
    }
    let target = target.with_clients(clients.to_vec());
    if let Some(why) = target.endpoints().missing(EndpointKind::Registration)
        && clients.is_empty()
    {
        eprintln!(
            "error: target unusable: {why}; {command} registers its own clients (dynamic client registration, RFC 7591), nothing tested{}",
            if command != "fingerprint" {
                " (register clients yourself and pass them with --client)"
            } else {
                ""
            }
        );
        return None;
    }
    Some(target)
}

/// Whether a run tested too little for a verdict (`why` is not empty); if so, says why on
/// stderr with what was sent and the coverage lines.
pub(crate) fn unusable(why: &[String], requests: u64, flows: u64, coverage: &Coverage) -> bool {
    if why.is_empty() {
        return false;
    }
    for why in why {
        eprintln!("error: target unusable: {why}");
    }
    eprintln!("{requests} requests sent in {flows} flows: no verdict");
    for line in coverage.lines() {
        eprintln!("{line}");
    }
    true
}

/// `cases` flows run by `jobs` workers at once (`--jobs`), each worker with its own fork of
/// `target` (its own connections and cookie jar); the results in case order, whichever finished
/// first, so a report does not depend on `jobs`. Each flow registers its own clients, so flows
/// are independent; a server that answers one request at a time only queues them. The forks'
/// request counts and waiting time are added to `target`'s.
pub(crate) fn in_parallel<T: Send>(
    target: &mut HttpTarget,
    cases: u64,
    jobs: usize,
    flow: impl Fn(u64, &mut HttpTarget) -> T + Sync,
) -> Vec<T> {
    let next = AtomicU64::new(0);
    let forks: Vec<HttpTarget> = (0..jobs.max(1)).map(|_| target.fork()).collect();
    let finished = std::thread::scope(|s| {
        let workers: Vec<_> = forks
            .into_iter()
            .map(|mut fork| {
                let (next, flow) = (&next, &flow);
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let case = next.fetch_add(1, Ordering::Relaxed);
                        if case >= cases {
                            break;
                        }
                        done.push((case, flow(case, &mut fork)));
                    }
                    (done, fork)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join()).collect::<Vec<_>>()
    });
    let mut results = Vec::new();
    for worker in finished {
        match worker {
            Ok((done, fork)) => {
                target.absorb(&fork);
                results.extend(done);
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    results.sort_by_key(|(case, _)| *case);
    results.into_iter().map(|(_, r)| r).collect()
}

/// The most bytes of a `--client-document` file.
const MAX_DOCUMENT_FILE: u64 = 64 * 1024;

/// `URL=FILE`: the URL and the document FILE holds (an error names the file).
pub(crate) fn client_document(arg: &str) -> Result<(String, String), String> {
    use std::io::Read as _;
    let (url, file) = arg
        .split_once('=')
        .ok_or_else(|| format!("{arg:?}: expected URL=FILE"))?;
    if !url.starts_with("https://") {
        return Err(format!(
            "{url:?}: a client ID metadata document URL is https"
        ));
    }
    let mut body = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_DOCUMENT_FILE + 1).read_to_string(&mut body))
        .map_err(|e| format!("{file}: {e}"))?;
    if body.len() as u64 > MAX_DOCUMENT_FILE {
        return Err(format!("{file}: larger than {MAX_DOCUMENT_FILE} bytes"));
    }
    Ok((url.to_owned(), body))
}
