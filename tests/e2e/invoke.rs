//! Every sample event in `events/` through `./infra/local/invoke.sh` (the
//! Docker-free `sam local invoke`) against the local runner and emulators.

use lifeline_e2e::{start, Local};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

/// Runs the script (off the runtime's threads: the runner answers it); its
/// exit code and stdout as JSON.
async fn invoke_sh(l: &Local, function: &str, event: &str, extra: &[&str]) -> (i32, Value) {
    let mut cmd = Command::new("bash");
    cmd.arg(repo().join("infra/local/invoke.sh"))
        .arg(function)
        .arg(event)
        .args(extra)
        .current_dir(repo())
        .env("LIFELINE_URL", &l.base)
        .env("LIFELINE_LOCAL_TOKEN", &l.token);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("joined")
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

/// The function each sample is for: by file name, as `events/README.md` lists.
fn function_for(file: &str) -> &'static str {
    const BY_PREFIX: [(&str, &str); 16] = [
        // Lifeline's events: a lease's change to callback-lease, a corrected
        // caller ID to the notifier, a callback to incident-log, the others
        // to presence-override (which acts on a call's start and end, and
        // ignores the rest).
        ("lifeline.lease.", "callback-lease"),
        ("lifeline.call.caller_id_corrected", "notifier"),
        ("lifeline.callback.", "incident-log"),
        ("lifeline.", "presence-override"),
        ("stream-events", "stream-events"),
        ("dial-intake", "dial-intake"),
        ("call-events", "call-events"),
        ("callback-router", "callback-router"),
        ("presence-api", "presence-api"),
        ("presence-override", "presence-override"),
        ("callback-lease", "callback-lease"),
        ("notifier", "notifier"),
        ("incident-log", "incident-log"),
        ("connect-", "connect-adapter"),
        ("twilio-", "twilio-adapter"),
        ("", ""),
    ];
    BY_PREFIX
        .iter()
        .find(|(p, _)| file.starts_with(p))
        .map(|(_, f)| *f)
        .unwrap_or_default()
}

