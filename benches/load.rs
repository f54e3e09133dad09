//! A bounded load run on loopback: N connections for T seconds, each looping full flows
//! (register → authorize → token → /mcp → refresh → revoke), against `oauth-oracle serve`
//! (spawned here, or `--url`) or any FastMCP-compatible server (`--url`, `--pid` for its RSS).
//!
//! ```sh
//! cargo bench --bench load -- --connections 64 --seconds 30            # spawns serve
//! cargo bench --bench load -- --url http://127.0.0.1:8765 --pid $PID   # live FastMCP
//! ```
//!
//! Reports requests/s, latency percentiles, 5xx and unexpected answers, transport errors, the
//! server's peak RSS (`VmHWM`), and for our own server that the recorded trace holds exactly one
//! step per request sent (no dropped steps). Only 127.0.0.1 targets are accepted.
//!
//! Exits 1, naming the first failure (step, expected and actual status, the body's start), when
//! any flow did not complete or none did: a load figure of failing flows measures nothing.
#![allow(clippy::unwrap_used)]
// A load client measures latency: it reads the monotonic clock (the model never does).
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oauth_oracle::s256_challenge;
use serde_json::Value;

const VERIFIER: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";
const CB: &str = "http://localhost:9999/cb";
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"load","version":"0"}}}"#;

struct Args {
    url: Option<String>,
    pid: Option<u32>,
    connections: usize,
    seconds: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        url: None,
        pid: None,
        connections: 64,
        seconds: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => args.url = it.next(),
            "--pid" => args.pid = it.next().and_then(|p| p.parse().ok()),
            "--connections" => {
                args.connections = it.next().and_then(|n| n.parse().ok()).unwrap_or(64)
            }
            "--seconds" => args.seconds = it.next().and_then(|n| n.parse().ok()).unwrap_or(30),
            _ => {} // `cargo bench` passes --bench
        }
    }
    args.connections = args.connections.clamp(1, 1024);
    args.seconds = args.seconds.clamp(1, 600);
    args
}

#[derive(Default)]
struct Tally {
    requests: u64,
    server_errors: u64,
    unexpected: u64,
    transport_errors: u64,
    flows: u64,
    failed_flows: u64,
    /// Why the first failed flow failed.
    first_failure: Option<String>,
    /// Why the last request failed (taken when its flow gives up).
    problem: Option<String>,
    latencies_us: Vec<u32>,
}

struct Conn {
    http: reqwest::Client,
    base: String,
    tally: Tally,
}

impl Conn {
    /// Send one request; its status and body, or `None` on a transport error.
    async fn send(
        &mut self,
        step: &str,
        req: reqwest::RequestBuilder,
        expect: u16,
    ) -> Option<(u16, String, Option<String>)> {
        let start = Instant::now();
        self.tally.requests += 1;
        let result = async {
            let r = req.send().await?;
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = r.text().await?;
            Ok::<_, reqwest::Error>((status, body, location))
        }
        .await;
        let us = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.tally.latencies_us.push(us);
        match result {
            Ok(answer) => {
                if answer.0 >= 500 {
                    self.tally.server_errors += 1;
                }
                if answer.0 != expect {
                    self.tally.unexpected += 1;
                    let body: String = answer.1.chars().take(200).collect();
                    self.tally.problem = Some(format!(
                        "{step}: expected {expect}, got {}: {body}",
                        answer.0
                    ));
                    return None;
                }
                Some(answer)
            }
            Err(e) => {
                self.tally.transport_errors += 1;
                self.tally.problem = Some(format!("{step}: transport error: {e}"));
                None
            }
        }
    }

