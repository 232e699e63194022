import { CodeSnippet, CopyTextButton } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import Link from '@material-ui/core/Link';
import Alert from '@material-ui/lab/Alert';
import { IssuedCredential } from '@internal/plugin-brom-common';
import { useBrokerSettings } from '../common/useBrokerSettings';
import { CONNECTION_CARD_ID } from '../Connection/ConnectionCard';
import { connectionSettings } from './connectionSettings';

export interface IssuedSecretDialogProps {
  application: string;
  issued: IssuedCredential;
  /** The caller forgets the secret here: it is never shown again. */
  onClose: () => void;
}

/** Shows a new credential's secret, the only time anyone sees it, with settings to paste. */
export const IssuedSecretDialog = ({
  application,
  issued,
  onClose,
}: IssuedSecretDialogProps) => {
  const broker = useBrokerSettings();
  const settings = connectionSettings(broker, issued);
  const titleId = 'brom-issued-secret-title';
  return (
    <Dialog
      open
      aria-labelledby={titleId}
      fullWidth
      maxWidth="md"
      disableEscapeKeyDown
      onClose={(_event, reason) => {
        if (reason !== 'backdropClick') onClose();
      }}
    >
      <DialogTitle id={titleId}>
        Secret of {issued.credential.username}
      </DialogTitle>
      <DialogContent>
        <Alert severity="warning">
          Copy the secret now and keep it in your secret store. BROM keeps only
          a hash of it: once you close this dialog, nobody can show it again.
        </Alert>
        <Box mt={2}>
          <Typography variant="subtitle2">Username</Typography>
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <code>{issued.credential.username}</code>
            <CopyTextButton
              text={issued.credential.username}
              aria-label="Copy username"
            />
          </Box>
        </Box>
        <Box mt={2}>
          <Typography variant="subtitle2">Secret</Typography>
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <code
              data-testid="issued-secret"
              style={{ wordBreak: 'break-all' }}
            >
              {issued.secret}
            </code>
            <CopyTextButton text={issued.secret} aria-label="Copy secret" />
          </Box>
        </Box>
        <Box mt={2}>
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <Typography variant="subtitle2">Connection settings</Typography>
            <CopyTextButton
              text={settings.environment}
              aria-label="Copy connection settings"
            />
          </Box>
          <CodeSnippet
            text={settings.environment}
            language="bash"
            wrapLongLines
          />
        </Box>
        <Box mt={2}>
          <Typography variant="body2">
            Client code for {application}'s role (Node.js, Python, Java and
            .NET), its exchange, routing keys and queues stay on the{' '}
            <Link
              href={`#${CONNECTION_CARD_ID}`}
              onClick={() => {
                onClose();
                // After the dialog is gone, so the page can scroll.
                setTimeout(() =>
                  document
                    .getElementById(CONNECTION_CARD_ID)
                    ?.scrollIntoView({ behavior: 'smooth' }),
                );
              }}
            >
              connection card
            </Link>
            ; they read the variable above.
          </Typography>
        </Box>
      </DialogContent>
      <DialogActions>
        <Button color="primary" variant="contained" onClick={onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
};
