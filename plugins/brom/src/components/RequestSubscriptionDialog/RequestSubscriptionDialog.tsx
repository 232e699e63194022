import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Application,
  NotificationType,
  requestSubscriptionRequestSchema,
  Subscription,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useDebounce from 'react-use/esm/useDebounce';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { FieldErrors, fieldErrorsOf } from '../common/validation';
import { RegisterApplicationDialog } from '../MyApplications/RegisterApplicationDialog';
import { focusOnOpen } from '../common/focusOnOpen';
import { formatDate } from '../common/deprecation';

export interface RequestSubscriptionDialogProps {
  /** The type to subscribe to; when absent the user finds one. */
  notificationType?: NotificationType;
  /**
   * A type to start from (asking again after a rejection, or a deprecated type's successor as
   * `producer/type`); the user may change it.
   */
  initialType?: { application: string; name: string } | string;
  /** The subscribing application; when absent the user chooses one of theirs. */
  consumer?: string;
  onClose: () => void;
  onRequested: (subscription: Subscription) => void;
}

/** How many types the search shows at a time; the user narrows it by typing. */
const TYPES_SHOWN = 8;

const typeKey = (t: { application: string; name: string }) =>
  `${t.application}/${t.name}`;

/** A type named as `producer/type` or by its parts. */
function typeRef(
  type: RequestSubscriptionDialogProps['initialType'],
): { application: string; name: string } | undefined {
  if (typeof type !== 'string') return type;
  const [application, name] = type.split('/');
  return application && name ? { application, name } : undefined;
}

/** A type as one decides on it: description, routing keys and who approves. */
const TypeSummary = ({ type }: { type: NotificationType }) => (
  <>
    <Typography variant="body2" component="span" display="block">
      {type.description || 'No description.'}
    </Typography>
    <Typography variant="body2" component="span" display="block">
      Routing keys <code>{type.routingKeyPattern}</code> ·{' '}
      {type.requiresApproval ? (
        <>
          approved by{' '}
          {type.producerOwner ? (
            <EntityRefLink entityRef={type.producerOwner} />
          ) : (
            `the owners of ${type.application}`
          )}
        </>
      ) : (
        'approved at once, no decision needed'
      )}
    </Typography>
  </>
);

/** The payload a subscriber receives, as the producer describes it. */
export const PayloadSchema = ({ type }: { type: NotificationType }) => {
  if (!type.payloadSchema) {
    return (
      <Typography variant="body2" color="textSecondary">
        The producer gives no payload schema for this type; ask its owners what
        a message holds.
      </Typography>
    );
  }
  const examples = (type.payloadSchema as { examples?: unknown[] }).examples;
  return (
    <details>
      <summary>
        {examples?.length
          ? 'Example message and payload schema'
          : 'Payload schema'}
      </summary>
      {examples?.length ? (
        <>
          <Typography variant="subtitle2">Example message</Typography>
          <pre style={{ whiteSpace: 'pre-wrap' }}>
            {JSON.stringify(examples[0], null, 2)}
          </pre>
        </>
      ) : null}
      <Typography variant="subtitle2">JSON Schema</Typography>
      <pre style={{ whiteSpace: 'pre-wrap', maxHeight: 240, overflow: 'auto' }}>
        {JSON.stringify(type.payloadSchema, null, 2)}
      </pre>
    </details>
  );
};

