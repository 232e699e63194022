export { NotificationTypesCard } from './NotificationTypesCard';
