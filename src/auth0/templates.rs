//! Message texts: the tenant's Liquid templates (or Auth0's defaults) rendered with
//! the variables Auth0 documents, in the language the request asks for.

use std::sync::OnceLock;

use liquid::model::Value as LiquidValue;
use liquid::Object;

use super::tenant::{GuardianTemplates, Languages, Settings, Tenant};
use crate::message::Channel;

pub const DEFAULT_ENROLLMENT: &str =
    "{{code}} is your verification code for {{tenant.friendly_name}}. \
     Please enter this code to verify your enrollment.";
pub const DEFAULT_VERIFICATION: &str =
    "{{code}} is your verification code for {{tenant.friendly_name}}";

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Enrollment,
    Verification,
}

fn parser() -> &'static liquid::Parser {
    static PARSER: OnceLock<liquid::Parser> = OnceLock::new();
    PARSER.get_or_init(|| {
        liquid::ParserBuilder::with_stdlib()
            .build()
            .unwrap_or_else(|_| {
                liquid::ParserBuilder::new()
                    .build()
                    .expect("an empty parser builds")
            })
    })
}

/// Checks that a template parses, for the APIs that store one.
pub fn validate(template: &str) -> Result<(), String> {
    parser()
        .parse(template)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// How a voice reads a code: digit by digit (`1.2.3.4.5.6`).
pub fn spoken_code(code: &str) -> String {
    code.chars().map(String::from).collect::<Vec<_>>().join(".")
}

/// The language of a request: the first of `ui_locales` (New Universal Login), else
/// of `Accept-Language` by preference, that the tenant has enabled (an exact tag, or
/// its primary language); else the tenant's default.
pub fn pick_locale(
    languages: &Languages,
    ui_locales: Option<&str>,
    accept_language: Option<&str>,
) -> String {
    let enabled = |tag: &str| -> Option<String> {
        let tag = tag.trim();
        if tag.is_empty() || tag == "*" {
            return None;
        }
        let primary = tag.split(['-', '_']).next().unwrap_or(tag);
        languages
            .enabled
            .iter()
            .find(|e| e.eq_ignore_ascii_case(tag))
            .or_else(|| {
                languages
                    .enabled
                    .iter()
                    .find(|e| e.eq_ignore_ascii_case(primary))
            })
            .cloned()
    };
    if let Some(found) = ui_locales.and_then(|l| l.split_whitespace().find_map(enabled)) {
        return found;
    }
    if let Some(header) = accept_language {
        let mut ranked: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, tag))
            })
            .collect();
        // Stable: equal weights keep the header's order.
        ranked.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        if let Some(found) = ranked.into_iter().find_map(|(_, tag)| enabled(tag)) {
            return found;
        }
    }
    languages.default.clone()
}

/// The Guardian template for `purpose` in `locale`: the locale's own, else the
/// tenant's, else Auth0's default.
pub fn guardian_template(settings: &Settings, locale: &str, purpose: Purpose) -> String {
    let pick = |t: &GuardianTemplates| match purpose {
        Purpose::Enrollment => t.enrollment_message.clone(),
        Purpose::Verification => t.verification_message.clone(),
    };
    settings
        .locale_templates
        .get(locale)
        .and_then(pick)
        .or_else(|| pick(&settings.templates))
        .unwrap_or_else(|| match purpose {
            Purpose::Enrollment => DEFAULT_ENROLLMENT.to_owned(),
            Purpose::Verification => DEFAULT_VERIFICATION.to_owned(),
        })
}

/// The Unified Phone template's body for the purpose and channel, if one is set.
pub fn branding_template(
    settings: &Settings,
    purpose: Purpose,
    channel: Channel,
) -> Option<String> {
    let kind = match purpose {
        Purpose::Enrollment => "otp_enroll",
        Purpose::Verification => "otp_verify",
    };
    let template = settings
        .phone_templates
        .iter()
        .find(|t| t.kind == kind && !t.disabled)?;
    match channel {
        Channel::Sms => template.content.body.text.clone(),
        Channel::Voice => template.content.body.voice.clone(),
    }
}

/// What a template can refer to.
pub struct Variables<'a> {
    pub tenant: &'a Tenant,
    pub code: &'a str,
    pub channel: Channel,
    pub locale: &'a str,
    pub accept_language: Option<&'a str>,
}

