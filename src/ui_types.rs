//! The UI's TypeScript types are generated from the Rust types the API answers
//! with, so the two cannot drift apart: `ui/src/lib/types.gen.ts` is checked
//! against them by `cargo test`, and rewritten with
//! `PHONEBOX_WRITE_UI_TYPES=1 cargo test --lib ui_types` (`make ui-types`).

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use ts_rs::TS;

    use crate::actions::{RunErrorView, RunOutcome, Trigger};
    use crate::auth0::actions::{ActionView, MaskedSecret};
    use crate::auth0::admin::{LimitsView, TenantView, UserLimits};
    use crate::auth0::delivery::action::RunView;
    use crate::auth0::flows::{FlowStep, FlowView};
    use crate::auth0::limits::{Gauge, Level};
    use crate::auth0::logs::LogEvent;
    use crate::auth0::management::guardian::{MessageTypes, SelectedProvider, TemplatesView};
    use crate::auth0::tenant::GuardianProvider;
    use crate::capture::chaos::Rule;
    use crate::capture::inbox::Page as MessagesPage;
    use crate::capture::pipeline::Event;
    use crate::capture::provider::Provider;
    use crate::capture::retention::{RetentionView, SetByFlag};
    use crate::clock::ClockView;
    use crate::forward::providers::Billing;
    use crate::forward::settings::{
        MaskedCredential, ProviderSettings, ProviderView, SavedPhone, Via,
    };
    use crate::forward::views::{
        AllowlistBody, AttemptView, DryRun, ForwardState, ForwardView, ForwardingView,
        ForwardsPage, MyPhonesBody, RuleView, RulesPage,
    };
    use crate::forward::ForwardEvent;
    use crate::http::chaos::ChaosRules;
    use crate::http::emulator::{Health, PhonesPage};
    use crate::http::tenants::Tenants;
    use crate::message::sms::Encoding;
    use crate::message::{
        Channel, Message, MessageDetail, Purpose, SendError, Source, Status, StoredRequest,
    };
    use crate::outbound::ShownRequest;
    use crate::store::messages::PhoneSummary;

    const HEADER: &str = "// Generated from the Rust types by src/ui_types.rs: do not edit.\n\
        // `make ui-types` rewrites it after a change to those types.\n";

    fn declaration<T: TS>() -> String {
        // JSON numbers: the API's counters and times never pass 2^53.
        let config = ts_rs::Config::new().with_large_int("number");
        let docs = T::docs().unwrap_or_default();
        format!("{docs}export {}\n", T::decl(&config))
    }

    fn generated() -> String {
        let declarations = [
            declaration::<Channel>(),
            declaration::<Source>(),
            declaration::<Purpose>(),
            declaration::<Status>(),
            declaration::<Encoding>(),
            declaration::<SendError>(),
            declaration::<Message>(),
            declaration::<StoredRequest>(),
            declaration::<MessageDetail>(),
            declaration::<PhoneSummary>(),
            declaration::<MessagesPage>(),
            declaration::<PhonesPage>(),
            declaration::<Event>(),
            declaration::<Health>(),
            declaration::<Gauge>(),
            declaration::<Level>(),
            declaration::<UserLimits>(),
            declaration::<LimitsView>(),
            declaration::<ClockView>(),
            declaration::<SetByFlag>(),
            declaration::<RetentionView>(),
            declaration::<LogEvent>(),
            declaration::<TemplatesView>(),
            declaration::<MessageTypes>(),
            declaration::<GuardianProvider>(),
            declaration::<SelectedProvider>(),
            declaration::<Provider>(),
            declaration::<Rule>(),
            declaration::<ChaosRules>(),
            declaration::<TenantView>(),
            declaration::<Tenants>(),
            declaration::<Via>(),
            declaration::<ProviderSettings>(),
            declaration::<MaskedCredential>(),
            declaration::<ProviderView>(),
            declaration::<SavedPhone>(),
            declaration::<RuleView>(),
            declaration::<RulesPage>(),
            declaration::<AllowlistBody>(),
            declaration::<MyPhonesBody>(),
            declaration::<ForwardingView>(),
            declaration::<ShownRequest>(),
            declaration::<Billing>(),
            declaration::<DryRun>(),
            declaration::<ForwardState>(),
            declaration::<AttemptView>(),
            declaration::<ForwardView>(),
            declaration::<ForwardsPage>(),
            declaration::<ForwardEvent>(),
            declaration::<Trigger>(),
            declaration::<MaskedSecret>(),
            declaration::<ActionView>(),
            declaration::<RunOutcome>(),
            declaration::<RunErrorView>(),
            declaration::<RunView>(),
            declaration::<FlowStep>(),
            declaration::<FlowView>(),
        ];
        format!("{HEADER}\n{}", declarations.join("\n"))
    }

    #[test]
    fn the_ui_types_are_the_rust_types() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/types.gen.ts");
        let want = generated();
        if std::env::var_os("PHONEBOX_WRITE_UI_TYPES").is_some() {
            std::fs::write(&path, &want).expect("write the UI types");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `make ui-types` and commit it",
            path.display()
        );
    }
}
