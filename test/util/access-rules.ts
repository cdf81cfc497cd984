// allow/deny rules for tests, written as in the configuration.
import { parseAccessRule, type AccessAction, type AccessRule } from '../../dist/net/access.js';

/** The rule `action text;` (e.g. accessRule('deny', '10.0.0.0/8')); throws when the text is not one. */
export function accessRule(action: AccessAction, text: string): AccessRule {
  const rule = parseAccessRule(action, text);
  if (rule === null) throw new RangeError(`invalid ${action} rule "${text}"`);
  return rule;
}
