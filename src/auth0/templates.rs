//! Message texts: the tenant's Liquid templates (or Auth0's defaults) rendered with
//! the variables Auth0 documents, in the language the request asks for.
//!
//! Two families, as in Auth0: the legacy Guardian templates (`{{tenant.friendly_name}}`,
//! per locale), and, once a Unified Phone provider is in force, the Unified Phone
//! templates alone (the Guardian ones no longer apply), with the variables of
//! Auth0's "Customize phone templates: supported Liquid syntax".

use super::tenant::{GuardianTemplates, Languages, Settings, Tenant};
use crate::liquid::{self, Object, Value};
use crate::message::Channel;
use crate::store::clients::ClientRow;
use crate::store::users::UserRow;

pub const DEFAULT_ENROLLMENT: &str =
    "{{code}} is your verification code for {{tenant.friendly_name}}. \
     Please enter this code to verify your enrollment.";
pub const DEFAULT_VERIFICATION: &str =
    "{{code}} is your verification code for {{tenant.friendly_name}}";

/// The SMS passwordless connection's default text (Auth0's `sms` connection
/// template, `@@password@@` written as Liquid).
pub const PASSWORDLESS_SMS: &str = "Your verification code is: {{ code }}";

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Enrollment,
    Verification,
}

impl Purpose {
    /// The Unified Phone template type for this purpose.
    pub fn template_type(self) -> &'static str {
        match self {
            Purpose::Enrollment => "otp_enroll",
            Purpose::Verification => "otp_verify",
        }
    }
}

/// Which family a template is of: it decides the variables it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Guardian,
    Unified,
}

/// Auth0's default Unified Phone bodies (text, voice), as the Management API
/// answers a reset template. `password_breach` has none on record: Phonebox's
/// wording, in the same style.
pub fn unified_default(kind: &str, channel: Channel) -> &'static str {
    const VERIFY_VOICE: &str = "Hello. Your verification code for {{ friendly_name | escape }} is {{ pause }} {{ code | escape }}. I repeat, your verification code is {{ pause }} {{ code | escape }}";
    const BLOCKED: &str = "We detected suspicious activity on your account from the ip {{user.source_ip}}{% if user.city %} from {{user.city}}, {{user.country}}{% elsif user.country %} from {{user.country}}{% endif %}. Logins from this IP have been blocked on your account. If this is your IP, please reset your password to unblock your account. Otherwise, disregard this message.";
    match (kind, channel) {
        ("otp_enroll", Channel::Sms) => "{{ code | escape }} is your verification code for {{ friendly_name | escape }}. Please enter this code to verify your enrollment.",
        ("otp_verify" | "otp_enroll", Channel::Voice) => VERIFY_VOICE,
        ("change_password", Channel::Sms) => "{{ code | escape }} is your password change code for {{ friendly_name | escape }}",
        ("change_password", Channel::Voice) => "Hello. Your password change code for {{ friendly_name | escape }} is {{ pause }} {{ code | escape }}. I repeat, your password change code is {{ pause }} {{ code | escape }}",
        ("blocked_account", _) => BLOCKED,
        ("password_breach", _) => "We detected that the password of your {{ friendly_name | escape }} account appeared in a data breach. Please reset your password.",
        _ => "{{ code | escape }} is your verification code for {{ friendly_name | escape }}",
    }
}

/// The Unified Phone template in force for `purpose`, if the tenant set one.
fn unified_template(
    settings: &Settings,
    purpose: Purpose,
) -> Option<&super::tenant::PhoneTemplate> {
    settings
        .phone_templates
        .iter()
        .find(|t| t.kind == purpose.template_type() && !t.disabled)
}

/// The sender a Unified Phone template names (`content.from`), while Unified
/// Phone is in force.
pub fn unified_from(settings: &Settings, purpose: Purpose) -> Option<String> {
    settings.branding_provider()?;
    unified_template(settings, purpose)?.content.from.clone()
}

