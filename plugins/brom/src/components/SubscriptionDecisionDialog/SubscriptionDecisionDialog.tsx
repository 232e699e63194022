import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
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
import { focusOnOpen } from '../common/focusOnOpen';

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

interface Wording {
  title: string;
  action: string;
  reasonLabel: string;
  explanation: string;
  /**
   * Sent when the consumer's own owners leave the note empty: withdrawing or unsubscribing
   * needs no justification to anyone, but the backend records a reason with every revocation.
   */
  defaultReason?: string;
}

const WORDING: Record<SubscriptionDecision, Wording> = {
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
    reasonLabel: 'Note (optional)',
    explanation: 'The producer’s owners no longer see this request.',
    defaultReason: 'Withdrawn by the consumer',
  },
  unsubscribe: {
    title: 'Unsubscribe',
    action: 'Unsubscribe',
    reasonLabel: 'Note (optional)',
    explanation:
      'Your queue stops receiving these notifications once the broker is synced.',
    defaultReason: 'Unsubscribed by the consumer',
  },
};

/** What is wrong with the reason that would be sent, in the backend's words. */
function reasonProblemOf(
  decision: SubscriptionDecision,
  generation: number,
  reason: string | undefined,
) {
  const schema =
    decision === 'approve'
      ? approveSubscriptionRequestSchema
      : reasonedDecisionRequestSchema;
  const parsed = schema.safeParse({ generation, reason });
  return parsed.success ? undefined : fieldErrorsOf(parsed.error).reason;
}

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
  // An approval the broker cannot carry out yet (e.g. a queue of the same name that BROM
  // does not manage): the dialog stays open to say so before the caller hears of it.
  const [blockedApproval, setBlockedApproval] = useState<Subscription>();
  // What is sent: an approval's reason is optional; the consumer's own owners may leave
  // theirs empty. Checked as the backend checks it while typing, so a disabled button
  // says why right under the field.
  const sentReason =
    decision === 'approve'
      ? reason.trim() || undefined
      : (reason.trim() && reason) || wording.defaultReason || reason;
  const reasonProblem = reasonProblemOf(
    decision,
    subscription.generation,
    sentReason,
  );

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const { id, generation } = subscription;
    let decided: Subscription;
    if (decision === 'approve') {
      decided = await api.approveSubscription(id, generation, sentReason);
      if (decided.blocked?.length) {
        setBlockedApproval(decided);
        return;
      }
    } else if (decision === 'reject') {
      decided = await api.rejectSubscription(id, generation, sentReason!);
    } else {
      decided = await api.revokeSubscription(id, generation, sentReason!);
    }
    onDecided(decided);
  }, [api, subscription, decision, sentReason, onDecided]);

  const titleId = `brom-decision-${subscription.id}`;
  if (blockedApproval) {
    return (
      <Dialog
        open
        onClose={() => onDecided(blockedApproval)}
        aria-labelledby={titleId}
        fullWidth
        maxWidth="sm"
      >
        <DialogTitle id={titleId}>
          Approved, but not yet on the broker
        </DialogTitle>
        <DialogContent>
          <Alert severity="warning">
            The subscription is approved, but the broker cannot bind{' '}
            <strong>{subscription.consumer}</strong>’s queue to the producer’s
            exchange until the BROM operators resolve this:
            <ul>
              {blockedApproval.blocked!.map(block => (
                <li key={block.key}>
                  <code>{block.key}</code>: {block.message}
                </li>
              ))}
            </ul>
          </Alert>
        </DialogContent>
        <DialogActions>
          <Button
            color="primary"
            variant="contained"
            onClick={() => onDecided(blockedApproval)}
          >
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }
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
          inputRef={focusOnOpen}
          value={reason}
          onChange={e => setReason(e.target.value)}
          error={Boolean(reason) && Boolean(reasonProblem)}
          helperText={reasonProblem}
          multiline
          rows={3}
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
          disabled={loading || Boolean(reasonProblem)}
          onClick={() => submit()}
        >
          {wording.action}
        </Button>
      </DialogActions>
    </Dialog>
  );
};
