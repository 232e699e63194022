import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import TextField from '@material-ui/core/TextField';
import {
  ExternalProducer,
  ExternalProducerRequest,
} from '@internal/plugin-brom-common';
import { FieldErrors, ValidationFailure, fieldErrorsOf } from '../common/validation';

/** The external producer part of an application form, as the user types it. */
export interface ExternalProducerForm {
  enabled: boolean;
  upstreamUri: string;
  source: 'exchange' | 'queue';
  upstreamExchange: string;
  upstreamRoutingKey: string;
  upstreamQueue: string;
  username: string;
  /** Empty: keep the stored password (editing) or none given (registering). */
  password: string;
}

export function externalProducerFormOf(
  producer: ExternalProducer | null,
): ExternalProducerForm {
  return {
    enabled: producer !== null,
    upstreamUri: producer?.upstreamUri ?? '',
    source: producer?.upstreamQueue ? 'queue' : 'exchange',
    upstreamExchange: producer?.upstreamExchange ?? '',
    upstreamRoutingKey: producer?.upstreamRoutingKey ?? '#',
    upstreamQueue: producer?.upstreamQueue ?? '',
    username: producer?.username ?? '',
    password: '',
  };
}

/** The request field the form stands for; null when it is switched off. */
export function externalProducerRequestOf(
  form: ExternalProducerForm,
): ExternalProducerRequest | null {
  if (!form.enabled) return null;
  const exchange = form.source === 'exchange';
  return {
    upstreamUri: form.upstreamUri.trim(),
    upstreamExchange: exchange ? form.upstreamExchange : null,
    upstreamRoutingKey: exchange ? form.upstreamRoutingKey || '#' : null,
    upstreamQueue: exchange ? null : form.upstreamQueue,
    username: form.username,
    ...(form.password ? { password: form.password } : {}),
  };
}

export interface ExternalProducerFieldsProps {
  form: ExternalProducerForm;
  onChange: (form: ExternalProducerForm) => void;
  /** Problems of the request's `externalProducer`, by its field names. */
  errors: FieldErrors;
  /** True when a password is stored: leaving the field empty keeps it. */
  hasStoredPassword: boolean;
  idPrefix: string;
}

/**
 * Where an external producer publishes: another RabbitMQ, from which a shovel brings its
 * messages into its exchange here. The password is write-only: never shown, only replaced.
 */
export const ExternalProducerFields = ({
  form,
  onChange,
  errors,
  hasStoredPassword,
  idPrefix,
}: ExternalProducerFieldsProps) => {
  const set =
    (field: keyof ExternalProducerForm) =>
    (e: { target: { value: string } }) =>
      onChange({ ...form, [field]: e.target.value });
  const text = (name: keyof ExternalProducerForm, label: string, helper: string) => ({
    id: `${idPrefix}-${name}`,
    label,
    value: form[name] as string,
    onChange: set(name),
    error: Boolean(errors[name]),
    helperText: errors[name] ?? helper,
    fullWidth: true,
    margin: 'normal' as const,
  });
  return (
    <>
      <FormControlLabel
        control={
          <Checkbox
            id={`${idPrefix}-enabled`}
            checked={form.enabled}
            onChange={e => onChange({ ...form, enabled: e.target.checked })}
            color="primary"
          />
        }
        label="Publishes on another RabbitMQ (external producer, brought in by a shovel)"
      />
      {form.enabled && (
        <>
          <TextField
            {...text(
              'upstreamUri',
              'Upstream URI',
              'amqps://host:5671/vhost, without user or password',
            )}
          />
          <TextField
            {...text('source', 'Read from', 'An exchange (a queue of the shovel is bound to it) or a queue')}
            select
            SelectProps={{ native: true }}
          >
            <option value="exchange">An exchange</option>
            <option value="queue">A queue (keeps messages while the shovel is away)</option>
          </TextField>
          {form.source === 'exchange' ? (
            <>
              <TextField {...text('upstreamExchange', 'Upstream exchange', 'Where your application publishes')} />
              <TextField
                {...text('upstreamRoutingKey', 'Binding key', 'Which routing keys to bring in; # for all')}
              />
            </>
          ) : (
            <TextField {...text('upstreamQueue', 'Upstream queue', 'The queue the shovel consumes')} />
          )}
          <TextField {...text('username', 'Upstream user', 'The user the shovel connects as')} />
          <TextField
            {...text(
              'password',
              'Upstream password',
              hasStoredPassword
                ? 'Stored encrypted and never shown; leave empty to keep it'
                : 'Stored encrypted and never shown again',
            )}
            type="password"
            autoComplete="new-password"
          />
        </>
      )}
    </>
  );
};

/** The problems of a request's `externalProducer`, keyed by its own field names. */
export function externalProducerErrorsOf(error: ValidationFailure): FieldErrors {
  return fieldErrorsOf({
    issues: error.issues
      .filter(issue => issue.path[0] === 'externalProducer')
      .map(issue => ({ ...issue, path: issue.path.slice(1) })),
  });
}
