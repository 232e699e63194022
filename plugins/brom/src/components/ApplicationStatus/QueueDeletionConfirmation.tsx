import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import DialogContentText from '@material-ui/core/DialogContentText';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import {
  Application,
  bromApplicationDeletePermission,
  ObjectStatus,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { PermittedButton } from '../common/PermittedButton';

export interface QueueDeletionConfirmationProps {
  application: Application;
  /** The objects the reconciler holds back because a queue still holds messages. */
  heldBack: ObjectStatus[];
  onConfirmed: (application: Application) => void;
}

/**
 * A deleted application's queue still holds messages: nothing is discarded until an owner
 * says so.
 */
export const QueueDeletionConfirmation = ({
  application,
  heldBack,
  onConfirmed,
}: QueueDeletionConfirmationProps) => {
  const api = useApi(bromApiRef);
  const [confirming, setConfirming] = useState(false);
  const queues = heldBack.filter(o => o.kind === 'queue');
  return (
    <Box mb={2}>
      <Alert
        severity="warning"
        action={
          <PermittedButton
            permission={bromApplicationDeletePermission}
            application={application}
            color="inherit"
            size="small"
            onClick={() => setConfirming(true)}
          >
            Discard queued messages
          </PermittedButton>
        }
      >
        <AlertTitle>
          The queue of {application.name} still holds messages
        </AlertTitle>
        {queues.map(q => (
          <div key={q.key}>{q.condition.message}</div>
        ))}
        The application is deleted, but its queue and the objects around it stay
        on the broker until you confirm that the queued messages may be
        discarded.
      </Alert>
      {confirming && (
        <ConfirmDialog
          title={`Discard the messages queued for ${application.name}?`}
          confirmLabel="Discard messages and delete queue"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const confirmed = await api.confirmQueueDeletion(
              application.name,
              application.generation,
            );
            setConfirming(false);
            onConfirmed(confirmed);
          }}
        >
          <DialogContentText>
            The messages cannot be recovered. Read them first if anyone still
            needs them.
          </DialogContentText>
        </ConfirmDialog>
      )}
    </Box>
  );
};
