import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import {
  Application,
  updateApplicationRequestSchema,
} from '@internal/plugin-brom-common';
import { useId, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { bromApiRef } from '../../api/BromApi';
import { ErrorAlert } from '../common/ErrorAlert';
import { FieldErrors } from '../common/validation';
import {
  ExternalProducerFields,
  externalProducerErrorsOf,
  externalProducerFormOf,
  externalProducerRequestOf,
} from './ExternalProducerFields';

export interface ExternalProducerDialogProps {
  application: Application;
  onClose: () => void;
  onSaved: (application: Application) => void;
}

/** Registers the application as an external producer, changes its upstream, or ends it. */
export const ExternalProducerDialog = ({
  application,
  onClose,
  onSaved,
}: ExternalProducerDialogProps) => {
  const api = useApi(bromApiRef);
  const titleId = useId();
  const [form, setForm] = useState(externalProducerFormOf(application.externalProducer));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [{ loading, error }, save] = useAsyncFn(async () => {
    const parsed = updateApplicationRequestSchema.safeParse({
      generation: application.generation,
      externalProducer: externalProducerRequestOf(form),
    });
    if (!parsed.success) {
      setErrors(externalProducerErrorsOf(parsed.error));
      return;
    }
    onSaved(await api.updateApplication(application.name, parsed.data));
  }, [api, application, form, onSaved]);

  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId} fullWidth maxWidth="sm">
      <DialogTitle id={titleId}>Upstream of {application.name}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          BROM keeps a shovel that reads from your own RabbitMQ and publishes into the
          exchange of {application.name}, keeping each message’s routing key. Its state is
          shown under Broker status.
        </DialogContentText>
        <ExternalProducerFields
          form={form}
          onChange={next => {
            setForm(next);
            setErrors({});
          }}
          errors={errors}
          hasStoredPassword={application.externalProducer !== null}
          idPrefix="brom-external"
        />
        <ErrorAlert error={error} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button color="primary" variant="contained" disabled={loading} onClick={() => save()}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
};