fn object(pairs: Vec<(&str, LiquidValue)>) -> LiquidValue {
    let mut o = Object::new();
    for (k, v) in pairs {
        o.insert(k.to_owned().into(), v);
    }
    LiquidValue::Object(o)
}

fn text(s: &str) -> LiquidValue {
    LiquidValue::scalar(s.to_owned())
}

/// Renders a template; a broken one is an error naming Liquid's complaint.
pub fn render(template: &str, vars: &Variables<'_>) -> Result<String, String> {
    let code = match vars.channel {
        Channel::Sms => vars.code.to_owned(),
        Channel::Voice => spoken_code(vars.code),
    };
    let friendly = vars.tenant.friendly_name.as_str();
    let mut globals = Object::new();
    let mut put = |k: &str, v: LiquidValue| {
        globals.insert(k.to_owned().into(), v);
    };
    put("code", text(&code));
    put("message_type", text(vars.channel.as_str()));
    put("locale", text(vars.locale));
    put(
        "pause",
        text(if vars.channel == Channel::Voice {
            ". . ."
        } else {
            ""
        }),
    );
    put("friendly_name", text(friendly));
    put(
        "tenant",
        object(vec![
            ("friendly_name", text(friendly)),
            ("friendlyName", text(friendly)),
            ("name", text(&vars.tenant.id)),
        ]),
    );
    put(
        "requestInfo",
        object(vec![(
            "lang",
            text(vars.accept_language.unwrap_or(vars.locale)),
        )]),
    );
    let parsed = parser().parse(template).map_err(|e| e.to_string())?;
    let out = parsed.render(&globals).map_err(|e| e.to_string())?;
    Ok(out.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        Tenant {
            id: "acme".into(),
            friendly_name: "Acme".into(),
            settings: Settings::default(),
        }
    }

    #[test]
    fn defaults_render_as_auth0_writes_them() {
        let t = tenant();
        let vars = Variables {
            tenant: &t,
            code: "482913",
            channel: Channel::Sms,
            locale: "en",
            accept_language: None,
        };
        let enrollment = guardian_template(&t.settings, "en", Purpose::Enrollment);
        assert_eq!(
            render(&enrollment, &vars).expect("renders"),
            "482913 is your verification code for Acme. Please enter this code to verify your enrollment."
        );
        let voice = Variables {
            channel: Channel::Voice,
            ..vars
        };
        let verification = guardian_template(&t.settings, "en", Purpose::Verification);
        assert_eq!(
            render(&verification, &voice).expect("renders"),
            "4.8.2.9.1.3 is your verification code for Acme"
        );
    }

    #[test]
    fn liquid_conditions_on_message_type() {
        let t = tenant();
        let template = r#"{% if message_type == "voice" %}Your code is {{pause}} {{code}}{% else %}Code {{code}}{% endif %}"#;
        let sms = Variables {
            tenant: &t,
            code: "12",
            channel: Channel::Sms,
            locale: "en",
            accept_language: None,
        };
        assert_eq!(render(template, &sms).expect("renders"), "Code 12");
        let voice = Variables {
            channel: Channel::Voice,
            ..sms
        };
        assert_eq!(
            render(template, &voice).expect("renders"),
            "Your code is . . . 1.2"
        );
        assert!(validate("{% if %}").is_err());
    }

    #[test]
    fn locale_follows_ui_locales_then_accept_language_then_default() {
        let languages = Languages {
            enabled: vec!["en".into(), "fr".into(), "pt-BR".into()],
            default: "en".into(),
        };
        assert_eq!(
            pick_locale(&languages, None, Some("fr-CA,fr;q=0.9,en;q=0.8")),
            "fr"
        );
        assert_eq!(
            pick_locale(&languages, None, Some("de-DE,pt-BR;q=0.5")),
            "pt-BR"
        );
        assert_eq!(
            pick_locale(&languages, Some("pt-BR fr"), Some("fr")),
            "pt-BR"
        );
        assert_eq!(pick_locale(&languages, None, Some("de,ja;q=0.3")), "en");
        assert_eq!(
            pick_locale(&languages, None, Some("en;q=0.1,fr;q=0.9")),
            "fr"
        );
        assert_eq!(pick_locale(&languages, None, None), "en");
    }
}
