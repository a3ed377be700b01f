//! The emergency-call e-mail: its data (pure), Lifeline's own template
//! (editable, versioned, validated by rendering sample data) and rendering
//! with HTML auto-escaping that no template can turn off, its work bounded.

mod correction;
mod data;
mod guard;
mod sample;
mod tag;
mod template;

pub use correction::correction_email;
pub use data::{local_zone, notification_data, NotificationData, VARIABLES};
pub use sample::sample_data;
pub use tag::recipient_tag;
pub use template::{
    render, validate, NotificationTemplate, RenderedEmail, TemplateError, TemplateErrorKind,
    FALLBACK_NOTE, TEMPLATE_NAME,
};

#[cfg(test)]
mod tests;
