//! Real SIP on 127.0.0.1: Kamailio with `infra/sip/kamailio.cfg` in front of
//! a test's runner, and SIPp processes as the agents, the emergency gateway,
//! the ordinary route, the last resort and the PSAP. Every process is bounded
//! in time and stopped when its handle is dropped.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// What a machine without Kamailio or SIPp is told.
pub const APT_LINE: &str = "apt-get install --no-install-recommends kamailio kamailio-utils-modules kamailio-extra-modules kamailio-tls-modules sip-tester";

/// Fails the test, naming the packages, when Kamailio or SIPp is missing.
pub fn require_sip_tools() {
    for tool in ["kamailio", "sipp"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is not installed: the SIP tests need `{APT_LINE}` (.ci/run and infra/test.sh install them as root)"
        );
    }
}

/// A block of 200 ports of its own for each proxy a test starts. Every SIPp
/// process takes 4: its SIP port, its media port (one above) and the video
/// port SIPp also binds (three above).
pub struct Ports {
    pub proxy: u16,
    pub gateway: u16,
    pub ordinary: u16,
    pub last_resort: u16,
    /// The ordinary inbound route (the ACD).
    pub inbound: u16,
    /// The second emergency gateway.
    pub gateway2: u16,
    free: u16,
    /// The block's claim: a TCP listener on its last port, which nothing in
    /// the block uses, held while the block is in use. Tests run in
    /// processes of their own (nextest) and threads of one (cargo test);
    /// a listener is what both see.
    _claim: std::net::TcpListener,
}

/// Blocks start here and stay below the kernel's ephemeral ports (32768
/// and up), which the tests' own sockets take.
const FIRST_BLOCK: u16 = 20000;
const BLOCK: u16 = 200;
const BLOCKS: u16 = 60;

impl Ports {
    pub fn take() -> Ports {
        // Start the search at a place of this process's own, so that
        // processes started together rarely try the same block first.
        let start = (std::process::id() % u32::from(BLOCKS)) as u16;
        for i in 0..BLOCKS {
            let base = FIRST_BLOCK + ((start + i) % BLOCKS) * BLOCK;
            let Ok(claim) = std::net::TcpListener::bind(("127.0.0.1", base + BLOCK - 1)) else {
                continue; // another test holds this block
            };
            return Ports {
                proxy: base,
                gateway: base + 4,
                ordinary: base + 8,
                last_resort: base + 12,
                inbound: base + 16,
                gateway2: base + 20,
                free: base + 24,
                _claim: claim,
            };
        }
        panic!(
            "no free block of SIP ports between {FIRST_BLOCK} and {}",
            FIRST_BLOCK + BLOCKS * BLOCK
        );
    }

    /// A SIP port for a SIPp process (its media port is the next one).
    pub fn take_port(&mut self) -> u16 {
        let p = self.free;
        self.free += 4;
        assert!(self.free < self.proxy + BLOCK, "out of ports in this block");
        p
    }
}

/// Kamailio, started with `infra/sip/kamailio.sh`; stopped (its whole
/// process group) on drop.
pub struct Proxy {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    /// The files the proxy re-reads (`pool`, `secret`).
    pub data: PathBuf,
    _dir: TempDir,
}

impl Proxy {
    pub fn start(lifeline_url: &str, secret: &str, ports: &Ports, ring_seconds: u32) -> Proxy {
        Proxy::start_with(lifeline_url, secret, ports, ring_seconds, &[])
    }

