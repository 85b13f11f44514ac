/**
 * Accounts as KEP defines them (kep-rem.md §8.2–8.3): address rules, passwords, creation and
 * login, the lifecycle (awaiting activation → active → closed), operators of legal entities,
 * quota and directory listing, and the KEP directory.
 */
export { parseAddress, validateAccountAddress, transliterate, InvalidAddressError, type ParsedAddress } from './address';
export { hashPassword, verifyPassword } from './password';
export {
  createAccount,
  authenticate,
  principalRefusal,
  mailboxWriteRefusal,
  assertPassword,
  DEFAULT_ACCESS_POLICY,
  type AuthUser,
  type CreateAccountInput,
} from './service';
export { accountAccess, closedAccessEnds, writeRefusal, type AccessPolicy, type AccountAccess } from './access';
export {
  activateAccount,
  closeAccount,
  reopenAccount,
  setQuota,
  setListed,
  nextState,
  requireAccount,
  InvalidTransition,
  type ChangeContext,
  type LifecycleAction,
  type QuotaChange,
} from './lifecycle';
export { verifyAgreement, AgreementRejected, type AgreementInput, type VerifiedAgreement, type AgreementCheck } from './agreement';
export { addOperator, removeOperator, activeOperator, validateOperatorLogin, type AddOperatorInput, type OperatorCheck } from './operators';
export { lookup, checkAddresses, classifyQuery, entryOf, type DirectoryEntry, type CheckResult, type CheckStatus } from './directory';