    fn form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(urlencode(pairs.iter().copied()))
    }

    /// One full flow; `None` as soon as a step fails.
    async fn flow(&mut self, challenge: &str) -> Option<()> {
        let reg = self
            .http
            .post(format!("{}/register", self.base))
            .header("content-type", "application/json")
            .body(r#"{"redirect_uris":["http://localhost:9999/cb"],"scope":"read write","token_endpoint_auth_method":"client_secret_post"}"#);
        let (_, body, _) = self.send("register", reg, 201).await?;
        let v: Value = serde_json::from_str(&body).ok()?;
        let id = v["client_id"].as_str()?.to_owned();
        let secret = v["client_secret"].as_str()?.to_owned();
        let query = urlencode([
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", CB),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("scope", "read write"),
            ("state", "s"),
        ]);
        let authorize = self.http.get(format!("{}/authorize?{query}", self.base));
        let (_, _, location) = self.send("authorize", authorize, 302).await?;
        let location = location?;
        let query = location.split_once('?').map_or("", |(_, q)| q);
        let code = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "code")
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        let Some((_, code)) = code else {
            self.tally.problem = Some(format!("authorize: redirected without a code: {location}"));
            return None;
        };
        let token = self.form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        );
        let (_, body, _) = self.send("token (authorization_code)", token, 200).await?;
        let t: Value = serde_json::from_str(&body).ok()?;
        let access = t["access_token"].as_str()?.to_owned();
        let refresh_token = t["refresh_token"].as_str()?.to_owned();
        let mcp = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("authorization", format!("Bearer {access}"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(INITIALIZE);
        self.send("/mcp", mcp, 200).await?;
        let refresh = self.form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        );
        let (_, body, _) = self.send("token (refresh_token)", refresh, 200).await?;
        let t: Value = serde_json::from_str(&body).ok()?;
        let access = t["access_token"].as_str()?.to_owned();
        let revoke = self.form(
            "/revoke",
            &[
                ("token", &access),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        );
        self.send("revoke", revoke, 200).await?;
        self.tally.flows += 1;
        Some(())
    }
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn spawn_serve(record: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(["serve", "--port", "0", "--record"])
        .arg(record)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

fn main() {
    let args = parse_args();
    let record =
        std::env::temp_dir().join(format!("oauth-oracle-load-{}.jsonl", std::process::id()));
    let (mut child, base, pid) = match &args.url {
        Some(url) => (None, url.trim_end_matches('/').to_owned(), args.pid),
        None => {
            let (child, base) = spawn_serve(&record);
            let pid = child.id();
            (Some(child), base, Some(pid))
        }
    };
    assert!(
        base.starts_with("http://127.0.0.1:") || base.starts_with("http://localhost:"),
        "load runs target loopback only, not {base}"
    );
    println!(
        "load: {} connections x {} s of full flows against {base}",
        args.connections, args.seconds
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let challenge = s256_challenge(VERIFIER);
    let started = Instant::now();
    let tallies: Vec<Tally> = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..args.connections {
            let stop = stop.clone();
            let base = base.clone();
            let challenge = challenge.clone();
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut conn = Conn {
                    http,
                    base,
                    tally: Tally::default(),
                };
                while !stop.load(Ordering::Relaxed) {
                    if conn.flow(&challenge).await.is_none() {
                        let t = &mut conn.tally;
                        t.failed_flows += 1;
                        let why = t.problem.take().unwrap_or_else(|| {
                            "an answer could not be read (not JSON, or a field missing)".into()
                        });
                        t.first_failure.get_or_insert(why);
                    }
                }
                conn.tally
            }));
        }
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut total = Tally::default();
    for t in tallies {
        total.requests += t.requests;
        total.server_errors += t.server_errors;
        total.unexpected += t.unexpected;
        total.transport_errors += t.transport_errors;
        total.flows += t.flows;
        total.failed_flows += t.failed_flows;
        if total.first_failure.is_none() {
            total.first_failure = t.first_failure;
        }
        total.latencies_us.extend(t.latencies_us);
    }
    total.latencies_us.sort_unstable();
    println!("requests:          {}", total.requests);
    println!("flows completed:   {}", total.flows);
    println!("flows failed:      {}", total.failed_flows);
    println!("requests/s:        {:.0}", total.requests as f64 / elapsed);
    println!(
        "latency ms:        p50 {:.2}  p99 {:.2}  max {:.2}",
        percentile(&total.latencies_us, 0.50),
        percentile(&total.latencies_us, 0.99),
        percentile(&total.latencies_us, 1.0)
    );
    println!("5xx:               {}", total.server_errors);
    println!("unexpected status: {}", total.unexpected);
    println!("transport errors:  {}", total.transport_errors);
    if let Some(kib) = pid.and_then(peak_rss_kib) {
        println!("server peak RSS:   {:.1} MiB (VmHWM)", kib as f64 / 1024.0);
    }
    if let Some(child) = &mut child {
        // Our own server: every request sent must be one recorded step.
        let _ = child.kill();
        let _ = child.wait();
        let lines = std::fs::read_to_string(&record)
            .map(|t| t.lines().count().saturating_sub(1) as u64)
            .unwrap_or(0);
        let answered = total.requests - total.transport_errors;
        println!(
            "recorded steps:    {lines} (requests answered {answered}; dropped {})",
            answered.saturating_sub(lines)
        );
        let _ = std::fs::remove_file(&record);
    }
    if total.flows == 0 || total.failed_flows > 0 {
        eprintln!(
            "error: {} of {} flows failed; first failure: {}",
            total.failed_flows,
            total.flows + total.failed_flows,
            total
                .first_failure
                .as_deref()
                .unwrap_or("no flow was attempted")
        );
        std::process::exit(1);
    }
}

/// `pairs` as an `application/x-www-form-urlencoded` string.
fn urlencode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
