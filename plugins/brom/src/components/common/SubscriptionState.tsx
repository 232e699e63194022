import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
} from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import { Subscription } from '@internal/plugin-brom-common';

const LABEL: Record<Subscription['state'], string> = {
  requested: 'Requested',
  approved: 'Approved',
  rejected: 'Rejected',
  revoked: 'Revoked',
};

const ICON = {
  requested: StatusPending,
  approved: StatusOK,
  rejected: StatusError,
  revoked: StatusAborted,
};

/** A subscription's state and, for rejections and revocations, the reason the requester sees. */
export const SubscriptionState = ({
  subscription,
}: {
  subscription: Subscription;
}) => {
  const Icon = ICON[subscription.state];
  return (
    <>
      <Icon>{LABEL[subscription.state]}</Icon>
      {subscription.reason && subscription.state !== 'requested' && (
        <Typography variant="body2" color="textSecondary">
          Reason: {subscription.reason}
        </Typography>
      )}
    </>
  );
};