/// The template a send uses, and its family: under Unified Phone the tenant's
/// Unified template or Auth0's default for its type; otherwise `legacy`.
pub fn pick(
    settings: &Settings,
    purpose: Purpose,
    channel: Channel,
    legacy: impl FnOnce() -> String,
) -> (String, Style) {
    if settings.branding_provider().is_none() {
        return (legacy(), Style::Guardian);
    }
    let own = unified_template(settings, purpose).and_then(|t| match channel {
        Channel::Sms => t.content.body.text.clone(),
        Channel::Voice => t.content.body.voice.clone(),
    });
    let body = own.unwrap_or_else(|| unified_default(purpose.template_type(), channel).to_owned());
    (body, Style::Unified)
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

/// What a template can refer to.
#[derive(Clone, Copy)]
pub struct Variables<'a> {
    pub tenant: &'a Tenant,
    pub code: &'a str,
    pub channel: Channel,
    pub locale: &'a str,
    pub accept_language: Option<&'a str>,
    pub style: Style,
    pub user: Option<&'a UserRow>,
    pub client: Option<&'a ClientRow>,
    /// The caller's address: `user.source_ip`.
    pub ip: Option<&'a str>,
}

fn json_object(stored: &str) -> Value {
    Value::from(&serde_json::Value::Object(
        crate::store::users::metadata_object(stored),
    ))
}

fn text(v: Option<&str>) -> Value {
    v.map(Value::from).unwrap_or_default()
}

/// The Unified Phone variables beyond the code (Auth0's list: `tenant` is the
/// tenant's name, `user.*`, `client.*` and its alias `application.*`,
/// `connection`, `organization.*`, `custom_domain.*`, the support and branding
/// URLs, `region`). What a local tenant has not got renders empty.
fn unified_globals(vars: &Variables<'_>, put: &mut impl FnMut(&str, Value)) {
    let settings = &vars.tenant.settings;
    put("tenant", Value::from(vars.tenant.id.as_str()));
    let user = vars.user.map(|u| {
        Value::object([
            ("user_id", Value::from(u.user_id.as_str())),
            ("email", text(u.email.as_deref())),
            ("phone_number", text(u.phone_number.as_deref())),
            ("name", text(u.name.as_deref())),
            ("nickname", text(u.nickname.as_deref())),
            ("user_metadata", json_object(&u.user_metadata)),
            ("app_metadata", json_object(&u.app_metadata)),
            ("source_ip", text(vars.ip)),
        ])
    });
    put("user", user.unwrap_or_default());
    let client = vars.client.map(|c| {
        Value::object([
            ("client_id", Value::from(c.client_id.as_str())),
            ("name", Value::from(c.name.as_str())),
            ("metadata", Value::object([])),
        ])
    });
    put("client", client.clone().unwrap_or_default());
    put("application", client.unwrap_or_default());
    put("connection", text(vars.user.map(|u| u.connection.as_str())));
    put("organization", Value::object([]));
    put("custom_domain", Value::object([]));
    put("support_email", text(settings.support_email.as_deref()));
    put("support_url", text(settings.support_url.as_deref()));
    put("logo_url", text(settings.logo_url.as_deref()));
    put("home_url", text(settings.home_url.as_deref()));
    put("region", Value::from("local"));
}

/// The most of `Accept-Language` a template sees as `requestInfo.lang`.
const MAX_LANG_CHARS: usize = 256;

/// The variables a template sees.
pub fn globals(vars: &Variables<'_>) -> Object {
    let code = match vars.channel {
        Channel::Sms => vars.code.to_owned(),
        Channel::Voice => spoken_code(vars.code),
    };
    let friendly = vars.tenant.friendly_name.as_str();
    let mut globals = Object::new();
    let mut put = |k: &str, v: Value| {
        globals.insert(k.to_owned(), v);
    };
    put("code", Value::from(code));
    put("message_type", Value::from(vars.channel.as_str()));
    put("locale", Value::from(vars.locale));
    put(
        "pause",
        Value::from(if vars.channel == Channel::Voice {
            ". . ."
        } else {
            ""
        }),
    );
    put("friendly_name", Value::from(friendly));
    match vars.style {
        Style::Guardian => put(
            "tenant",
            Value::object([
                ("friendly_name", Value::from(friendly)),
                ("friendlyName", Value::from(friendly)),
                ("name", Value::from(vars.tenant.id.as_str())),
            ]),
        ),
        Style::Unified => unified_globals(vars, &mut put),
    }
    // A header can be hundreds of kilobytes; a language tag list is not.
    let lang = vars.accept_language.unwrap_or(vars.locale);
    let lang = match lang.char_indices().nth(MAX_LANG_CHARS) {
        Some((cut, _)) => &lang[..cut],
        None => lang,
    };
    put("requestInfo", Value::object([("lang", Value::from(lang))]));
    globals
}

