export { QueueSettingsDialog } from './QueueSettingsDialog';
