//! Every locale's family: it validates, each kind renders on each channel
//! from the sample data, a drill says TEST first, a misdial is flagged, the
//! acknowledgement link is in every text and the SMS fits two segments.

use super::*;
use crate::locale::Locale;
use crate::notification::sample::{longest_sample, sample_data, sample_for, SAMPLE_ACK_LINK};
use crate::notification::sms::SmsEncoding;
use crate::notification::template::render;
use proptest::prelude::*;

fn email(m: RenderedMessage) -> RenderedEmail {
    match m {
        RenderedMessage::Email(e) => e,
        other => panic!("an e-mail, not {other:?}"),
    }
}

fn sms(m: RenderedMessage) -> RenderedSms {
    match m {
        RenderedMessage::Sms(s) => s,
        other => panic!("an SMS, not {other:?}"),
    }
}

fn chat(m: RenderedMessage) -> String {
    match m {
        RenderedMessage::Chat(c) => c,
        other => panic!("a chat text, not {other:?}"),
    }
}

/// Every text of a message: subject, HTML, text, SMS, chat.
fn texts(family: &TemplateFamily, kind: MessageKind, data: &NotificationData) -> Vec<String> {
    let e = email(render_message(family, kind, Channel::Email, data).unwrap());
    let s = sms(render_message(family, kind, Channel::Sms, data).unwrap());
    let c = chat(render_message(family, kind, Channel::Chat, data).unwrap());
    vec![e.subject, e.html, e.text, s.text, c]
}

