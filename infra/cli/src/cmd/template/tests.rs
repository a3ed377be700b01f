//! What a preview says, and the window it takes.

use super::*;
use crate::cmd::{Cli, Command};
use clap::Parser;
use lifeline_domain::notification::sample_for;

#[test]
fn a_preview_says_each_recipient_gets_a_message_of_its_own() {
    assert_eq!(
        preview_to(&Recipients::default()),
        "(no recipients: nothing would be sent)"
    );
    assert_eq!(
        preview_to(&Recipients::parse("a@example.com").unwrap()),
        "a@example.com"
    );
    assert_eq!(
        preview_to(&Recipients::parse("a@example.com; b@example.com").unwrap()),
        "a@example.com, b@example.com (one message to each; nobody sees the others)"
    );
}

#[test]
fn a_preview_takes_the_configured_window() {
    let window = |args: &[&str]| match Cli::try_parse_from(
        ["lifeline", "template", "preview", "--agent", "a-42"]
            .iter()
            .chain(args),
    )
    .map(|c| c.command)
    {
        Ok(Command::Template(TemplateCmd::Preview { window_minutes, .. })) => Ok(window_minutes),
        Ok(_) => unreachable!("a preview"),
        Err(e) => Err(e.kind()),
    };
    assert_eq!(window(&["--window-minutes", "90"]), Ok(90));
    assert!(window(&["--window-minutes", "30"]).is_err(), "at least 60");
    if std::env::var_os("LIFELINE_CALLBACK_WINDOW_MINUTES").is_none() {
        assert_eq!(window(&[]), Ok(60));
    }
}

/// The preview's default and bounds are the functions' own (the settings table).
#[test]
fn the_preview_window_is_bounded_as_the_functions_bound_it() {
    let setting = lifeline_app::settings::table::LIFELINE_CALLBACK_WINDOW_MINUTES;
    let (range, _) = setting.range::<i64>().expect("a whole-number setting");
    assert_eq!(range, 60..=1440, "the preview's value_parser range");
    assert_eq!(
        setting.default_number::<i64>().ok(),
        Some(60),
        "its default"
    );
}

/// A fresh folder for one test.
fn folder(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lifeline-template-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn parse(args: &[&str]) -> Result<TemplateCmd, clap::error::ErrorKind> {
    match Cli::try_parse_from(["lifeline", "template"].iter().chain(args)).map(|c| c.command) {
        Ok(Command::Template(cmd)) => Ok(cmd),
        Ok(_) => unreachable!("a template command"),
        Err(e) => Err(e.kind()),
    }
}

#[test]
fn push_and_show_take_a_locale_english_by_default() {
    match parse(&["push"]) {
        Ok(TemplateCmd::Push { locale, dir }) => {
            assert_eq!((locale, dir), (Locale::En, None));
        }
        _ => panic!("a push"),
    }
    match parse(&["push", "--locale", "es", "--dir", "/tmp/es"]) {
        Ok(TemplateCmd::Push { locale, dir }) => {
            assert_eq!(locale, Locale::Es);
            assert_eq!(dir.as_deref(), Some(std::path::Path::new("/tmp/es")));
        }
        _ => panic!("a push"),
    }
    assert!(matches!(
        parse(&["show", "--locale", "DA"]),
        Ok(TemplateCmd::Show { locale: Locale::Da })
    ));
    assert!(matches!(
        parse(&["show"]),
        Ok(TemplateCmd::Show { locale: Locale::En })
    ));
    assert!(
        parse(&["show", "--locale", "xx"]).is_err(),
        "an unknown locale"
    );
    assert!(parse(&["push", "--locale", "es-MX"]).is_err());
    assert!(matches!(
        parse(&[
            "preview",
            "--agent",
            "a-1",
            "--locale",
            "fr",
            "--kind",
            "follow-up"
        ]),
        Ok(TemplateCmd::Preview {
            locale: Locale::Fr,
            kind: MessageKind::FollowUp,
            ..
        })
    ));
    assert!(parse(&["preview", "--agent", "a-1", "--kind", "drill"]).is_err());
}

#[test]
fn todays_english_folder_is_the_built_in_alert_email() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../templates/emergency-call-notification");
    let family = family_from_dir(&dir, Locale::En, 1).unwrap();
    assert!(family.edited.is_empty(), "{:?}", family.edited.keys());
    check(&family).unwrap();
}

