export { QueueHealthCard } from './QueueHealthCard';
