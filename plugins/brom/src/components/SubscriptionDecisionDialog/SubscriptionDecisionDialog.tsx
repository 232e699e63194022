import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import {
  approveSubscriptionRequestSchema,
  reasonedDecisionRequestSchema,
  Subscription,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { fieldErrorsOf } from '../common/validation';

/**
 * What someone can do to a subscription. The producer's owners approve, reject or revoke;
 * the consumer's owners withdraw a pending request or unsubscribe (both are a revocation).
 */
export type SubscriptionDecision =
  | 'approve'
  | 'reject'
  | 'revoke'
  | 'withdraw'
  | 'unsubscribe';

const WORDING: Record<
  SubscriptionDecision,
  { title: string; action: string; reasonLabel: string; explanation: string }
> = {
  approve: {
    title: 'Approve subscription',
    action: 'Approve',
    reasonLabel: 'Reason (optional)',
    explanation:
      'The consumer’s queue is bound to the producer’s exchange once the broker is synced.',
  },
  reject: {
    title: 'Reject subscription',
    action: 'Reject',
    reasonLabel: 'Reason',
    explanation: 'The requester sees your reason.',
  },
  revoke: {
    title: 'Revoke subscription',
    action: 'Revoke',
    reasonLabel: 'Reason',
    explanation:
      'The consumer stops receiving these notifications; the requester sees your reason.',
  },
  withdraw: {
    title: 'Withdraw subscription request',
    action: 'Withdraw request',
    reasonLabel: 'Reason',
    explanation: 'The producer’s owners no longer see this request.',
  },
  unsubscribe: {
    title: 'Unsubscribe',
    action: 'Unsubscribe',
    reasonLabel: 'Reason',
    explanation:
      'Your queue stops receiving these notifications once the broker is synced.',
  },
};

export interface SubscriptionDecisionDialogProps {
  subscription: Subscription;
  decision: SubscriptionDecision;
  onClose: () => void;
  onDecided: (subscription: Subscription) => void;
}

/** Asks for the reason of a decision on a subscription, validated as the backend does. */
export const SubscriptionDecisionDialog = ({
  subscription,
  decision,
  onClose,
  onDecided,
}: SubscriptionDecisionDialogProps) => {
  const api = useApi(bromApiRef);
  const wording = WORDING[decision];
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const { id, generation } = subscription;
    let decided: Subscription;
    if (decision === 'approve') {
      const request = { generation, reason: reason.trim() || undefined };
      const parsed = approveSubscriptionRequestSchema.safeParse(request);
      if (!parsed.success) {
        setReasonError(fieldErrorsOf(parsed.error).reason);
        return;
      }
      decided = await api.approveSubscription(id, generation, request.reason);
    } else {
      const parsed = reasonedDecisionRequestSchema.safeParse({
        generation,
        reason,
      });
      if (!parsed.success) {
        setReasonError(fieldErrorsOf(parsed.error).reason);
        return;
      }
      decided =
        decision === 'reject'
          ? await api.rejectSubscription(id, generation, reason)
          : await api.revokeSubscription(id, generation, reason);
    }
    onDecided(decided);
  }, [api, subscription, decision, reason, onDecided]);

  const titleId = `brom-decision-${subscription.id}`;
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>{wording.title}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          <strong>{subscription.consumer}</strong> subscribes to{' '}
          <strong>
            {subscription.producer}/{subscription.notificationType}
          </strong>{' '}
          (<code>{subscription.routingKeyPattern}</code>). Justification:{' '}
          {subscription.justification}
        </DialogContentText>
        <DialogContentText>{wording.explanation}</DialogContentText>
        <TextField
          id="brom-decision-reason"
          label={wording.reasonLabel}
          value={reason}
          onChange={e => {
            setReason(e.target.value);
            setReasonError(undefined);
          }}
          error={Boolean(reasonError)}
          helperText={reasonError}
          multiline
          minRows={2}
          fullWidth
          margin="normal"
        />
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading}
          onClick={() => submit()}
        >
          {wording.action}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