    /// [`Proxy::start`] with more of `kamailio.sh`'s variables.
    pub fn start_with(
        lifeline_url: &str,
        secret: &str,
        ports: &Ports,
        ring_seconds: u32,
        env: &[(&str, &str)],
    ) -> Proxy {
        require_sip_tools();
        let dir = TempDir::new("proxy");
        let log = dir.path.join("kamailio.log");
        let out = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("infra/sip/kamailio.sh"))
            .env("LIFELINE_URL", lifeline_url)
            .env("LIFELINE_WEBHOOK_SECRET", secret)
            .env("SIP_LISTEN", format!("udp:127.0.0.1:{}", ports.proxy))
            .env(
                "EMERGENCY_GATEWAYS",
                format!(
                    "sip:127.0.0.1:{} sip:127.0.0.1:{}",
                    ports.gateway, ports.gateway2
                ),
            )
            .env("INBOUND_ROUTE", format!("sip:127.0.0.1:{}", ports.inbound))
            .env(
                "ORDINARY_ROUTE",
                format!("sip:127.0.0.1:{}", ports.ordinary),
            )
            .env(
                "LAST_RESORT",
                format!("sip:127.0.0.1:{}", ports.last_resort),
            )
            .env("RING_SECONDS", ring_seconds.to_string())
            .env("SIP_RUN_DIR", &dir.path)
            .env("SIP_DATA_DIR", dir.path.join("data"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("kamailio.sh starts");
        let proxy = Proxy {
            child,
            port: ports.proxy,
            log,
            data: dir.path.join("data"),
            _dir: dir,
        };
        proxy.wait_ready();
        proxy
    }

    /// Until the proxy answers an OPTIONS (it binds well under a second).
    fn wait_ready(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let local = socket.local_addr().expect("addr");
        let started = Instant::now();
        let mut n = 0;
        loop {
            n += 1;
            let options = format!(
                "OPTIONS sip:127.0.0.1:{p} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-ready-{n}\r\nFrom: <sip:ready@127.0.0.1>;tag=r{n}\r\nTo: <sip:127.0.0.1:{p}>\r\nCall-ID: ready-{n}-{p}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
                p = self.port
            );
            let _ = socket.send_to(options.as_bytes(), ("127.0.0.1", self.port));
            let mut buf = [0u8; 2048];
            if let Ok((len, _)) = socket.recv_from(&mut buf) {
                if buf[..len].starts_with(b"SIP/2.0 200") {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "Kamailio did not answer on 127.0.0.1:{} within 10 s:\n{}",
                self.port,
                self.log_text()
            );
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// One SIPp process running one call of a scenario of
/// `infra/sip/scenarios/`, with every message it sent and received kept.
pub struct Sipp {
    child: Option<Child>,
    pub name: String,
    messages: PathBuf,
    screen: PathBuf,
    errors: PathBuf,
    _dir: TempDir,
}

/// How a SIPp process ended.
#[derive(Debug)]
pub struct SippRun {
    pub name: String,
    pub ok: bool,
    /// SIPp's exit code (0: every call succeeded; 1: one failed; none:
    /// killed at the deadline).
    pub code: Option<i32>,
    /// Every message, as SIPp's `-trace_msg` keeps them.
    pub messages: String,
    pub screen: String,
    /// Why a call failed, as SIPp's `-trace_err` says (an unexpected
    /// message, a timeout).
    pub errors: String,
}

/// A failed run, reason first: what a failing assertion prints.
impl std::fmt::Display for SippRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "== SIPp {} exited {:?}; its errors:\n{}",
            self.name, self.code, self.errors
        )?;
        writeln!(f, "== its messages:\n{}", self.messages)
    }
}

impl SippRun {
    /// The time SIPp logged the `nth` (from 0) message containing `needle`
    /// (`2026-11-30 06:08:35.695556`).
    pub fn logged_at(&self, needle: &str, nth: usize) -> Option<chrono::NaiveDateTime> {
        self.messages
            .split("----------------------------------------------- ")
            .filter(|m| m.contains(needle))
            .nth(nth)
            .and_then(|m| m.lines().next())
            .and_then(|t| {
                chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%d %H:%M:%S%.f").ok()
            })
    }

    /// Every INVITE received, whole, in order.
    pub fn invites(&self) -> Vec<String> {
        self.messages
            .split("----------------------------------------------- ")
            .filter(|m| m.contains("message received"))
            .map(|m| {
                m.splitn(3, '\n')
                    .nth(2)
                    .unwrap_or("")
                    .trim_start()
                    .to_string()
            })
            .filter(|m| m.starts_with("INVITE "))
            .collect()
    }

    /// The first received request of `method`, whole.
    pub fn received(&self, method: &str) -> Option<String> {
        self.messages
            .split("----------------------------------------------- ")
            .filter(|m| m.contains("message received"))
            // After the time line and the "UDP message received [n] bytes :" line.
            .map(|m| m.splitn(3, '\n').nth(2).unwrap_or("").trim_start())
            .find(|m| m.starts_with(&format!("{method} ")))
            .map(String::from)
    }
}

impl Sipp {
    /// `scenario` (its file's stem in `infra/sip/scenarios`, or a path: a
    /// [`Filled`] one) on `local` (SIP) and `local + 1`
    /// (media, and `local + 3` for video); `remote`: the proxy's port for a client scenario. Stops by
    /// itself after `timeout` (and is killed on drop).
    pub fn start(
        scenario: &str,
        local: u16,
        remote: Option<u16>,
        args: &[&str],
        timeout: Duration,
    ) -> Sipp {
        Sipp::start_calls(scenario, local, remote, 1, args, timeout)
    }

    /// [`Sipp::start`] for `calls` calls (a client's rate is in `args`,
    /// e.g. `-r 10`).
    pub fn start_calls(
        scenario: &str,
        local: u16,
        remote: Option<u16>,
        calls: u32,
        args: &[&str],
        timeout: Duration,
    ) -> Sipp {
        require_sip_tools();
        let dir = TempDir::new(scenario);
        let messages = dir.path.join("messages.log");
        let screen = dir.path.join("screen.log");
        let errors = dir.path.join("errors.log");
        let mut cmd = Command::new("sipp");
        let file = if scenario.contains('/') {
            PathBuf::from(scenario)
        } else {
            repo_root().join(format!("infra/sip/scenarios/{scenario}.xml"))
        };
        if let Some(r) = remote {
            cmd.arg(format!("127.0.0.1:{r}"));
        }
        cmd.arg("-sf")
            .arg(file)
            .args(["-i", "127.0.0.1", "-p", &local.to_string()])
            .args(["-mp", &(local + 1).to_string()])
            .args(["-m", &calls.to_string()])
            .args(["-nostdin", "-timeout_error"])
            .args(["-timeout", &format!("{}s", timeout.as_secs().max(1))])
            .arg("-trace_msg")
            .arg("-message_file")
            .arg(&messages)
            .arg("-trace_screen")
            .arg("-screen_file")
            .arg(&screen)
            .arg("-trace_err")
            .arg("-error_file")
            .arg(&errors)
            .args(args)
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("sipp starts");
        if remote.is_none() {
            // A server scenario: not before it listens, or the first
            // INVITE could arrive before it does.
            let started = Instant::now();
            while !udp_bound(local) && started.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Sipp {
            child: Some(child),
            name: scenario.to_string(),
            messages,
            screen,
            errors,
            _dir: dir,
        }
    }

    /// Waits for the call to end (bounded by its own timeout, plus a margin).
    pub async fn finish(mut self) -> SippRun {
        let mut child = self.child.take().expect("running");
        let status = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(Some(s)) = child.try_wait() {
                    return Some(s);
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
        .await
        .expect("waiter");
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        SippRun {
            name: self.name.clone(),
            ok: status.is_some_and(|s| s.success()),
            code: status.and_then(|s| s.code()),
            messages: read(&self.messages),
            screen: read(&self.screen),
            errors: read(&self.errors),
        }
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A scenario of `infra/sip/scenarios` with `[name]` placeholders filled in
/// where SIPp cannot take a `-key` (a response's status code must be a
/// number when SIPp loads the file); removed on drop.
pub struct Filled {
    pub path: String,
    _dir: TempDir,
}

impl Filled {
    pub fn new(scenario: &str, values: &[(&str, &str)]) -> Filled {
        let mut text = std::fs::read_to_string(
            repo_root().join(format!("infra/sip/scenarios/{scenario}.xml")),
        )
        .expect("the scenario");
        for (name, value) in values {
            text = text.replace(&format!("[{name}]"), value);
        }
        let dir = TempDir::new(scenario);
        let path = dir.path.join(format!("{scenario}.xml"));
        std::fs::write(&path, text).expect("the filled scenario");
        Filled {
            path: path.to_string_lossy().into_owned(),
            _dir: dir,
        }
    }
}

/// Whether something listens on UDP 127.0.0.1:`port` (from
/// `/proc/net/udp`, without binding it, which could take it from SIPp).
fn udp_bound(port: u16) -> bool {
    let needle = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/udp")
        .map(|t| {
            t.lines()
                .filter_map(|l| l.split_whitespace().nth(1))
                .any(|local| local == needle)
        })
        .unwrap_or(true)
}

/// A folder of its own, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(what: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "lifeline-sip-{what}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A TCP relay to Lifeline that can be switched off: while off, connections
/// are closed at once (as if Lifeline were down). Stops with the test's
/// runtime.
pub struct Switch {
    pub url: String,
    on: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Switch {
    pub async fn to(target: &str) -> Switch {
        let target = target.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let on = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = on.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Switch { url, on }
    }

    pub fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }
}
