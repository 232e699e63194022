import { Progress } from '@backstage/core-components';
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
  NotificationType,
  requestSubscriptionRequestSchema,
  Subscription,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatDate } from '../common/deprecation';
import { FieldErrors, fieldErrorsOf } from '../common/validation';

export interface RequestSubscriptionDialogProps {
  /** The type to subscribe to; when absent the user chooses one. */
  notificationType?: NotificationType;
  /** The subscribing application; when absent the user chooses one of theirs. */
  consumer?: string;
  /** `producer/type` chosen at first when the user chooses (e.g. a deprecated type's successor). */
  initialType?: string;
  onClose: () => void;
  onRequested: (subscription: Subscription) => void;
}

const typeKey = (t: { application: string; name: string }) =>
  `${t.application}/${t.name}`;

/** Asks the producer's owners to let one of my applications receive a notification type. */
export const RequestSubscriptionDialog = (
  props: RequestSubscriptionDialogProps,
) => {
  const { onClose, onRequested } = props;
  const api = useApi(bromApiRef);
  const choices = useAsync(async () => {
    const [consumers, types] = await Promise.all([
      props.consumer
        ? [props.consumer]
        : api
            .listApplications({ mine: true, limit: 500 })
            .then(page => page.items.map(a => a.name)),
      props.notificationType
        ? [props.notificationType]
        : api.listNotificationTypes({ limit: 500 }).then(page => page.items),
    ]);
    return { consumers, types };
  }, [api, props.consumer, props.notificationType]);

  const [consumer, setConsumer] = useState(props.consumer ?? '');
  const [type, setType] = useState(
    props.notificationType ? typeKey(props.notificationType) : props.initialType ?? '',
  );
  const [justification, setJustification] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

  const chosenConsumer = consumer || choices.value?.consumers[0] || '';
  const chosenType = choices.value?.types.find(t => typeKey(t) === type);
  const deprecation = chosenType?.deprecation ?? null;
  const successorKey =
    chosenType && deprecation?.successor
      ? `${chosenType.application}/${deprecation.successor}`
      : undefined;
  const successorListed = Boolean(
    successorKey && choices.value?.types.some(t => typeKey(t) === successorKey),
  );

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const request = {
      consumer: chosenConsumer,
      producer: chosenType?.application ?? '',
      notificationType: chosenType?.name ?? '',
      justification,
    };
    const parsed = requestSubscriptionRequestSchema.safeParse(request);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      return;
    }
    onRequested(await api.requestSubscription(parsed.data));
  }, [api, chosenConsumer, chosenType, justification, onRequested]);

  const title = props.notificationType
    ? `Request subscription to ${typeKey(props.notificationType)}`
    : `Request subscription for ${props.consumer}`;

  const renderForm = () => {
    if (choices.loading) return <Progress />;
    if (choices.error) return <ErrorAlert error={choices.error} />;
    const { consumers, types } = choices.value!;
    if (consumers.length === 0) {
      return (
        <Alert severity="info">
          You own no applications yet. Register one under “My applications”,
          then subscribe it here.
        </Alert>
      );
    }
    return (
      <>
        {chosenType && deprecation && (
          <Alert
            severity="warning"
            role="status"
            action={
              successorListed && !props.notificationType ? (
                <Button color="inherit" size="small" onClick={() => setType(successorKey!)}>
                  Choose {deprecation.successor}
                </Button>
              ) : undefined
            }
          >
            {typeKey(chosenType)} is deprecated and ends on {formatDate(deprecation.sunsetAt)};
            it takes no new subscriptions.{' '}
            {successorKey ? `Request its successor ${successorKey} instead.` : 'It has no successor.'}
          </Alert>
        )}
        {chosenType && (
          <DialogContentText>
            {chosenType.description} Routing keys:{' '}
            <code>{chosenType.routingKeyPattern}</code>.{' '}
            {chosenType.requiresApproval
              ? `The owners of ${chosenType.application} decide on your request.`
              : 'This type needs no approval: the subscription is approved at once.'}
          </DialogContentText>
        )}
        {!props.consumer && (
          <TextField
            select
            SelectProps={{ native: true }}
            id="brom-request-consumer"
            label="Consumer application"
            value={chosenConsumer}
            onChange={e => setConsumer(e.target.value)}
            error={Boolean(fieldErrors.consumer)}
            helperText={
              fieldErrors.consumer ??
              'The application whose queue receives the notifications'
            }
            fullWidth
            margin="normal"
          >
            {consumers.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </TextField>
        )}
        {!props.notificationType && (
          <TextField
            select
            SelectProps={{ native: true }}
            id="brom-request-type"
            label="Notification type"
            value={type}
            onChange={e => setType(e.target.value)}
            error={Boolean(
              fieldErrors.producer || fieldErrors.notificationType,
            )}
            helperText={
              fieldErrors.producer || fieldErrors.notificationType
                ? 'Choose a notification type'
                : undefined
            }
            fullWidth
            margin="normal"
          >
            <option value="">Choose a notification type</option>
            {types.map(t => (
              <option key={typeKey(t)} value={typeKey(t)}>
                {typeKey(t)}
                {t.deprecation ? ' (deprecated)' : ''}
              </option>
            ))}
          </TextField>
        )}
        <TextField
          id="brom-request-justification"
          label="Justification"
          value={justification}
          onChange={e => setJustification(e.target.value)}
          error={Boolean(fieldErrors.justification)}
          helperText={
            fieldErrors.justification ??
            'Why your application needs these notifications'
          }
          multiline
          rows={4}
          fullWidth
          margin="normal"
        />
        <ErrorAlert error={error} />
      </>
    );
  };

  const titleId = 'brom-request-subscription-title';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>{title}</DialogTitle>
      <DialogContent>{renderForm()}</DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading || !choices.value?.consumers.length || Boolean(deprecation)}
          onClick={() => submit()}
        >
          Send request
        </Button>
      </DialogActions>
    </Dialog>
  );
};

/** What happened to a request, in words the requester understands. */
export function describeRequested(subscription: Subscription): string {
  const what = `${subscription.consumer} → ${subscription.producer}/${subscription.notificationType}`;
  if (subscription.state === 'approved' && subscription.blocked?.length) {
    const why = subscription.blocked
      .map(block => `${block.key}: ${block.message}`)
      .join('; ');
    return `${what} is approved, but the broker cannot bind it until the BROM operators resolve this: ${why}`;
  }
  return subscription.state === 'approved'
    ? `${what} is approved; the binding is created on the broker shortly.`
    : `${what} is requested; the owners of ${subscription.producer} decide on it.`;
}