#[test]
fn every_builtin_family_validates() {
    for locale in Locale::ALL {
        validate_family(&TemplateFamily::builtin(locale)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn every_kind_renders_on_every_channel_with_the_ack_link() {
    for locale in Locale::ALL {
        let family = TemplateFamily::builtin(locale);
        for kind in MessageKind::ALL {
            let data = sample_for(kind, false, true);
            for (i, text) in texts(&family, kind, &data).into_iter().enumerate() {
                assert!(!text.trim().is_empty(), "{locale} {kind} part {i}");
                if i > 0 {
                    // Not in the subject: in every body (HTML-escaped in
                    // the HTML part, where a browser reads it back).
                    let link = match i {
                        1 => SAMPLE_ACK_LINK.replace('/', "&#x2f;"),
                        _ => SAMPLE_ACK_LINK.to_string(),
                    };
                    assert!(
                        text.contains(&link),
                        "{locale} {kind} part {i} lacks the ack link:\n{text}"
                    );
                }
                // No value printed as minijinja's `none`.
                assert!(
                    !text.contains(" none ")
                        && !text.contains(" none.")
                        && !text.contains("(none)"),
                    "{locale} {kind} part {i}: {text}"
                );
            }
        }
    }
}

#[test]
fn a_drill_says_test_first_in_every_part() {
    for locale in Locale::ALL {
        let marker = super::phrases(locale).test;
        let family = TemplateFamily::builtin(locale);
        for kind in MessageKind::ALL {
            let data = sample_for(kind, true, true);
            let [subject, html, text, sms, chat]: [String; 5] =
                texts(&family, kind, &data).try_into().unwrap();
            for (part, t) in [
                ("subject", &subject),
                ("text", &text),
                ("sms", &sms),
                ("chat", &chat),
            ] {
                let t = t.trim_start_matches(['[', '*', ' ']);
                assert!(t.starts_with(marker), "{locale} {kind} {part}: {t}");
            }
            // In the HTML: the title and the first thing in the body.
            let body = &html[html.find("<body").unwrap()..];
            let first_text = body
                .split(['<', '>'])
                .skip(2)
                .step_by(2)
                .map(str::trim)
                .find(|t| !t.is_empty())
                .unwrap();
            assert!(
                first_text.starts_with(marker),
                "{locale} {kind} html: {first_text}"
            );
            let real = texts(&family, kind, &sample_for(kind, false, true));
            assert!(!real[0].starts_with(marker), "{locale} {kind}: {}", real[0]);
        }
    }
}

#[test]
fn a_short_call_is_flagged_a_possible_misdial() {
    let misdial = [
        "misdial",
        "error de marcación",
        "erreur de numérotation",
        "verwählt",
        "fejlopkald",
    ];
    for (locale, word) in Locale::ALL.into_iter().zip(misdial) {
        let family = TemplateFamily::builtin(locale);
        let base = sample_data(false, true).with_ack_link(SAMPLE_ACK_LINK);
        let short = base.clone().ended(
            chrono::Duration::seconds(4),
            false,
            chrono::Duration::seconds(10),
        );
        assert!(short.possible_misdial);
        let long = base.ended(
            chrono::Duration::seconds(245),
            true,
            chrono::Duration::seconds(10),
        );
        assert_eq!(long.duration.as_deref(), Some("4:05"));
        let flagged = texts(&family, MessageKind::FollowUp, &short);
        for (i, t) in flagged.iter().enumerate().skip(1) {
            // The SMS keeps to GSM-7: "marcar" in Spanish.
            let w = if locale == Locale::Es && i == 3 {
                "error al marcar"
            } else {
                word
            };
            assert!(
                t.to_lowercase().contains(&w.to_lowercase()),
                "{locale} part {i}: {t}"
            );
        }
        for t in texts(&family, MessageKind::FollowUp, &long) {
            assert!(
                !t.to_lowercase().contains(&word.to_lowercase()),
                "{locale}: {t}"
            );
            assert!(t.contains("4:05") || !t.contains("0:04"), "{locale}: {t}");
        }
    }
}

#[test]
fn escalations_and_corrections_say_what_they_are() {
    for locale in Locale::ALL {
        let family = TemplateFamily::builtin(locale);
        for t in texts(
            &family,
            MessageKind::Escalation,
            &sample_for(MessageKind::Escalation, false, true),
        )
        .iter()
        .skip(1)
        {
            assert!(t.contains("10"), "{locale}: the minutes in {t}");
        }
        let correction = texts(
            &family,
            MessageKind::Correction,
            &sample_for(MessageKind::Correction, false, true),
        );
        assert!(
            correction[0].contains("+14255550199"),
            "{locale}: {}",
            correction[0]
        );
        for t in correction.iter().skip(1) {
            assert!(
                t.contains("+14255550199"),
                "{locale}: the number presented in {t}"
            );
            assert!(
                t.contains("+14255550123"),
                "{locale}: the number named before in {t}"
            );
        }
    }
}

#[test]
fn every_sms_fits_two_segments_with_the_longest_values() {
    for locale in Locale::ALL {
        let family = TemplateFamily::builtin(locale);
        for kind in MessageKind::ALL {
            let s =
                sms(render_message(&family, kind, Channel::Sms, &longest_sample(kind)).unwrap());
            assert_eq!(
                s.segments.encoding,
                SmsEncoding::Gsm7,
                "{locale} {kind}: {}",
                s.text
            );
            assert!(
                s.segments.segments <= 2,
                "{locale} {kind}: {:?} {}",
                s.segments,
                s.text
            );
            assert!(s.text.contains(SAMPLE_ACK_LINK), "{locale} {kind}");
            assert!(!s.text.contains('\n'), "one paragraph");
        }
    }
}

#[test]
fn an_sms_over_two_segments_is_refused_naming_locale_kind_and_sample() {
    let mut family = TemplateFamily::builtin(Locale::Fr);
    family.edited.insert(
        PartKey::new(MessageKind::Escalation, Part::Sms),
        "{{ agent_name }} {{ location_lines|join(', ') }} {{ ack_link }} ".repeat(3),
    );
    let e = validate_family(&family).unwrap_err();
    assert!(
        matches!(
            e,
            FamilyError::SmsTooLong {
                locale: Locale::Fr,
                kind: MessageKind::Escalation,
                ..
            }
        ),
        "{e}"
    );
    let said = e.to_string();
    assert!(said.starts_with("fr, escalation sms: "), "{said}");
    assert!(said.contains("at most 2"), "{said}");
    // One character outside GSM-7 makes the whole text UCS-2: 134 at most.
    family.edited.insert(
        PartKey::new(MessageKind::Escalation, Part::Sms),
        "ça {{ agent_name }}: {{ location_lines|join(', ') }} {{ ack_link }}".into(),
    );
    let e = validate_family(&family).unwrap_err();
    assert!(e.to_string().contains("UCS-2"), "{e}");
}

#[test]
fn every_part_is_guarded_as_the_email_is() {
    for part in Part::ALL {
        for (source, what) in [
            ("{{ agent_name|safe }}", "`|safe`"),
            (
                "{% autoescape false %}{{ agent_name }}{% endautoescape %}",
                "autoescape",
            ),
            ("{{ agent_nmae }}", "agent_nmae"),
        ] {
            let mut family = TemplateFamily::builtin(Locale::De);
            family
                .edited
                .insert(PartKey::new(MessageKind::FollowUp, part), source.into());
            let e = validate_family(&family).unwrap_err();
            let said = e.to_string();
            assert!(
                said.starts_with(&format!("de, follow-up {}", part.as_str())),
                "{said}"
            );
            assert!(said.contains(what), "{said}");
        }
    }
    // Unbounded work: out of fuel, in the SMS as in the e-mail.
    let mut family = TemplateFamily::builtin(Locale::Da);
    family.edited.insert(
        PartKey::new(MessageKind::Alert, Part::Sms),
        "{% for a in location_lines %}{% for b in location_lines %}{% for c in location_lines %}{% for d in location_lines %}{% for e in location_lines %}{% for f in location_lines %}x{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}".into(),
    );
    assert!(validate_family(&family)
        .unwrap_err()
        .to_string()
        .contains("out of fuel"));
}

#[test]
fn the_english_alert_email_is_todays_template() {
    let family = TemplateFamily::builtin(Locale::En);
    assert_eq!(family.alert_email(), NotificationTemplate::builtin());
    let data = sample_data(false, true);
    assert_eq!(
        email(render_message(&family, MessageKind::Alert, Channel::Email, &data).unwrap()),
        render(&NotificationTemplate::builtin(), &data).unwrap()
    );
}

#[test]
fn descriptions_are_in_the_recipients_words() {
    let data = sample_data(false, true);
    let es = data.clone().localized(Locale::Es);
    assert_eq!(
        es.location_quality.as_deref(),
        Some("dispatchable"),
        "codes stay"
    );
    assert!(es
        .location_quality_description
        .unwrap()
        .starts_with("Completa"));
    assert!(es.route_description.starts_with("Oferta directa"));
    // English words are the data's own.
    assert_eq!(data.clone().localized(Locale::En), data);
    let unknown = NotificationData {
        callback_number: "not known (no number could be presented)".into(),
        ..data
    };
    assert!(unknown
        .localized(Locale::De)
        .callback_number
        .starts_with("unbekannt"));
}

#[test]
fn a_recipients_locale_wins_then_the_tenants_then_english() {
    assert_eq!(
        choose_locale(Some(Locale::Da), Some(Locale::Fr)),
        Locale::Da
    );
    assert_eq!(choose_locale(None, Some(Locale::Fr)), Locale::Fr);
    assert_eq!(choose_locale(None, None), Locale::En);
}

#[test]
fn non_english_templates_hold_no_english_words() {
    // Words of the English templates that no other language shares.
    let english = [
        " the ",
        " dialed ",
        "callback",
        "emergency",
        " call ",
        "acknowledge",
        "location",
        " not ",
        " within ",
        "agent's",
        " ended",
    ];
    for locale in [Locale::Es, Locale::Fr, Locale::De, Locale::Da] {
        let family = TemplateFamily::builtin(locale);
        for kind in MessageKind::ALL {
            for part in Part::ALL {
                let source = family.source(PartKey::new(kind, part)).to_lowercase();
                // Only the words a reader sees: not the variables' names.
                let words: String = source
                    .split("{{")
                    .map(|s| s.split_once("}}").map_or(s, |(_, after)| after))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split("{%")
                    .map(|s| s.split_once("%}").map_or(s, |(_, after)| after))
                    .collect::<Vec<_>>()
                    .join(" ");
                let words = words
                    .split('<')
                    .map(|s| s.split_once('>').map_or(s, |(_, after)| after))
                    .collect::<Vec<_>>()
                    .join(" ");
                for w in english {
                    assert!(
                        !words.contains(w),
                        "{locale} {kind} {}: `{w}` in {words}",
                        part.as_str()
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever a desktop or a profile sends, rendering never panics: it
    /// renders or says why.
    #[test]
    fn rendering_any_sample_never_panics(
        locale in prop::sample::select(Locale::ALL.to_vec()),
        kind in prop::sample::select(MessageKind::ALL.to_vec()),
        channel in prop::sample::select(Channel::ALL.to_vec()),
        test in any::<bool>(),
        location in any::<bool>(),
        fallback in any::<bool>(),
        name in "\\PC{0,80}",
        lines in prop::collection::vec("\\PC{0,60}", 0..8),
        link in prop::option::of("\\PC{0,120}"),
        seconds in -100i64..100_000,
        received in any::<bool>(),
    ) {
        let mut data = sample_for(kind, test, location);
        data.agent_name = name;
        data.location_lines = lines;
        data.ack_link = link;
        data.sent_to_fallback = fallback;
        if kind == MessageKind::FollowUp {
            data = data.ended(chrono::Duration::seconds(seconds), received, chrono::Duration::seconds(10));
        }
        let _ = render_message(&TemplateFamily::builtin(locale), kind, channel, &data);
    }
}