/// Renders each template with its variables (the SMS and the voice text, say) in
/// one trip off the async workers, within the engine's caps; trimmed as Auth0 sends
/// them. A template that cannot render is an error naming Liquid's complaint.
/// A code's text and its spoken form: the template `pick` gives for each channel
/// (`legacy` outside Unified Phone), rendered with `vars` on that channel.
pub async fn render_texts(
    sandbox: &liquid::Sandbox,
    settings: &Settings,
    purpose: Purpose,
    legacy: impl Fn() -> String,
    vars: Variables<'_>,
    now: time::OffsetDateTime,
) -> Result<(String, String), String> {
    let (sms_template, style) = pick(settings, purpose, Channel::Sms, &legacy);
    let (voice_template, _) = pick(settings, purpose, Channel::Voice, &legacy);
    let on = |channel| Variables {
        channel,
        style,
        ..vars
    };
    let (sms, voice) = (on(Channel::Sms), on(Channel::Voice));
    let mut texts = render(
        sandbox,
        &[(sms_template, &sms), (voice_template, &voice)],
        now,
    )
    .await?
    .into_iter();
    Ok((
        texts.next().unwrap_or_default(),
        texts.next().unwrap_or_default(),
    ))
}

pub async fn render(
    sandbox: &liquid::Sandbox,
    jobs: &[(String, &Variables<'_>)],
    now: time::OffsetDateTime,
) -> Result<Vec<String>, String> {
    let jobs = jobs
        .iter()
        .map(|(template, vars)| (template.clone(), globals(vars)))
        .collect();
    let rendered = sandbox.render(jobs, now).await.map_err(|e| e.to_string())?;
    Ok(rendered.into_iter().map(|s| s.trim().to_owned()).collect())
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

    async fn one(template: &str, vars: &Variables<'_>) -> String {
        let sandbox = liquid::Sandbox::default();
        let mut out = render(
            &sandbox,
            &[(template.to_owned(), vars)],
            time::OffsetDateTime::UNIX_EPOCH,
        )
        .await
        .expect("renders");
        out.remove(0)
    }

    #[tokio::test]
    async fn defaults_render_as_auth0_writes_them() {
        let t = tenant();
        let vars = Variables {
            tenant: &t,
            code: "482913",
            channel: Channel::Sms,
            locale: "en",
            accept_language: None,
            style: Style::Guardian,
            user: None,
            client: None,
            ip: None,
        };
        let enrollment = guardian_template(&t.settings, "en", Purpose::Enrollment);
        assert_eq!(
            one(&enrollment, &vars).await,
            "482913 is your verification code for Acme. Please enter this code to verify your enrollment."
        );
        let voice = Variables {
            channel: Channel::Voice,
            ..vars
        };
        let verification = guardian_template(&t.settings, "en", Purpose::Verification);
        assert_eq!(
            one(&verification, &voice).await,
            "4.8.2.9.1.3 is your verification code for Acme"
        );
    }

    #[tokio::test]
    async fn liquid_conditions_on_message_type() {
        let t = tenant();
        let template = r#"{% if message_type == "voice" %}Your code is {{pause}} {{code}}{% else %}Code {{code}}{% endif %}"#;
        let sms = Variables {
            tenant: &t,
            code: "12",
            channel: Channel::Sms,
            locale: "en",
            accept_language: None,
            style: Style::Guardian,
            user: None,
            client: None,
            ip: None,
        };
        assert_eq!(one(template, &sms).await, "Code 12");
        let voice = Variables {
            channel: Channel::Voice,
            ..sms
        };
        assert_eq!(one(template, &voice).await, "Your code is . . . 1.2");
        assert!(liquid::validate("{% if %}").is_err());
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
