// Label and field selectors: the one import for selector parsing, matching and printing.
// Label selectors live in selectors/labels.ts, field selectors in selectors/fields.ts, and the
// per-kind field selector support in fieldattrs.ts.

export {
  LabelSelector,
  LabelSelectorParseError,
  fromLabelSelectorObject,
  fromSet,
  labelSelectorObjectMatches,
  labelSelectorToString,
  newRequirement,
  parseLabelSelector,
} from './selectors/labels.ts';
export type { LabelOperator, LabelRequirement, LabelSelectorObject, LabelSelectorRequirementObject } from './selectors/labels.ts';

export {
  FieldSelector,
  FieldSelectorParseError,
  escapeFieldValue,
  parseFieldSelector,
  unescapeFieldValue,
  unsupportedField,
} from './selectors/fields.ts';
export type { FieldOperator, FieldRequirement } from './selectors/fields.ts';

export { fieldAttrsFor, objectFieldAttrs, supportedFieldSelectors } from './fieldattrs.ts';