/** Asks the producer's owners to let one of my applications receive a notification type. */
export const RequestSubscriptionDialog = (
  given: RequestSubscriptionDialogProps,
) => {
  const props = { ...given, initialType: typeRef(given.initialType) };
  const { onClose, onRequested } = props;
  const api = useApi(bromApiRef);
  const [registered, setRegistered] = useState<Application[]>([]);
  const [registering, setRegistering] = useState(false);

  // My applications, by title; there is no choice to make when the consumer is given.
  const mine = useAsync(
    async () =>
      props.consumer
        ? []
        : (
            await api.listApplications({
              mine: true,
              sort: 'title',
              order: 'asc',
              limit: 100,
            })
          ).items,
    [api, props.consumer],
  );
  const consumers = [
    ...registered,
    ...(mine.value ?? []).filter(
      a => !a.deletedAt && !registered.some(r => r.name === a.name),
    ),
  ];
  const [consumer, setConsumer] = useState(props.consumer ?? '');
  // Chosen for the user only when there is exactly one application to choose.
  const chosenConsumer =
    props.consumer ??
    (consumer || (consumers.length === 1 ? consumers[0].name : ''));

  const [typed, setTyped] = useState(props.initialType?.name ?? '');
  const [search, setSearch] = useState(typed);
  useDebounce(() => setSearch(typed.trim()), 300, [typed]);
  const found = useAsync(async () => {
    if (props.notificationType) return undefined;
    return api.listNotificationTypes({
      q: search || undefined,
      ...(props.initialType && search === props.initialType.name
        ? { application: props.initialType.application }
        : {}),
      limit: TYPES_SHOWN,
    });
  }, [api, props.notificationType, search]);
  const [type, setType] = useState(() => {
    const first = props.notificationType ?? props.initialType;
    return first ? typeKey(first) : '';
  });
  const [chosenTypes, setChosenTypes] = useState<NotificationType[]>(
    props.notificationType ? [props.notificationType] : [],
  );
  const chosenType = [...chosenTypes, ...(found.value?.items ?? [])].find(
    t => typeKey(t) === type,
  );

  const deprecation = chosenType?.deprecation ?? null;
  const successor =
    chosenType && deprecation?.successor
      ? { application: chosenType.application, name: deprecation.successor }
      : undefined;

  const [justification, setJustification] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

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

  const renderConsumer = () => {
    if (props.consumer) return null;
    if (mine.loading) return <Progress />;
    if (mine.error) return <ErrorAlert error={mine.error} />;
    return (
      <Box display="flex" alignItems="flex-start" style={{ gap: 8 }}>
        {consumers.length > 0 ? (
          <TextField
            select
            SelectProps={{ native: true }}
            id="brom-request-consumer"
            label="Consumer application"
            value={chosenConsumer}
            onChange={e => setConsumer(e.target.value)}
            error={Boolean(fieldErrors.consumer)}
            helperText={
              fieldErrors.consumer
                ? 'Choose the application that receives the notifications'
                : 'The application whose queue receives the notifications'
            }
            fullWidth
            margin="normal"
            inputRef={focusOnOpen}
          >
            {consumers.length !== 1 && (
              <option value="">Choose one of your applications</option>
            )}
            {consumers.map(a => (
              <option key={a.name} value={a.name}>
                {a.title && a.title !== a.name
                  ? `${a.title} (${a.name})`
                  : a.name}
              </option>
            ))}
          </TextField>
        ) : (
          <Box flex={1} mt={2}>
            <Alert severity="info">
              You own no applications yet. Register one to receive these
              notifications.
            </Alert>
          </Box>
        )}
        <Box mt={consumers.length > 0 ? 3 : 2} flexShrink={0}>
          <Button variant="outlined" onClick={() => setRegistering(true)}>
            Register new application
          </Button>
        </Box>
      </Box>
    );
  };

  const renderTypeChoice = () => {
    if (props.notificationType) return null;
    const page = found.value;
    return (
      <>
        <TextField
          id="brom-request-type-search"
          label="Find a notification type"
          type="search"
          value={typed}
          onChange={e => setTyped(e.target.value)}
          helperText="Search by producer, name, description or routing key"
          fullWidth
          margin="normal"
          inputRef={props.consumer ? focusOnOpen : undefined}
        />
        {found.loading && !page && <Progress />}
        {found.error && <ErrorAlert error={found.error} />}
        {page && (
          <FormControl
            component="fieldset"
            error={Boolean(
              fieldErrors.producer || fieldErrors.notificationType,
            )}
            fullWidth
          >
            <FormLabel component="legend">Notification type</FormLabel>
            {page.items.length === 0 ? (
              <FormHelperText>
                No notification type matches the search.
              </FormHelperText>
            ) : (
              <RadioGroup
                aria-label="Notification type"
                value={type}
                onChange={e => {
                  const key = e.target.value;
                  setType(key);
                  const picked = page.items.find(t => typeKey(t) === key);
                  if (picked) setChosenTypes([picked]);
                }}
              >
                {page.items.map(t => (
                  <FormControlLabel
                    key={typeKey(t)}
                    value={typeKey(t)}
                    control={<Radio />}
                    label={
                      <Box py={0.5}>
                        <Typography
                          variant="body1"
                          component="span"
                          display="block"
                        >
                          {typeKey(t)}
                          {t.deprecation ? ' (deprecated)' : ''}
                        </Typography>
                        <TypeSummary type={t} />
                      </Box>
                    }
                  />
                ))}
              </RadioGroup>
            )}
            {page.totalCount > page.items.length && (
              <FormHelperText>
                Showing {page.items.length} of {page.totalCount}
                {page.totalCountBounded ? '+' : ''}; type to narrow the search.
              </FormHelperText>
            )}
            {(fieldErrors.producer || fieldErrors.notificationType) && (
              <FormHelperText>Choose a notification type</FormHelperText>
            )}
          </FormControl>
        )}
      </>
    );
  };

  const titleId = 'brom-request-subscription-title';
  return (
    <>
      <Dialog
        open
        onClose={onClose}
        aria-labelledby={titleId}
        fullWidth
        maxWidth="sm"
      >
        <DialogTitle id={titleId}>{title}</DialogTitle>
        <DialogContent>
          {props.notificationType && (
            <DialogContentText component="div">
              <TypeSummary type={props.notificationType} />
            </DialogContentText>
          )}
          {renderConsumer()}
          {renderTypeChoice()}
          {chosenType && deprecation && (
            <Box mt={2}>
              <Alert
                severity="warning"
                role="status"
                action={
                  successor && !props.notificationType ? (
                    <Button
                      color="inherit"
                      size="small"
                      onClick={() => {
                        setTyped(successor.name);
                        setType(typeKey(successor));
                      }}
                    >
                      Choose {successor.name}
                    </Button>
                  ) : undefined
                }
              >
                {typeKey(chosenType)} is deprecated and ends on{' '}
                {formatDate(deprecation.sunsetAt)}; it takes no new
                subscriptions.{' '}
                {successor
                  ? `Request its successor ${typeKey(successor)} instead.`
                  : 'It has no successor.'}
              </Alert>
            </Box>
          )}
          {chosenType && (
            <Box mt={2}>
              <PayloadSchema type={chosenType} />
            </Box>
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
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            color="primary"
            variant="contained"
            disabled={
              loading ||
              (!props.consumer && consumers.length === 0) ||
              Boolean(deprecation)
            }
            onClick={() => submit()}
          >
            Send request
          </Button>
        </DialogActions>
      </Dialog>
      {registering && (
        <RegisterApplicationDialog
          onClose={() => setRegistering(false)}
          onRegistered={application => {
            setRegistering(false);
            setRegistered(current => [application, ...current]);
            setConsumer(application.name);
          }}
        />
      )}
    </>
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
