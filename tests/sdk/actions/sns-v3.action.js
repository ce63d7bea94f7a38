// A send-phone-message Action using the AWS SDK for JavaScript v3, written as for
// Auth0: nothing in it names Phonebox. The SDK reads AWS_ENDPOINT_URL_SNS itself.
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');

exports.onExecuteSendPhoneMessage = async (event) => {
  const sns = new SNSClient({
    region: event.secrets.AWS_REGION,
    credentials: {
      accessKeyId: event.secrets.AWS_ACCESS_KEY_ID,
      secretAccessKey: event.secrets.AWS_SECRET_ACCESS_KEY,
    },
  });
  const { MessageId } = await sns.send(
    new PublishCommand({ Message: event.message_options.text, PhoneNumber: event.message_options.recipient }),
  );
  console.log('published', MessageId);
};
