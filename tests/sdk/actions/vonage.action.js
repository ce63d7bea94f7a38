// A send-phone-message Action using the official Vonage SDK, written as for Auth0:
// nothing in it names Phonebox. Vonage has no endpoint variable; the harness points
// the SDK's server client at Phonebox when it loads.
const { Vonage } = require('@vonage/server-sdk');

exports.onExecuteSendPhoneMessage = async (event) => {
  const vonage = new Vonage({ apiKey: event.secrets.VONAGE_API_KEY, apiSecret: event.secrets.VONAGE_API_SECRET });
  const answer = await vonage.sms.send({
    to: event.message_options.recipient.replace('+', ''),
    from: 'Acme',
    text: event.message_options.text,
  });
  console.log('sent', answer.messages[0].status);
};