fn http_body(out: &Value) -> Value {
    serde_json::from_str(out["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// What each sample must produce, in an order where each finds what the
/// earlier ones recorded (the dial before its end, and so on).
fn expect(file: &str, out: &Value) {
    let status = out["statusCode"].as_i64();
    match file {
        "dial-intake.json" => {
            assert_eq!(status, Some(200), "{out}");
            let b = http_body(out);
            assert_eq!(b["action"], "emergency", "{b}");
            assert_eq!(b["degraded"], false, "{b}");
        }
        "dial-intake-ordinary.json" => {
            assert_eq!(http_body(out), json!({"action": "continue"}))
        }
        "call-events.json" => assert_eq!(status, Some(204), "{out}"),
        "callback-router.json" => {
            assert_eq!(status, Some(200), "{out}");
            assert!(http_body(out)["action"].is_string(), "{out}");
        }
        "presence-api-get.json" => {
            assert_eq!(status, Some(200), "{out}");
            assert_eq!(http_body(out)["agentId"], "a-42", "{out}");
        }
        "presence-api-put.json" => assert!(matches!(status, Some(200 | 204)), "{out}"),
        "presence-api-location-put.json" => {
            assert_eq!(status, Some(200), "{out}");
            assert_eq!(http_body(out)["locationQuality"], "dispatchable", "{out}");
        }
        // Run after the PUT (alphabetical order would put it first: either
        // the registered location or, on a fresh table, a 404 problem).
        "presence-api-location-get.json" => {
            assert!(matches!(status, Some(200 | 404)), "{out}")
        }
        "stream-events.json" => assert_eq!(out["batchItemFailures"], json!([]), "{out}"),
        "presence-override.json" | "lifeline.call.started.json" => {
            assert_eq!(out["applied"], "lifeline.call.started", "{out}")
        }
        "lifeline.call.ended.json" => assert_eq!(out["applied"], "lifeline.call.ended", "{out}"),
        "lifeline.call.caller_id_corrected.json" => {
            assert_eq!(out["corrected"], "c-1", "{out}")
        }
        f if f.starts_with("lifeline.notification.")
            || f.starts_with("lifeline.presence.")
            || f.starts_with("lifeline.incident.") =>
        {
            assert!(out["ignored"].is_string(), "{out}")
        }
        "notifier.json" => assert_eq!(out["notified"], "c-1", "{out}"),
        "incident-log.json" => assert_eq!(out["incidents"], json!(["c-1"]), "{out}"),
        // To incident-log: no incident holds that lease on a fresh table.
        "lifeline.callback.routed.json" => assert!(out["incidents"].is_array(), "{out}"),
        "callback-lease-event.json" | "lifeline.lease.changed.json" => {
            assert!(out["scheduled"].is_boolean(), "{out}")
        }
        "callback-lease-expiry.json" => assert!(out["released"].is_boolean(), "{out}"),
        "connect-outbound-whisper.json" => {
            assert_eq!(out["lifelineAction"], "emergency", "{out}");
            assert_eq!(out["degraded"], "false", "{out}");
            assert_eq!(out["recording"], "off", "{out}");
        }
        "connect-outbound-ordinary.json" => {
            assert_eq!(out, &json!({"lifelineAction": "continue"}))
        }
        "connect-inbound.json" => assert!(out["lifelineAction"].is_string(), "{out}"),
        "connect-disconnected.json" => assert_eq!(out["ended"], true, "{out}"),
        f if f.starts_with("twilio-") => {
            assert_eq!(status, Some(200), "{out}");
            assert_eq!(out["headers"]["content-type"], "text/xml", "{out}");
            let twiml = out["body"].as_str().unwrap_or_default();
            assert!(twiml.contains("<Response>"), "{twiml}");
            if f == "twilio-outbound.json" {
                assert!(
                    twiml.contains(r#"record="do-not-record""#)
                        && twiml.contains("<Number>911</Number>"),
                    "{twiml}"
                );
            }
        }
        other => panic!("no expectation for events/{other}: add one here"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_runs_through_invoke_sh() {
    let l = start(5).await;
    let dir = repo().join("events");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    // Dials first, then what refers to them, then the ends, then their news.
    let rank = |f: &str| match f {
        f if f.starts_with("dial-intake") || f.starts_with("connect-outbound") => 0,
        f if f.starts_with("twilio-outbound") => 0,
        f if f.contains("disconnected") || f == "call-events.json" || f == "twilio-status.json" => {
            2
        }
        // The bus's news of an end: presence-override acts on it only once
        // the call's end is recorded.
        "lifeline.call.ended.json" => 3,
        _ => 1,
    };
    files.sort_by_key(|f| (rank(f), f.clone()));
    assert!(files.len() >= 18, "{files:?}");
    for file in &files {
        let function = function_for(file);
        assert!(!function.is_empty(), "events/{file} is for no function");
        let path = format!("events/{file}");
        let (code, out) = invoke_sh(&l, function, &path, &[]).await;
        assert_eq!(code, 0, "invoke.sh {function} {path}: exit {code}, {out}");
        expect(file, &out);
        println!("ok  {function:<18} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_sh_reports_errors_as_the_runtime_does() {
    let l = start(1).await;
    // As-is, a sample's old signature is refused like any stale one; an
    // emergency dial fails open instead (its own number, nothing written).
    let (code, out) = invoke_sh(
        &l,
        "DialIntakeFunction",
        "events/dial-intake-ordinary.json",
        &["--as-is"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["statusCode"], 401, "{out}");
    let (code, out) = invoke_sh(
        &l,
        "DialIntakeFunction",
        "events/dial-intake.json",
        &["--as-is"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["statusCode"], 200, "{out}");
    let answer: serde_json::Value =
        serde_json::from_str(out["body"].as_str().unwrap_or("null")).expect("a JSON body");
    assert_eq!(
        (answer["action"].as_str(), answer["reason"].as_str()),
        (Some("emergency"), Some("unauthenticated")),
        "{answer}"
    );
    // An event the function cannot take: the runtime's error document, exit 1.
    let (code, out) = invoke_sh(&l, "callback-lease", "events/dial-intake.json", &[]).await;
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["errorType"], "UnrecognisedEvent", "{out}");
    let (code, out) = invoke_sh(&l, "presence-override", "events/connect-inbound.json", &[]).await;
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["errorType"], "BadEvent", "{out}");
    // No such function, no such file: usage errors.
    let (code, _) = invoke_sh(&l, "no-such-function", "events/dial-intake.json", &[]).await;
    assert_eq!(code, 2);
    let (code, _) = invoke_sh(&l, "dial-intake", "events/none.json", &[]).await;
    assert_eq!(code, 2);
    // The same through the route directly.
    let (out, error) = l
        .invoke("connect-adapter", &json!({"hello": "world"}))
        .await;
    assert!(error);
    assert_eq!(out["errorType"], "UnrecognisedEvent");
}

/// `infra/local/sign-curl.sh` signs as the runner verifies (scheme v2, bound
/// to the method and the path): a POST and a GET through it are accepted,
/// and its signature does not carry over to another route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_curl_signs_requests_the_runner_accepts() {
    let l = start(1).await;
    let run = |method: &'static str, path: &'static str, body: String| {
        let mut cmd = Command::new("bash");
        cmd.arg(repo().join("infra/local/sign-curl.sh"))
            .arg(path)
            .arg(body)
            .current_dir(repo())
            .env("LIFELINE_URL", &l.base)
            .env("METHOD", method);
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output())
                .await
                .expect("joined")
                .expect("bash runs");
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let dial = json!({"callId": "sc-1", "agentId": "a-42", "dialed": "911", "from": "+14255550100",
        "location": {"country": "US"}})
    .to_string();
    let out = run("POST", "/calls/outbound", dial).await;
    assert!(out.contains("HTTP 200"), "{out}");
    assert!(
        out.contains(r#""degraded":false"#),
        "a verified dial: {out}"
    );
    let out = run("GET", "/agents/a-42/presence", String::new()).await;
    assert!(out.contains("HTTP 200"), "{out}");
    assert!(
        out.contains("do_not_disturb") || out.contains("status"),
        "{out}"
    );
    // The same script's ordinary dial is verified too (an unverified one is 401).
    let ordinary =
        json!({"callId": "sc-2", "agentId": "a-42", "dialed": "5551234", "from": "+14255550100"})
            .to_string();
    let out = run("POST", "/calls/outbound", ordinary).await;
    assert!(
        out.contains("HTTP 200") && out.contains("continue"),
        "{out}"
    );
}
