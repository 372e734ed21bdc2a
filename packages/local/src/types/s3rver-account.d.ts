// s3rver's account registry: the access key ids it accepts (it checks no V4 signature).
declare module 's3rver/lib/models/account.js' {
  class AWSAccount {
    constructor(accountId: string | number, displayName: string);
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }
  export = AWSAccount;
}
