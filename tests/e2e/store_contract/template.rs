//! The message templates, one family per locale: each locale's versions
//! follow one another (a push over another one conflicts), a stored family
//! reads back with exactly its edited parts, English's stays the e-mail the
//! notifier reads, and the tenant's message locale reads back as set.

use lifeline_app::ports::{NotifyStore, TemplateSaveError, TemplateStore};
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    MessageKind, NotificationTemplate, Part, PartKey, TemplateFamily,
};

use super::fixtures::*;
use super::Side;

fn family(locale: Locale, version: u64, edits: &[(MessageKind, Part, &str)]) -> TemplateFamily {
    let mut f = TemplateFamily::builtin(locale);
    f.version = version;
    for (kind, part, source) in edits {
        f.edited
            .insert(PartKey::new(*kind, *part), source.to_string());
    }
    f
}

pub async fn template_families_are_versioned_per_locale<S: Side>(side: &S) {
    let s = side.store();
    for locale in Locale::ALL {
        assert_eq!(s.current_family(locale).await.expect("read"), None);
    }
    assert_eq!(s.tenant_locale().await.expect("read"), None);
    let es1 = family(
        Locale::Es,
        1,
        &[
            (MessageKind::Alert, Part::Subject, "Emergencia {{ dialed }}"),
            (
                MessageKind::FollowUp,
                Part::Sms,
                "Fin {{ duration }} {{ ack_link }}",
            ),
            (
                MessageKind::Correction,
                Part::Chat,
                "Corregido {{ callback_number }}",
            ),
        ],
    );
    s.push_family(&es1, t(0)).await.expect("push");
    assert_eq!(
        s.current_family(Locale::Es).await.expect("read"),
        Some(es1.clone())
    );
    // Another locale is untouched, and has versions of its own.
    assert_eq!(s.current_family(Locale::Da).await.expect("read"), None);
    let da1 = family(
        Locale::Da,
        1,
        &[(
            MessageKind::Escalation,
            Part::Html,
            "<p>{{ agent_name }}</p>",
        )],
    );
    s.push_family(&da1, t(1)).await.expect("push");
    // The next version only over the one in force.
    assert!(matches!(
        s.push_family(&family(Locale::Es, 1, &[]), t(2)).await,
        Err(TemplateSaveError::Conflict)
    ));
    assert!(matches!(
        s.push_family(&family(Locale::Es, 3, &[]), t(2)).await,
        Err(TemplateSaveError::Conflict)
    ));
    let es2 = family(
        Locale::Es,
        2,
        &[(MessageKind::Alert, Part::Sms, "SMS {{ ack_link }}")],
    );
    s.push_family(&es2, t(3)).await.expect("push");
    assert_eq!(s.current_family(Locale::Es).await.expect("read"), Some(es2));
    assert_eq!(s.current_family(Locale::Da).await.expect("read"), Some(da1));

    // English: the alert e-mail the notifier has always read, the parts
    // not edited being the built-in ones.
    let en1 = family(
        Locale::En,
        1,
        &[(
            MessageKind::Alert,
            Part::Subject,
            "Call by {{ agent_name }}",
        )],
    );
    s.push_family(&en1, t(4)).await.expect("push");
    let want = NotificationTemplate {
        subject: "Call by {{ agent_name }}".into(),
        version: 1,
        ..NotificationTemplate::builtin()
    };
    assert_eq!(
        s.current_template().await.expect("read"),
        Some(want.clone())
    );
    let ctx = s
        .notify_context(&"c-none".parse().expect("id"), &id(A42))
        .await
        .expect("read");
    assert_eq!(ctx.template, Some(want));
    // Today's push of the three files is English's next version.
    let t2 = NotificationTemplate {
        version: 2,
        ..NotificationTemplate::builtin()
    };
    s.push_template(&t2, t(5)).await.expect("push");
    assert_eq!(s.current_template().await.expect("read"), Some(t2));

    s.set_tenant_locale(Locale::Fr, t(6)).await.expect("set");
    assert_eq!(s.tenant_locale().await.expect("read"), Some(Locale::Fr));
    s.set_tenant_locale(Locale::De, t(7)).await.expect("set");
    assert_eq!(s.tenant_locale().await.expect("read"), Some(Locale::De));
}
