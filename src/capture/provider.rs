//! The provider APIs Phonebox emulates, as one closed list.

use crate::message::Source;

crate::message::text_enum! {
    /// A provider whose API Phonebox speaks (beyond Auth0's own shapes).
    pub enum Provider {
        Twilio = "twilio",
        Sns = "sns",
        Vonage = "vonage",
        Clicksend = "clicksend",
        Esendex = "esendex",
        Infobip = "infobip",
        Mitto = "mitto",
        Telesign = "telesign",
        Messagebird = "messagebird",
    }
}

impl Provider {
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
