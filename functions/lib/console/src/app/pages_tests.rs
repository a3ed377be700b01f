//! The configuration pages' answers: who may see and change them, the
//! same checks as the CLI, and what is stored afterwards.

use super::tests::{app_with_store, send, token};
use http::Method;
use lifeline_app::ports::{AdminStore, EscalationStore, TemplateStore};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{validate_family, MessageKind, Part, PartKey, TemplateFamily};

fn admin() -> Option<String> {
    Some(token(&["admin"]))
}

fn desk() -> Option<String> {
    Some(token(&["security-desk"]))
}

/// Every part of `family` as the editor's form sends it (CRLF lines, as
/// browsers send a textarea's), `alert.subject` replaced by `subject`.
fn form(family: &TemplateFamily, subject: &str, version: u64) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("locale", family.locale.as_str());
    f.append_pair("version", &version.to_string());
    for key in PartKey::all() {
        let source = if key == PartKey::new(MessageKind::Alert, Part::Subject) {
            subject.to_string()
        } else {
            family.source(key).replace('\n', "\r\n")
        };
        f.append_pair(&key.name(), &source);
    }
    f.finish()
}

#[tokio::test]
async fn the_desk_sees_incidents_but_no_configuration_and_may_not_change_the_template() {
    let (app, _, store) = app_with_store().await;
    for view in [
        "pools",
        "agents",
        "template",
        "escalation",
        "readiness",
        "dead-letters",
    ] {
        let r = send(
            &app,
            Method::GET,
            &format!("/console/api/{view}"),
            desk(),
            "",
        )
        .await;
        assert_eq!(r.status(), 403, "{view}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let en = TemplateFamily::builtin(Locale::En);
    for action in ["save", "preview"] {
        let r = send(
            &app,
            Method::POST,
            &format!("/console/api/template/{action}"),
            desk(),
            &form(&en, "Changed by the desk", 0),
        )
        .await;
        assert_eq!(r.status(), 403, "{action}: {}", r.body());
        assert!(r.body().contains("may not change the template"));
    }
    assert_eq!(store.current_family(Locale::En).await.unwrap(), None);
    let r = send(&app, Method::GET, "/console/api/incidents/c-1", desk(), "").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_admin_edits_a_template_with_the_push_checks_and_a_preview() {
    let (app, _, store) = app_with_store().await;
    let r = send(
        &app,
        Method::GET,
        "/console/api/template?locale=fr",
        admin(),
        "",
    )
    .await;
    assert_eq!(r.status(), 200);
    let page = r.body();
    assert!(page.contains("name=\"follow-up.sms\"") && page.contains("<iframe sandbox"));
    assert!(page.contains("aria-current=\"page\">fr<"), "{page}");

    let fr = TemplateFamily::builtin(Locale::Fr);
    let r = send(
        &app,
        Method::POST,
        "/console/api/template/preview",
        admin(),
        &form(&fr, "URGENCE {{ agent_name }} a appelé", 0),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(r.body().contains("URGENCE"), "{}", r.body());

    // Refused as the push refuses it, in its words; nothing stored.
    let bad = "{{ agent_name | safe }}";
    let mut refused = TemplateFamily::builtin(Locale::Fr);
    refused
        .edited
        .insert(PartKey::new(MessageKind::Alert, Part::Subject), bad.into());
    let words = validate_family(&refused)
        .expect_err("the push refuses it")
        .to_string();
    for action in ["preview", "save"] {
        let r = send(
            &app,
            Method::POST,
            &format!("/console/api/template/{action}"),
            admin(),
            &form(&fr, bad, 0),
        )
        .await;
        assert_eq!(r.status(), 400, "{action}");
        assert!(
            r.body().contains(&format!("template not saved: {words}")),
            "{}",
            r.body()
        );
    }
    assert_eq!(store.current_family(Locale::Fr).await.unwrap(), None);

    let r = send(
        &app,
        Method::POST,
        "/console/api/template/save",
        admin(),
        &form(&fr, "URGENCE {{ agent_name }}", 0),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.body());
    let saved = store
        .current_family(Locale::Fr)
        .await
        .unwrap()
        .expect("saved");
    assert_eq!(saved.version, 1);
    // Only the subject is an edit: the CRLF lines of the rest are the built-in ones.
    assert_eq!(
        saved.edited.keys().copied().collect::<Vec<_>>(),
        vec![PartKey::new(MessageKind::Alert, Part::Subject)]
    );
    // An edit started from version 0 again is a conflict, not an overwrite.
    let r = send(
        &app,
        Method::POST,
        "/console/api/template/save",
        admin(),
        &form(&fr, "Another", 0),
    )
    .await;
    assert_eq!(r.status(), 409, "{}", r.body());
    assert_eq!(
        store
            .current_family(Locale::Fr)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

#[tokio::test]
async fn numbers_are_added_to_a_pool_with_the_clis_checks() {
    let (app, _, store) = app_with_store().await;
    let add =
        |body: &'static str| send(&app, Method::POST, "/console/api/pools/add", admin(), body);
    let r = add("country=XX&numbers=%2B14155550100").await;
    assert_eq!(r.status(), 400);
    let r = add("country=US&numbers=%2B14155550100%0D%0Anot-a-number").await;
    assert_eq!(r.status(), 400);
    assert!(r.body().contains("not-a-number"), "{}", r.body());
    let now = chrono::Utc::now();
    assert!(
        store.list_pool(None, now).await.unwrap().is_empty(),
        "nothing written"
    );
    let r = add("country=US&numbers=%2B14155550100%0D%0A%2B14155550101").await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(r.body().contains("Added 2 to the US pool"));
    let r = add("country=US&numbers=%2B14155550100").await;
    assert!(r.body().contains("already present"), "{}", r.body());
    let page = send(&app, Method::GET, "/console/api/pools", admin(), "").await;
    assert!(
        page.body().contains("<strong>2</strong> free"),
        "{}",
        page.body()
    );
}

#[tokio::test]
async fn an_agents_recipients_are_replaced_with_the_clis_parser() {
    let (app, _, store) = app_with_store().await;
    store
        .put_agent(&lifeline_domain::testing::agent("a-42"))
        .await
        .unwrap();
    let before = store.get_agent(&"a-42".parse().unwrap()).await.unwrap();
    let r = send(
        &app,
        Method::POST,
        "/console/api/agents/save",
        admin(),
        "agent=a-42&recipients=chat%3Ahttps%3A%2F%2Fevil.example.com%2Fhook",
    )
    .await;
    assert_eq!(r.status(), 400, "a host off the allow-list");
    assert_eq!(
        store.get_agent(&"a-42".parse().unwrap()).await.unwrap(),
        before
    );
    let r = send(
        &app,
        Method::POST,
        "/console/api/agents/save",
        admin(),
        "agent=a-42&recipients=desk%40example.com%3B+sms%3A%2B14155550123",
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.body());
    let saved = store
        .get_agent(&"a-42".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.recipients.len(), 2);
    let page = send(&app, Method::GET, "/console/api/agents", admin(), "").await;
    assert!(page.body().contains("e-mail 1, SMS 1"), "{}", page.body());
    assert!(
        !page.body().contains("4155550123"),
        "the number is masked: {}",
        page.body()
    );
}

#[tokio::test]
async fn the_escalation_policy_changes_as_the_cli_changes_it() {
    let (app, _, store) = app_with_store().await;
    let save = |body: &'static str| {
        send(
            &app,
            Method::POST,
            "/console/api/escalation/save",
            admin(),
            body,
        )
    };
    assert_eq!(
        save("target=tier&tier=2&recipients=boss%40example.com")
            .await
            .status(),
        400,
        "tier 2 needs its delay"
    );
    assert_eq!(store.escalation_policy().await.unwrap().tiers.len(), 0);
    let r = save("target=tier&tier=2&after_minutes=5&recipients=boss%40example.com").await;
    assert_eq!(r.status(), 200, "{}", r.body());
    let policy = store.escalation_policy().await.unwrap();
    assert_eq!(policy.tiers[0].after, chrono::Duration::minutes(5));
    let page = send(&app, Method::GET, "/console/api/escalation", admin(), "").await;
    assert!(
        page.body().contains("5 min after the incident opened"),
        "{}",
        page.body()
    );
}

#[tokio::test]
async fn readiness_shows_each_check_with_its_fix_and_a_replay_needs_confirming() {
    let (app, _, _) = app_with_store().await;
    let r = send(&app, Method::GET, "/console/api/readiness", admin(), "").await;
    assert!(
        r.body().contains("Not ready") && r.body().contains("deploy the stack"),
        "{}",
        r.body()
    );
    let r = send(
        &app,
        Method::POST,
        "/console/api/dead-letters/replay",
        admin(),
        "id=m-1",
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = send(
        &app,
        Method::POST,
        "/console/api/dead-letters/replay",
        admin(),
        "id=m-1&confirm=yes",
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn an_incidents_page_has_its_timeline_and_a_summary_for_the_psap() {
    let (app, _, _) = app_with_store().await;
    let r = send(&app, Method::GET, "/console/api/incidents/c-1", desk(), "").await;
    assert_eq!(r.status(), 200);
    let page = r.body();
    assert!(
        page.contains("For the PSAP") && page.contains("Callback number: +1"),
        "{page}"
    );
    assert!(
        page.contains("Location: unknown — ask the caller."),
        "{page}"
    );
    assert!(page.contains("<td>dialed</td>"), "{page}");
    let r = send(
        &app,
        Method::GET,
        "/console/api/incidents/c-404",
        desk(),
        "",
    )
    .await;
    assert_eq!(r.status(), 404);
    // The shell of an incident's page names where its content comes from.
    let r = send(&app, Method::GET, "/console/incidents/c-1", None, "").await;
    assert!(r.body().contains("data-src=\"/console/api/incidents/c-1\""));
}

#[tokio::test]
async fn the_default_locale_is_set_as_the_cli_sets_it() {
    let (app, _, store) = app_with_store().await;
    let path = "/console/api/template/default-locale";
    assert_eq!(
        send(&app, Method::POST, path, desk(), "locale=fr")
            .await
            .status(),
        403
    );
    assert_eq!(
        send(&app, Method::POST, path, admin(), "locale=xx")
            .await
            .status(),
        400
    );
    assert_eq!(store.tenant_locale().await.unwrap(), None);
    let r = send(&app, Method::POST, path, admin(), "locale=fr").await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert_eq!(store.tenant_locale().await.unwrap(), Some(Locale::Fr));
    let page = send(&app, Method::GET, "/console/api/template", admin(), "").await;
    assert!(
        page.body()
            .contains("<option value=\"fr\" selected>fr</option>"),
        "{}",
        page.body()
    );
}
