//! The template editor: every part of every message kind of a locale, a
//! live preview rendered by the notifier's own engine with sample data, and
//! saving with the checks `lifeline template push` makes (the same
//! function, `validate_family`, and the same words when it refuses).

use http::Response;
use maud::{html, Markup};

use lifeline_app::ports::TemplateSaveError;
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    render_message, sample_for, validate_family, Channel, MessageKind, PartKey, RenderedMessage,
    TemplateFamily,
};

use crate::answer::{bad_input, done, fragment, refused, unavailable};
use crate::app::ConsoleApp;
use crate::form::Form;

impl ConsoleApp {
    pub(crate) async fn template_view(&self, query: &Form) -> Response<String> {
        let locale = match query.get("locale") {
            "" => Locale::En,
            l => match l.parse() {
                Ok(l) => l,
                Err(e) => return bad_input(format!("locale: {e}")),
            },
        };
        let templates = &self.ports.templates;
        match (
            templates.current_family(locale).await,
            templates.tenant_locale().await,
        ) {
            (Ok(stored), Ok(default)) => {
                let family = stored.unwrap_or_else(|| TemplateFamily::builtin(locale));
                let preview = self.preview(&family, MessageKind::Alert);
                fragment(html! {
                    (default_locale_form(default))
                    (editor(&family, preview))
                })
            }
            (Err(e), _) | (_, Err(e)) => unavailable(&e),
        }
    }

    /// `POST /console/api/template/default-locale`: the language of a
    /// recipient who names none (`lifeline template default-locale --set`).
    pub(crate) async fn set_default_locale(&self, form: &Form) -> Response<String> {
        let locale: Locale = match form.get("locale").parse() {
            Ok(l) => l,
            Err(e) => return bad_input(format!("locale: {e}")),
        };
        match self
            .ports
            .templates
            .set_tenant_locale(locale, self.clock.now())
            .await
        {
            Ok(()) => done(&format!(
                "Recipients without a language of their own now get {locale}."
            )),
            Err(e) => unavailable(&e),
        }
    }

    /// `POST /console/api/template/preview`: the form's family rendered, or
    /// why a push would refuse it.
    pub(crate) async fn preview_template(&self, form: &Form) -> Response<String> {
        match family_of(form, 0) {
            Ok((family, kind)) => match validate_family(&family) {
                Ok(()) => fragment(self.preview(&family, kind)),
                Err(e) => bad_input(format!("template not saved: {e}")),
            },
            Err(e) => bad_input(e),
        }
    }

    /// `POST /console/api/template/save`: the locale's next version, in
    /// force at once, or nothing saved.
    pub(crate) async fn save_template(&self, form: &Form) -> Response<String> {
        let base: u64 = match form.get("version").parse() {
            Ok(v) => v,
            Err(_) => return bad_input("version: the version the edit started from".into()),
        };
        let (family, _) = match family_of(form, base + 1) {
            Ok(f) => f,
            Err(e) => return bad_input(e),
        };
        if let Err(e) = validate_family(&family) {
            return bad_input(format!("template not saved: {e}"));
        }
        match self
            .ports
            .templates
            .push_family(&family, self.clock.now())
            .await
        {
            Ok(()) => done(&format!(
                "Template {} version {} saved and in force.",
                family.locale, family.version
            )),
            Err(TemplateSaveError::Conflict) => refused(
                409,
                "conflict",
                "Not saved",
                "another version was saved meanwhile: reload the page and edit again".into(),
            ),
            Err(TemplateSaveError::Store(e)) => unavailable(&e),
        }
    }

