import { TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Subscription } from '@internal/plugin-brom-common';
import { SubscriptionState } from './SubscriptionState';
import { formatTime } from './time';

/**
 * Columns every subscription table shows alike. Defined once at module level, so a table's
 * columns keep their identity between renders (material-table warns otherwise).
 */
export const subscriptionStateColumn: TableColumn<Subscription> = {
  title: 'State',
  field: 'state',
  render: row => <SubscriptionState subscription={row} />,
};

export const subscriptionRequestedColumn: TableColumn<Subscription> = {
  title: 'Requested',
  field: 'requestedAt',
  render: row => (
    <>
      {formatTime(row.requestedAt)} by{' '}
      <EntityRefLink entityRef={row.requestedBy} />
    </>
  ),
};
