//! `infra/connect/render.sh`: placeholders filled, ARNs checked.

use super::model::*;
use serde_json::Value;

/// `render.sh` fills every placeholder and writes valid JSON, in two passes
/// (the inbound flow names the customer queue flow, which must be imported
/// first), takes the adapter and the fallback queue from the stack's outputs
/// with `--stack`, and refuses an ARN of the wrong kind or instance.
#[test]
fn render_fills_every_placeholder() {
    let dir = std::env::temp_dir().join(format!("lifeline-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/connect/render.sh");
    let instance =
        "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c";
    let queue_arn = format!("{instance}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    let normal = format!("{instance}/contact-flow/bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee");
    let queue_flow = format!("{instance}/contact-flow/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee");
    let run = |out: &std::path::Path, args: &[&str], path: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(script).args(args).arg("--out").arg(out);
        if let Some(bin) = path {
            let old = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{old}", bin.display()));
        }
        cmd.output().expect("bash runs")
    };
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let rendered = |out: &std::path::Path, file: &str| -> String {
        let text = std::fs::read_to_string(out.join(file)).expect("rendered");
        assert!(!text.contains("${"), "{file} keeps a placeholder");
        let flow: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(flow["Version"], "2019-10-30");
        text
    };
    let adapter = "arn:aws:lambda:us-east-1:111122223333:function:lifeline-connect";
    let base = [
        "--connect-adapter-arn",
        adapter,
        "--fallback-queue-arn",
        queue_arn.as_str(),
        "--normal-inbound-flow-arn",
        normal.as_str(),
    ];

    // First pass: the whisper and the customer queue flow; the inbound flow waits.
    let first = dir.join("first");
    let said = ok(&run(&first, &base, None));
    assert!(rendered(&first, OUTBOUND).contains("function:lifeline-connect"));
    assert!(rendered(&first, QUEUE).contains(&queue_arn));
    assert!(
        !first.join(INBOUND).exists(),
        "the inbound flow needs the queue flow's ARN"
    );
    assert!(said.contains("--type CUSTOMER_QUEUE"), "{said}");
    assert!(said.contains("--callback-queue-flow-arn"), "{said}");

    // Second pass, with the imported queue flow's ARN.
    let second = dir.join("second");
    let mut args = base.to_vec();
    args.extend(["--callback-queue-flow-arn", queue_flow.as_str()]);
    let said = ok(&run(&second, &args, None));
    let text = rendered(&second, INBOUND);
    for value in [
        adapter,
        queue_arn.as_str(),
        normal.as_str(),
        queue_flow.as_str(),
    ] {
        assert!(text.contains(value), "{INBOUND} lacks {value}");
    }
    assert!(said.contains("--type CONTACT_FLOW"), "{said}");

    // --stack: the adapter and the fallback queue from the stack's outputs (a
    // stand-in `aws` answers describe-stacks as the CLI does with --query).
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let outputs = serde_json::json!([
        {"OutputKey": "ConnectAdapterFunctionArn", "OutputValue": adapter},
        {"OutputKey": "ConnectFallbackQueueArn", "OutputValue": queue_arn},
    ]);
    let fake = bin.join("aws");
    std::fs::write(
        &fake,
        format!(
            "#!/usr/bin/env bash\n[ \"$1 $2 $3 $4\" = \"cloudformation describe-stacks --stack-name lifeline-test\" ] || exit 254\necho '{outputs}'\n"
        ),
    )
    .expect("fake aws");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .expect("chmod");
    let stacked = dir.join("stack");
    ok(&run(
        &stacked,
        &[
            "--stack",
            "lifeline-test",
            "--normal-inbound-flow-arn",
            normal.as_str(),
        ],
        Some(&bin),
    ));
    assert!(rendered(&stacked, OUTBOUND).contains("function:lifeline-connect"));
    assert!(rendered(&stacked, QUEUE).contains(&queue_arn));
    let missing = run(
        &dir.join("missing"),
        &["--stack", "other-stack"],
        Some(&bin),
    );
    assert!(
        !missing.status.success(),
        "a stack that cannot be read is refused"
    );

    // Refused: a malformed ARN, a queue flow of another instance.
    let mut bad = base.to_vec();
    bad[1] = "not-an-arn";
    assert!(
        !run(&dir.join("bad"), &bad, None).status.success(),
        "a malformed ARN"
    );
    let other = "arn:aws:connect:us-east-1:111122223333:instance/dddddddd-2200-4265-82c0-5a4d8e2b1f3c/contact-flow/cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee";
    let mut args = base.to_vec();
    args.extend(["--callback-queue-flow-arn", other]);
    let refused = run(&dir.join("other"), &args, None);
    assert!(
        !refused.status.success(),
        "a queue flow of another instance"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("different instances"));
    let _ = std::fs::remove_dir_all(&dir);
}