#[test]
fn a_locale_folder_pushes_only_its_edited_parts_and_shows_them() {
    let dir = folder("es-edit");
    std::fs::write(
        dir.join("sms.txt"),
        "EMERGENCIA {{ dialed }}: {{ agent_name }}. {{ ack_link }}",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("escalation")).unwrap();
    std::fs::write(
        dir.join("escalation/chat.txt"),
        "Escalado: {{ agent_name }} {{ ack_link }}",
    )
    .unwrap();
    let family = family_from_dir(&dir, Locale::Es, 3).unwrap();
    assert_eq!(family.locale, Locale::Es);
    assert_eq!(family.version, 3);
    let edited: Vec<String> = family.edited.keys().map(|k| k.path()).collect();
    assert_eq!(edited, ["sms.txt", "escalation/chat.txt"]);
    check(&family).unwrap();
    let shown = show_text(&family);
    assert!(
        shown.starts_with(
            "# EmergencyCallNotification es (version 3; edited: sms.txt, escalation/chat.txt)\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("## sms.txt\nEMERGENCIA {{ dialed }}"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "## subject.txt (built-in)\n{% if test %}PRUEBA - {% endif %}Llamada de emergencia"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("## correction/sms.txt (built-in)\n"),
        "{shown}"
    );
    // Exported and pushed back unchanged: nothing edited.
    let out = folder("es-export");
    export(&family, &out).unwrap();
    assert_eq!(
        family_from_dir(&out, Locale::Es, 4).unwrap().edited,
        family.edited
    );
    export(&TemplateFamily::builtin(Locale::De), &out).unwrap();
    assert!(family_from_dir(&out, Locale::De, 1)
        .unwrap()
        .edited
        .is_empty());
    // A folder with no template file is a mistake, not a push of nothing.
    assert!(family_from_dir(&folder("empty"), Locale::Es, 1).is_err());
}

#[test]
fn an_sms_over_two_segments_is_refused_and_nothing_is_pushed() {
    let dir = folder("fr-long");
    std::fs::create_dir_all(dir.join("follow-up")).unwrap();
    std::fs::write(
        dir.join("follow-up/sms.txt"),
        format!(
            "{} {{{{ agent_name }}}} {{{{ ack_link }}}}",
            "Appel d'urgence terminé. ".repeat(10)
        ),
    )
    .unwrap();
    let family = family_from_dir(&dir, Locale::Fr, 1).unwrap();
    let Err(Failure::Usage(said)) = check(&family) else {
        panic!("refused")
    };
    assert!(
        said.starts_with("template not saved: fr, follow-up sms: "),
        "{said}"
    );
    assert!(
        said.contains("segments") && said.contains("at most 2"),
        "{said}"
    );
}

#[test]
fn every_part_of_every_locale_is_guarded_as_the_email_was() {
    let dir = folder("da-safe");
    std::fs::create_dir_all(dir.join("correction")).unwrap();
    std::fs::write(
        dir.join("correction/body.html"),
        "<p>{{ agent_name|safe }}</p>",
    )
    .unwrap();
    let Err(Failure::Usage(said)) = check(&family_from_dir(&dir, Locale::Da, 1).unwrap()) else {
        panic!("refused")
    };
    assert!(
        said.starts_with("template not saved: da, correction html"),
        "{said}"
    );
    assert!(said.contains("`|safe` is not allowed"), "{said}");
}

#[test]
fn a_preview_shows_every_channel_in_the_locale() {
    let family = TemplateFamily::builtin(Locale::De);
    let data = sample_for(MessageKind::Alert, true, true);
    let text = preview_text(&family, MessageKind::Alert, &data, &Recipients::default()).unwrap();
    assert!(text.contains("Subject: TEST - Notruf 933"), "{text}");
    assert!(text.contains("--- SMS (2 segment(s), GSM-7"), "{text}");
    assert!(text.contains("--- Chat ---\nTEST: "), "{text}");
}

#[test]
fn the_tenants_default_locale_is_english_until_set() {
    assert_eq!(default_locale_text(None), "en (not set: the default)\n");
    assert_eq!(default_locale_text(Some(Locale::Da)), "da\n");
    assert!(matches!(
        parse(&["default-locale", "--set", "fr"]),
        Ok(TemplateCmd::DefaultLocale {
            set: Some(Locale::Fr)
        })
    ));
    assert!(matches!(
        parse(&["default-locale"]),
        Ok(TemplateCmd::DefaultLocale { set: None })
    ));
    assert!(parse(&["default-locale", "--set", "pt"]).is_err());
}
