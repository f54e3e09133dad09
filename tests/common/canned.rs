//! Live-target test helpers: a tiny in-test HTTP/1.1 server on 127.0.0.1 answering what a route
//! says (canned answers, huge bodies, silence, or the answer of another server it proxies to),
//! logging every request it saw; `serve` of this crate on a free port; the binary run in a
//! scratch directory or in the package root. Included with
//! `#[path = "common/canned.rs"] mod canned;`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the in-test server answers.
#[derive(Clone)]
pub enum Answer {
    /// Status, content type, body.
    Canned(u16, &'static str, &'static str),
    /// Status, content type, body built at run time (e.g. metadata naming the server's own port).
    Owned(u16, &'static str, String),
    /// This status with a JSON body of this many bytes, streamed (never allocated whole).
    Huge(u16, u64),
    /// No answer: wait this long, then close the connection.
    Silence(Duration),
    /// The request, method, headers and body, sent on to this absolute URL (query appended);
    /// its answer relayed byte for byte.
    Proxy(String),
}

/// A route: (the server's own base URL, method, path without query) → the answer.
pub type Route = dyn Fn(&str, &str, &str) -> Answer + Send + Sync;

/// An in-test HTTP/1.1 server on a free loopback port. Counts the huge-body bytes sent and logs
/// every request as (method, path).
pub struct Canned {
    pub base: String,
    pub sent: Arc<AtomicU64>,
    pub seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Canned {
    pub fn start(route: impl Fn(&str, &str, &str) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(AtomicU64::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let route: Arc<Route> = Arc::new(route);
        let (counter, log, own) = (sent.clone(), seen.clone(), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (counter, log, route, own) =
                    (counter.clone(), log.clone(), route.clone(), own.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(stream, &own, &*route, &counter, &log);
                });
            }
        });
        Self { base, sent, seen }
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, p)| p.clone())
            .collect()
    }
}

fn serve_one(
    stream: TcpStream,
    own: &str,
    route: &Route,
    sent: &AtomicU64,
    seen: &Mutex<Vec<(String, String)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut length = 0usize;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0).min(1 << 20);
            }
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    seen.lock()
        .unwrap()
        .push((method.to_owned(), path.to_owned()));
    let mut out = stream;
    match route(own, method, path) {
        Answer::Canned(status, content_type, body) => {
            respond(&mut out, status, content_type, body)?;
        }
        Answer::Owned(status, content_type, body) => {
            respond(&mut out, status, content_type, &body)?;
        }
        Answer::Huge(status, total) => {
            write!(
                out,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n"
            )?;
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = total;
            while left > 0 {
                let n = left.min(chunk.len() as u64);
                out.write_all(&chunk[..n as usize])?;
                sent.fetch_add(n, Ordering::Relaxed);
                left -= n;
            }
        }
        Answer::Silence(wait) => std::thread::sleep(wait),
        Answer::Proxy(to) => {
            let rest = to.strip_prefix("http://").unwrap_or(&to);
            let (authority, to_path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let to_path = if to_path.is_empty() { "/" } else { to_path };
            let target = if query.is_empty() {
                to_path.to_owned()
            } else {
                format!("{to_path}?{query}")
            };
            let mut up = TcpStream::connect(authority)?;
            let mut head = format!(
                "{method} {target} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-length: {}\r\n",
                body.len()
            );
            for (k, v) in &headers {
                if !matches!(k.as_str(), "host" | "connection" | "content-length") {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
            }
            head.push_str("\r\n");
            up.write_all(head.as_bytes())?;
            up.write_all(&body)?;
            let mut answer = Vec::new();
            up.read_to_end(&mut answer)?;
            out.write_all(&answer)?;
        }
    }
    out.flush()
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Discovery metadata naming FastMCP's paths on the server at `base` (`S256` only, `code`
/// only): what makes discovery of an in-test server succeed.
pub fn metadata(base: &str) -> String {
    format!(
        r#"{{"issuer":"{base}/","authorization_endpoint":"{base}/authorize","token_endpoint":"{base}/token","registration_endpoint":"{base}/register","revocation_endpoint":"{base}/revoke","response_types_supported":["code"],"code_challenge_methods_supported":["S256"]}}"#
    )
}

/// A fresh empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oauth-oracle-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the binary in `dir` with stdout and stderr piped (not terminals).
pub fn oracle(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Run the binary in the package root (where `cargo test` starts every test) with stdout and
/// stderr piped.
pub fn oracle_in_root(args: &[&str]) -> Output {
    oracle(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A run's standard error as text.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// `serve` of this crate on a free port; killed on drop.
pub struct Serve {
    child: Child,
    pub base: String,
}

impl Serve {
    pub fn start(args: &[&str]) -> Self {
        Self::start_at("0", args)
    }

    /// `serve` on `port` (`0`: any free one). `base` is the line it prints: its `--base-url`
    /// when one is given, not where it listens.
    pub fn start_at(port: &str, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-oracle"))
            .args(["serve", "--port", port])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Self {
            child,
            base: line.trim().to_owned(),
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
