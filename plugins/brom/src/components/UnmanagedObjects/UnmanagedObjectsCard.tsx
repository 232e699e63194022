import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { UnmanagedObject } from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { CardTable } from '../common/CardTable';
import { formatTime } from '../common/time';

const columns: TableColumn<UnmanagedObject & { id: string }>[] = [
  {
    title: 'Object',
    render: row => (
      <Box style={{ overflowWrap: 'anywhere' }}>
        {row.kind} {row.name}
      </Box>
    ),
  },
  {
    title: 'Touches',
    render: row =>
      row.sourceApplication || row.destinationApplication ? (
        <>
          {row.sourceApplication && (
            <Typography variant="body2" component="div">
              reads from <ApplicationLink name={row.sourceApplication} />
            </Typography>
          )}
          {row.destinationApplication && (
            <Typography variant="body2" component="div">
              ends in <ApplicationLink name={row.destinationApplication} />
            </Typography>
          )}
        </>
      ) : (
        'no application'
      ),
  },
  { title: 'First seen', render: row => formatTime(row.firstSeenAt) },
];

/**
 * For administrators: the objects in BROM's vhost that BROM did not create or adopt, as the
 * reconciler's last full pass saw them. BROM never touches them; someone must decide.
 */
export const UnmanagedObjectsCard = () => {
  const api = useApi(bromApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listUnmanagedObjects(),
    [api],
  );
  return (
    <InfoCard
      title="Objects BROM does not manage"
      subheader={
        value?.observedAt
          ? `In BROM's vhost when the reconciler last looked, ${formatTime(
              value.observedAt,
            )}`
          : "In BROM's vhost, as the reconciler's full passes see them"
      }
      action={
        <Button size="small" onClick={retry}>
          Refresh
        </Button>
      }
    >
      <CardTable
        loading={loading}
        error={error}
        onRetry={retry}
        what="the unmanaged objects"
        items={value?.items.map(o => ({ ...o, id: o.key }))}
        columns={columns}
        secondary={['First seen']}
        empty={{
          title: 'Nothing unmanaged',
          description: value?.observedAt
            ? 'Every object in the vhost was created or adopted by BROM.'
            : 'The reconciler has not looked at the whole vhost yet; this fills in after its first full pass.',
        }}
      />
    </InfoCard>
  );
};
