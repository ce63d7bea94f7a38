// The official AWS SDKs (v3 `@aws-sdk/client-sns`, v2 `aws-sdk`) pointed at Phonebox:
// only the endpoint changes.
'use strict';

const { SNSClient } = require('@aws-sdk/client-sns');
const AWS = require('aws-sdk');

const ACCESS_KEY_ID = 'AKIAPHONEBOXTEST0001';
const SECRET_ACCESS_KEY = 'aws-secret-key-never-stored-9c1e';
const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };

/** A v3 SNS client sending to `base`. */
function snsV3(base, region = 'us-east-1') {
  return new SNSClient({ endpoint: base, region, credentials, maxAttempts: 1 });
}

/** A v2 SNS client sending to `base`. */
function snsV2(base, region = 'us-east-1') {
  return new AWS.SNS({ endpoint: base, region, credentials, maxRetries: 0 });
}

/**
 * What `require('aws-sdk')` gives an Action: the real module, with `new AWS.SNS(...)`
 * sending to `base` (the one line a developer changes is the endpoint).
 */
function awsSdkFor(base) {
  const pointed = Object.create(AWS);
  pointed.SNS = class extends AWS.SNS {
    constructor(options = {}) {
      super({ ...options, endpoint: base, maxRetries: 0 });
    }
  };
  return pointed;
}

module.exports = { ACCESS_KEY_ID, SECRET_ACCESS_KEY, snsV3, snsV2, awsSdkFor };
