//! Every flow: a well-formed graph, the adapter invoked as its contract says
//! and failing open, an error branch wherever an action can fail, recording off.

use super::model::*;
use std::collections::BTreeSet;

#[test]
fn every_flow_is_a_well_formed_graph() {
    for flow in all() {
        let name = flow.name;
        assert_eq!(flow.json["Version"], "2019-10-30", "{name}: Version");
        assert!(!flow.actions().is_empty(), "{name}: no actions");
        let allowed = ALLOWED
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, types)| *types)
            .expect("allowed types");
        for a in flow.actions() {
            assert!(
                allowed.contains(&kind(a)),
                "{name}: {} ({}) is not available in this type of flow",
                id(a),
                kind(a)
            );
        }

        let mut ids = BTreeSet::new();
        for a in flow.actions() {
            let ident = id(a);
            assert!(ids.insert(ident), "{name}: duplicate Identifier {ident}");
            assert!(
                !ident.is_empty() && ident.chars().count() <= 50,
                "{name}: Identifier {ident:?} must be 1 to 50 characters"
            );
            assert!(
                !ident.chars().any(|c| FORBIDDEN_IN_IDENTIFIER.contains(c)),
                "{name}: Identifier {ident:?} has a character the Flow language forbids"
            );
            assert!(
                a["Parameters"].is_object(),
                "{name}: {ident} has no Parameters object"
            );
            assert!(
                a["Transitions"].is_object(),
                "{name}: {ident} has no Transitions object"
            );
            for e in a["Transitions"]["Errors"].as_array().into_iter().flatten() {
                assert!(
                    e["ErrorType"].is_string(),
                    "{name}: {ident}: error without ErrorType"
                );
            }
            for c in a["Transitions"]["Conditions"]
                .as_array()
                .into_iter()
                .flatten()
            {
                assert!(
                    c["Condition"]["Operator"].is_string() && c["Condition"]["Operands"].is_array(),
                    "{name}: {ident}: condition without Operator and Operands"
                );
            }
        }

        assert!(
            ids.contains(flow.start()),
            "{name}: StartAction {} is not an action",
            flow.start()
        );
        for a in flow.actions() {
            for (label, next) in edges(a) {
                assert!(
                    ids.contains(next.as_str()),
                    "{name}: {} {label} -> {next}, which does not exist",
                    id(a)
                );
            }
            if !TERMINAL.contains(&kind(a)) && !WAITS.contains(&kind(a)) {
                assert!(
                    a["Transitions"]["NextAction"].is_string(),
                    "{name}: {} ({}) has no NextAction",
                    id(a),
                    kind(a)
                );
            }
        }

        let reachable = flow.reachable(flow.start());
        for ident in &ids {
            assert!(
                reachable.contains(*ident),
                "{name}: {ident} is unreachable from StartAction"
            );
        }

        let meta = flow.json["Metadata"]["ActionMetadata"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: Metadata.ActionMetadata missing"));
        let meta_ids: BTreeSet<&str> = meta.keys().map(String::as_str).collect();
        assert_eq!(
            meta_ids, ids,
            "{name}: ActionMetadata must list exactly the actions"
        );

        let text = flow.json.to_string();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("${") {
            let tail = &rest[at..];
            let end = tail.find('}').map(|e| e + 1).unwrap_or(tail.len());
            let placeholder = &tail[..end];
            assert!(
                PLACEHOLDERS.contains(&placeholder),
                "{name}: {placeholder} is not a placeholder render.sh substitutes"
            );
            rest = &tail[end..];
        }
    }
}

#[test]
fn every_lambda_invocation_is_the_adapter_and_fails_open() {
    for (flow, flow_param) in [
        (Flow::load(OUTBOUND), "outbound"),
        (Flow::load(INBOUND), "inbound"),
    ] {
        let name = flow.name;
        let invokes = flow.of_type("InvokeLambdaFunction");
        assert!(!invokes.is_empty(), "{name}: no InvokeLambdaFunction");
        for a in invokes {
            let p = &a["Parameters"];
            assert_eq!(
                p["LambdaFunctionARN"],
                "${ConnectAdapterArn}",
                "{name}: {}",
                id(a)
            );
            assert_eq!(
                p["InvocationTimeLimitSeconds"], "8",
                "{name}: timeout is Connect's maximum"
            );
            assert_eq!(
                p["ResponseValidation"]["ResponseType"],
                "STRING_MAP",
                "{name}: {}",
                id(a)
            );
            assert_eq!(
                p["LambdaInvocationAttributes"]["flow"], flow_param,
                "{name}: passes flow"
            );
            assert!(
                on_error(a, "NoMatchingError").is_some(),
                "{name}: {} has no error branch: a Lambda failure must not stop the call",
                id(a)
            );
        }
    }
}

#[test]
fn every_action_that_can_fail_has_its_error_branch() {
    for flow in all() {
        for a in flow.actions() {
            let needed: &[&str] = match kind(a) {
                "Compare" => &["NoMatchingCondition"],
                "TransferContactToQueue" | "DequeueContactAndTransferToQueue" => {
                    &["QueueAtCapacity", "NoMatchingError"]
                }
                // Both only with ContinueFlowExecution True, which every ring here uses.
                "TransferParticipantToThirdParty" => &[
                    "CallFailed",
                    "ConnectionTimeLimitExceeded",
                    "NoMatchingError",
                ],
                "InvokeLambdaFunction"
                | "UpdateContactAttributes"
                | "UpdateContactTargetQueue"
                | "UpdateContactEventHooks"
                | "CheckMetricData"
                | "TransferToFlow"
                | "MessageParticipant"
                | "MessageParticipantIteratively" => &["NoMatchingError"],
                _ => &[],
            };
            for error_type in needed {
                assert!(
                    on_error(a, error_type).is_some(),
                    "{}: {} ({}) does not handle {error_type}",
                    flow.name,
                    id(a),
                    kind(a)
                );
            }
        }
    }
}

#[test]
fn recording_is_off_on_every_path_that_places_or_connects_a_call() {
    for flow in all() {
        for a in flow.of_type("UpdateContactRecordingBehavior") {
            assert!(
                recording_off(a),
                "{}: {} turns recording on",
                flow.name,
                id(a)
            );
        }
        assert!(
            !flow.json.to_string().contains("AnalyticsBehavior"),
            "{}: no analytics on these calls",
            flow.name
        );
        let by_id = flow.by_id();
        for (ident, off) in flow.walk(flow.start(), recording_off) {
            let action = by_id[ident.as_str()];
            if connects_a_call(action) {
                assert!(
                    off,
                    "{}: a path reaches {ident} ({}) with recording on",
                    flow.name,
                    kind(action)
                );
            }
        }
    }
}
