// Verbatim from Auth0's "Configuring a Custom SMS Provider for MFA using Twilio" page
// (shared/seeds/003): the Verify Send Phone Message Hook (it passes the Account SID as
// the service SID).
module.exports = function(recipient, text, context, cb) {

  const accountSid = context.webtask.secrets.TWILIO_ACCOUNT_SID; 
  const authToken = context.webtask.secrets.TWILIO_AUTH_TOKEN; 
  const fromPhoneNumber = context.webtask.secrets.TWILIO_PHONE_NUMBER;

  const client = require('twilio')(accountSid, authToken); 
 
  client.verify.services(accountSid)
      .verifications
      .create({
        to: recipient,
        channel: 'sms',
        customCode: context.code
      })
      .then(function() {
        cb(null, {});
      }) 
      .catch(function(err) {
        cb(err);
      });
};
