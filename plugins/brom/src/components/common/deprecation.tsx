import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import { NotificationTypeDeprecation } from '@internal/plugin-brom-common';

/** A date (no time) as the user's locale writes it. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

/** "Ends on 1 March 2027; its successor is orders/order-created-v2." */
export function describeDeprecation(
  producer: string,
  deprecation: NotificationTypeDeprecation,
): string {
  return `Ends on ${formatDate(deprecation.sunsetAt)}${
    deprecation.successor
      ? `; its successor is ${producer}/${deprecation.successor}`
      : '; it has no successor'
  }.`;
}

/** Marks a deprecated type, with its sunset and successor on hover. */
export const DeprecatedBadge = ({
  producer,
  deprecation,
}: {
  producer: string;
  deprecation: NotificationTypeDeprecation | null;
}) => {
  if (!deprecation) return null;
  const sunsetPassed = Date.parse(deprecation.sunsetAt) <= Date.now();
  return (
    <Tooltip title={describeDeprecation(producer, deprecation)}>
      <Chip
        size="small"
        label={
          sunsetPassed
            ? 'Retired'
            : `Deprecated · ends ${formatDate(deprecation.sunsetAt)}`
        }
        variant="outlined"
        style={{
          marginLeft: 4,
          borderStyle: sunsetPassed ? 'dashed' : 'solid',
        }}
      />
    </Tooltip>
  );
};

/** `yyyy-mm-dd` of a date `days` from now, for a date input. */
export function dateInputDaysAhead(days: number): string {
  return new Date(Date.now() + days * 24 * 3600 * 1000)
    .toISOString()
    .slice(0, 10);
}

/** A date input's `yyyy-mm-dd` as the end of that day in UTC, or undefined when empty. */
export function sunsetFromDateInput(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  return `${value}T23:59:59.000Z`;
}
