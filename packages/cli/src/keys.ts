// Caller keys are parsed by caller-screening alone, with the rules screening keys contacts by.
export {
  CallerKeyError as KeyError,
  callerKey,
  countryCode,
  exportedNumber,
} from '@flowguard/caller-screening';
