//! The provider APIs Phonebox emulates, as one closed list.

use serde::{Deserialize, Serialize};

use crate::message::Source;

/// A provider whose API Phonebox speaks (beyond Auth0's own shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Twilio,
    Sns,
    Vonage,
    Clicksend,
    Esendex,
    Infobip,
    Mitto,
    Telesign,
    Messagebird,
}

impl Provider {
    pub const ALL: [Provider; 9] = [
        Provider::Twilio,
        Provider::Sns,
        Provider::Vonage,
        Provider::Clicksend,
        Provider::Esendex,
        Provider::Infobip,
        Provider::Mitto,
        Provider::Telesign,
        Provider::Messagebird,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Twilio => "twilio",
            Provider::Sns => "sns",
            Provider::Vonage => "vonage",
            Provider::Clicksend => "clicksend",
            Provider::Esendex => "esendex",
            Provider::Infobip => "infobip",
            Provider::Mitto => "mitto",
            Provider::Telesign => "telesign",
            Provider::Messagebird => "messagebird",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The provider whose API a message came through; Auth0's own shapes have none.
    pub fn of(source: Source) -> Option<Provider> {
        Some(match source {
            Source::Auth0CustomPhoneProvider
            | Source::Auth0SendPhoneMessage
            | Source::Auth0Hook
            | Source::Auth0Builtin => return None,
            Source::TwilioMessages | Source::TwilioCalls | Source::TwilioVerify => Provider::Twilio,
            Source::AwsSns => Provider::Sns,
            Source::VonageSms => Provider::Vonage,
            Source::ClicksendSms => Provider::Clicksend,
            Source::EsendexMessages => Provider::Esendex,
            Source::InfobipSms => Provider::Infobip,
            Source::MittoSms => Provider::Mitto,
            Source::TelesignMessaging | Source::TelesignVerify => Provider::Telesign,
            Source::MessagebirdMessages => Provider::Messagebird,
        })
    }
}
