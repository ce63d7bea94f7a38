// The official `twilio` package, pointed at Phonebox: only the domains' base URLs change.
'use strict';

const twilio = require('twilio');

const { loadWith } = require('./load');

const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
const AUTH_TOKEN = 'twilio-auth-token-5f3a';

/** A Twilio client whose API and Verify requests go to `base`. */
function twilioClient(base, accountSid = ACCOUNT_SID, authToken = AUTH_TOKEN) {
  const client = twilio(accountSid, authToken);
  client.api.baseUrl = base;
  client.verify.baseUrl = base;
  return client;
}

/**
 * Loads a Send Phone Message Hook file as the Hook runner would, except that
 * `require('twilio')` inside it builds clients pointed at `base`.
 */
function loadHook(file, base) {
  return loadWith(file, { twilio: (sid, token) => twilioClient(base, sid, token) });
}

/** Calls a Hook `(recipient, text, context, cb)` and resolves with cb's result. */
function runHook(hook, recipient, text, context) {
  return new Promise((resolve, reject) => {
    hook(recipient, text, context, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

module.exports = { ACCOUNT_SID, AUTH_TOKEN, twilioClient, loadHook, runHook };
