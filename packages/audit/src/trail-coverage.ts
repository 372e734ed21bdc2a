import type { AdvancedSelector, BasicSelector, FieldSelector, TrailSelectors } from './facts.js';

/**
 * Whether a trail's event selectors log an S3 data event for every object under a prefix (AWS
 * CloudTrail User Guide, "Logging data events":
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html).
 * The answer is "covered" only when it holds for every object: a selector that narrows by a field
 * this module cannot judge for all requests (who made them, from where) does not count.
 */
export interface ObjectEvent {
  readonly eventName: 'GetObject' | 'DeleteObject';
  readonly readOnly: boolean;
  /** `arn:aws:s3:::bucket/prefix/`. */
  readonly objectArnPrefix: string;
  /** How every object's key ends (`.wav` for call recordings), when known. */
  readonly objectSuffix: string | undefined;
}

export function coversObjectEvent(selectors: TrailSelectors, event: ObjectEvent): boolean {
  return (
    selectors.basic.some((selector) => basicCovers(selector, event)) ||
    selectors.advanced.some((selector) => advancedCovers(selector, event))
  );
}

function basicCovers(selector: BasicSelector, event: ObjectEvent): boolean {
  const direction =
    selector.readWriteType === 'All' || (selector.readWriteType === 'ReadOnly') === event.readOnly;
  return (
    direction &&
    selector.dataResources.some(
      (resource) =>
        resource.type === 'AWS::S3::Object' &&
        resource.values.some((value) => event.objectArnPrefix.startsWith(value)),
    )
  );
}

function advancedCovers(selector: AdvancedSelector, event: ObjectEvent): boolean {
  const known: Readonly<Record<string, string>> = {
    eventCategory: 'Data',
    'resources.type': 'AWS::S3::Object',
    readOnly: String(event.readOnly),
    eventName: event.eventName,
    eventSource: 's3.amazonaws.com',
  };
  const hasCategory = selector.fieldSelectors.some((f) => f.field === 'eventCategory');
  return (
    hasCategory &&
    selector.fieldSelectors.every((field) => {
      if (field.field === 'resources.ARN') return arnCovers(field, event);
      const value = known[field.field];
      return value !== undefined && valueMatches(field, value);
    })
  );
}

const some = (values: readonly string[] | undefined, test: (value: string) => boolean) =>
  (values ?? []).some(test);

function valueMatches(field: FieldSelector, value: string): boolean {
  const positive = [field.equals, field.startsWith, field.endsWith].some((v) => v !== undefined);
  const included =
    !positive ||
    some(field.equals, (v) => v === value) ||
    some(field.startsWith, (v) => value.startsWith(v)) ||
    some(field.endsWith, (v) => value.endsWith(v));
  const excluded =
    some(field.notEquals, (v) => v === value) ||
    some(field.notStartsWith, (v) => value.startsWith(v)) ||
    some(field.notEndsWith, (v) => value.endsWith(v));
  return included && !excluded;
}

/** Every object under the prefix, not just some: `Equals` names single objects and never covers. */
function arnCovers(field: FieldSelector, event: ObjectEvent): boolean {
  const prefix = event.objectArnPrefix;
  const suffix = event.objectSuffix;
  const positive = [field.equals, field.startsWith, field.endsWith].some((v) => v !== undefined);
  const included =
    !positive ||
    some(field.startsWith, (v) => prefix.startsWith(v)) ||
    some(field.endsWith, (v) => suffix?.endsWith(v) === true);
  const excludesSome =
    some(field.notEquals, (v) => v.startsWith(prefix)) ||
    some(field.notStartsWith, (v) => prefix.startsWith(v) || v.startsWith(prefix)) ||
    some(field.notEndsWith, (v) => suffix === undefined || suffix.endsWith(v) || v.endsWith(suffix));
  return included && !excludesSome;
}

/** Whether the trail logs write management events (who changed a user, a profile, a flow). */
export function logsManagementWrites(selectors: TrailSelectors): boolean {
  const basic = selectors.basic.some(
    (selector) =>
      selector.includeManagementEvents &&
      selector.readWriteType !== 'ReadOnly' &&
      !selector.excludedManagementSources.includes('connect.amazonaws.com'),
  );
  const advanced = selectors.advanced.some((selector) => {
    const fields = (name: string) => selector.fieldSelectors.filter((f) => f.field === name);
    const management = fields('eventCategory').some((f) => valueMatches(f, 'Management'));
    const writes = fields('readOnly').every((f) => valueMatches(f, 'false'));
    const narrowed = selector.fieldSelectors.some(
      (f) => !['eventCategory', 'readOnly', 'eventSource'].includes(f.field),
    );
    const connectKept = fields('eventSource').every((f) => valueMatches(f, 'connect.amazonaws.com'));
    return management && writes && connectKept && !narrowed;
  });
  return basic || advanced;
}
