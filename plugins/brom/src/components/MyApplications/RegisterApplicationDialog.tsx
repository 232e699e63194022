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
  Application,
  createApplicationRequestSchema,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { EntityOption } from '../common/EntityOption';
import { ErrorAlert } from '../common/ErrorAlert';
import { useOwnedGroups } from '../common/useOwnedGroups';
import { FieldErrors, fieldErrorsOf } from '../common/validation';
import {
  ExternalProducerFields,
  externalProducerErrorsOf,
  externalProducerFormOf,
  externalProducerRequestOf,
} from '../ExternalProducer';

export interface RegisterApplicationDialogProps {
  onClose: () => void;
  onRegistered: (application: Application) => void;
}

/** Registers a new application for one of the signed-in user's groups. */
export const RegisterApplicationDialog = ({
  onClose,
  onRegistered,
}: RegisterApplicationDialogProps) => {
  const api = useApi(bromApiRef);
  const groups = useOwnedGroups();
  const [form, setForm] = useState({
    name: '',
    title: '',
    description: '',
    owner: '',
    entityRef: '',
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [external, setExternal] = useState(externalProducerFormOf(null));
  const [externalErrors, setExternalErrors] = useState<FieldErrors>({});
  const owner = form.owner || groups.value?.[0] || '';

  const update =
    (field: keyof typeof form) => (e: { target: { value: string } }) => {
      setForm({ ...form, [field]: e.target.value });
      setFieldErrors({ ...fieldErrors, [field]: undefined });
    };

  const [{ loading, error }, submit] = useAsyncFn(async () => {
    const parsed = createApplicationRequestSchema.safeParse({
      name: form.name,
      title: form.title || undefined,
      description: form.description || undefined,
      owner,
      entityRef: form.entityRef || undefined,
      externalProducer: externalProducerRequestOf(external) ?? undefined,
    });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsOf(parsed.error));
      setExternalErrors(externalProducerErrorsOf(parsed.error));
      return;
    }
    onRegistered(await api.createApplication(parsed.data));
  }, [api, form, owner, external, onRegistered]);

  const field = (name: keyof typeof form, label: string, helper: string) => ({
    id: `brom-register-${name}`,
    label,
    value: form[name],
    onChange: update(name),
    error: Boolean(fieldErrors[name]),
    helperText: fieldErrors[name] ?? helper,
    fullWidth: true,
    margin: 'normal' as const,
  });

  const renderForm = () => {
    if (groups.loading) return <Progress />;
    if (groups.error) return <ErrorAlert error={groups.error} />;
    if (!groups.value?.length) {
      return (
        <Alert severity="info">
          You belong to no group, and applications are owned by groups. Ask to
          be added to your team’s group, then register the application.
        </Alert>
      );
    }
    return (
      <>
        <DialogContentText>
          The name is permanent: the application’s exchange and queue on the
          broker are named after it.
        </DialogContentText>
        <TextField
          {...field(
            'name',
            'Name',
            'Lower-case letters, digits and dashes, e.g. orders-api',
          )}
        />
        <TextField
          {...field(
            'title',
            'Title',
            'Shown in the catalogues; defaults to the name',
          )}
        />
        <TextField
          {...field('description', 'Description', 'What the application does')}
          multiline
          rows={3}
        />
        <TextField
          {...field(
            'owner',
            'Owner',
            'The team that approves subscriptions and manages credentials',
          )}
          value={owner}
          select
          SelectProps={{ native: true }}
        >
          {groups.value.map(group => (
            <EntityOption key={group} entityRef={group} />
          ))}
        </TextField>
        <TextField
          {...field(
            'entityRef',
            'Catalog component (optional)',
            'The catalog Component this application is, e.g. component:default/orders',
          )}
        />
        <ExternalProducerFields
          form={external}
          onChange={next => {
            setExternal(next);
            setExternalErrors({});
          }}
          errors={externalErrors}
          hasStoredPassword={false}
          idPrefix="brom-register-external"
        />
        <ErrorAlert error={error} />
      </>
    );
  };

  const titleId = 'brom-register-application-title';
  return (
    <Dialog
      open
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>Register application</DialogTitle>
      <DialogContent>{renderForm()}</DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={loading || !groups.value?.length}
          onClick={() => submit()}
        >
          Register
        </Button>
      </DialogActions>
    </Dialog>
  );
};