    /// `kind`'s message on every channel, with the sample data the push
    /// checks use and this deployment's callback window.
    fn preview(&self, family: &TemplateFamily, kind: MessageKind) -> Markup {
        let mut data = sample_for(kind, false, true);
        data.callback_window_minutes = self.settings.callback_window.num_minutes();
        let rendered: Vec<_> = Channel::ALL
            .into_iter()
            .map(|c| render_message(family, kind, c, &data))
            .collect();
        html! {
            h2 { "Preview: " (kind) " (sample data)" }
            @for message in rendered {
                @match message {
                    Ok(RenderedMessage::Email(email)) => {
                        h3 { "E-mail" }
                        p { strong { "Subject: " } (email.subject) }
                        iframe sandbox="" title="The e-mail's HTML" srcdoc=(email.html) {}
                        details { summary { "Text version" } pre { (email.text) } }
                    }
                    Ok(RenderedMessage::Sms(sms)) => {
                        h3 { "SMS (" (sms.segments.segments) " segment(s), " (sms.segments.encoding.as_str()) ")" }
                        pre { (sms.text) }
                    }
                    Ok(RenderedMessage::Chat(text)) => { h3 { "Chat" } pre { (text) } }
                    Err(e) => { p.error role="alert" { (e.to_string()) } }
                }
            }
        }
    }
}

/// The family a form holds (every part's textarea, named `alert.subject`,
/// …), as `version`; and the kind to preview.
fn family_of(form: &Form, version: u64) -> Result<(TemplateFamily, MessageKind), String> {
    let locale: Locale = form
        .get("locale")
        .parse()
        .map_err(|e| format!("locale: {e}"))?;
    let kind = match form.get("kind") {
        "" => MessageKind::Alert,
        k => MessageKind::ALL
            .into_iter()
            .find(|m| m.as_str() == k)
            .ok_or_else(|| format!("kind `{k}`: alert, escalation, follow-up or correction"))?,
    };
    // Browsers send a textarea's lines as CRLF; the templates are LF.
    let sources =
        PartKey::all().filter_map(|key| Some((key, form.raw(&key.name())?.replace("\r\n", "\n"))));
    Ok((TemplateFamily::with_sources(locale, version, sources), kind))
}

/// The tenant's default message locale, and the form that sets it.
fn default_locale_form(default: Option<Locale>) -> Markup {
    let current = default.unwrap_or(Locale::DEFAULT);
    html! {
        form data-api="/console/api/template/default-locale" {
            p {
                label for="default-locale" { "Language of recipients who name none" } " "
                select #default-locale name="locale" {
                    @for l in Locale::ALL { option value=(l) selected[l == current] { (l) } }
                }
                " "
                button type="submit" { "Set" }
                @if default.is_none() { " (not set: " (Locale::DEFAULT) ")" }
            }
        }
    }
}

fn editor(family: &TemplateFamily, preview: Markup) -> Markup {
    let origin = match family.version {
        0 => "the built-in templates (never edited)".to_string(),
        v => format!("version {v}, {} part(s) edited", family.edited.len()),
    };
    html! {
        nav aria-label="Locales" {
            "Locale: "
            @for l in Locale::ALL {
                @if l == family.locale { strong aria-current="page" { (l) } " " }
                @else { a href={ "/console/template?locale=" (l) } { (l) } " " }
            }
        }
        p { "In force for " strong { (family.locale) } ": " (origin) "." }
        form #template-form data-api="/console/api/template/save"
            data-preview="/console/api/template/preview" data-preview-into="#preview" {
            input type="hidden" name="locale" value=(family.locale);
            input type="hidden" name="version" value=(family.version);
            p {
                label for="preview-kind" { "Preview" } " "
                select #preview-kind name="kind" {
                    @for k in MessageKind::ALL { option value=(k) { (k) } }
                }
            }
            @for kind in MessageKind::ALL {
                fieldset {
                    legend { (kind) }
                    @for key in PartKey::all().filter(|k| k.kind == kind) {
                        @let id = key.name().replace('.', "-");
                        p {
                            label for=(id) { (key.part.file_name()) }
                            @if family.edited.contains_key(&key) { " (edited)" }
                            br;
                            textarea #(id) name=(key.name()) rows=(rows(key)) spellcheck="false" { (family.source(key)) }
                        }
                    }
                }
            }
            button type="submit" { "Save as version " (family.version + 1) }
        }
        section #preview { (preview) }
    }
}

fn rows(key: PartKey) -> u8 {
    use lifeline_domain::notification::Part;
    match key.part {
        Part::Subject => 2,
        Part::Sms | Part::Chat => 4,
        Part::Html | Part::Text => 12,
    }
}
